"""The aqora API stand-in itself: it must follow docs/aqora-api.md, or every other test lies."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from servers.aqora import AqoraServer
from support import TESTS

LOGIN = """mutation LoginPageUserMutation($input: LoginUserInput!) {
  loginUser(input: $input) { node { id } }
}"""
AUTHORIZE = """mutation Oauth2AuthorizePageMutation($input: Oauth2AuthorizeInput!) {
  oauth2Authorize(input: $input) { unauthorized clientError redirectUri }
}"""
TOKEN = """mutation Oauth2TokenMutation($code: String!, $client_id: String!, $redirect_uri: Url!) {
  oauth2Token(input: { code: $code, clientId: $client_id, redirectUri: $redirect_uri }) {
    clientError unauthorized issued { expiresIn accessToken refreshToken }
  }
}"""
REFRESH = """mutation Oauth2RefreshMutation($client_id: String!, $client_secret: String,
    $refresh_token: String!) {
  oauth2Refresh(input: { refreshToken: $refresh_token, clientId: $client_id,
      clientSecret: $client_secret }) {
    clientError unauthorized issued { expiresIn accessToken refreshToken }
  }
}"""
VIEWER = "query ViewerInfo { viewer { __typename id username } }"
REDIRECT = """subscription Oauth2RedirectSubscription($authUrl: Url!, $signature: String!) {
  oauth2Redirect(input: { authorizationUrl: $authUrl, signature: $signature }) { code }
}"""
CLIENT = "localhost-testhost"
LOCAL = "http://localhost/"


def post(
    aqora: AqoraServer,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    origin: bool = True,
    timeout: float = 5,
) -> requests.Response:
    headers = {"User-Agent": "aqora/test-standin"}
    if origin:
        headers["Origin"] = aqora.url
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {"query": query, "variables": variables or {}, "operationName": None}
    return requests.post(f"{aqora.url}/graphql", json=body, headers=headers, timeout=timeout)


def gql(aqora: AqoraServer, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    r = post(aqora, query, variables, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def code_via_password(aqora: AqoraServer, client_id: str = CLIENT) -> str:
    r = post(aqora, LOGIN, {"input": {"usernameOrEmail": "alice", "password": "pw"}})
    web = r.headers["x-access-token"]
    out = gql(
        aqora,
        AUTHORIZE,
        {"input": {"clientId": client_id, "state": "st8", "redirectUri": LOCAL}},
        token=web,
    )["data"]["oauth2Authorize"]
    code: str = urllib.parse.parse_qs(urllib.parse.urlsplit(out["redirectUri"]).query)["code"][0]
    return code


def token_exchange(aqora: AqoraServer, code: str, redirect_uri: str = LOCAL) -> dict[str, Any]:
    v = {"code": code, "client_id": CLIENT, "redirect_uri": redirect_uri}
    out: dict[str, Any] = gql(aqora, TOKEN, v)["data"]["oauth2Token"]
    return out


def new_session(aqora: AqoraServer) -> dict[str, Any]:
    issued: dict[str, Any] = token_exchange(aqora, code_via_password(aqora))["issued"]
    return issued


def refresh(aqora: AqoraServer, rt: str, client_id: str = CLIENT, **kw: Any) -> dict[str, Any]:
    v = {"refresh_token": rt, "client_id": client_id, "client_secret": None}
    out: dict[str, Any] = gql(aqora, REFRESH, v, **kw)["data"]["oauth2Refresh"]
    return out


def viewer(aqora: AqoraServer, token: str) -> Any:
    return gql(aqora, VIEWER, token=token)


def assert_invalid_session(resp: Any) -> None:
    assert resp["data"] is None
    (err,) = resp["errors"]
    assert err["message"] == "Session Not Found"
    assert err["extensions"]["code"] == "INVALID_AUTHORIZATION"


# -- the interactive flow ---------------------------------------------------------------


def test_interactive_flow_login_authorize_token_viewer(aqora: AqoraServer) -> None:
    r = post(aqora, LOGIN, {"input": {"usernameOrEmail": "alice", "password": "pw"}})
    assert r.status_code == 200
    assert list(r.json()["data"]["loginUser"]) == ["node"]
    assert list(r.json()["data"]["loginUser"]["node"]) == ["id"]
    web = r.headers["x-access-token"]
    assert aqora.last_user_agent == "aqora/test-standin"

    out = gql(
        aqora,
        AUTHORIZE,
        {"input": {"clientId": CLIENT, "state": "xyz", "redirectUri": LOCAL}},
        token=web,
    )["data"]["oauth2Authorize"]
    assert out["unauthorized"] is False and out["clientError"] is False
    redirect = urllib.parse.urlsplit(out["redirectUri"])
    assert redirect._replace(query="").geturl() == LOCAL
    q = urllib.parse.parse_qs(redirect.query)
    assert q["state"] == ["xyz"]
    code = q["code"][0]

    # bound to the redirect_uri and the client id
    assert token_exchange(aqora, code, "http://localhost/other") == {
        "clientError": True,
        "unauthorized": False,
        "issued": None,
    }
    tok = token_exchange(aqora, code)
    assert tok["clientError"] is False and tok["unauthorized"] is False
    issued = tok["issued"]
    assert set(issued) == {"expiresIn", "accessToken", "refreshToken"}  # only what was asked
    assert issued["expiresIn"] == 3600
    assert issued["accessToken"].startswith("aqat_") and issued["refreshToken"].startswith("aqrt_")
    # single use
    assert token_exchange(aqora, code)["issued"] is None

    me = viewer(aqora, issued["accessToken"])
    assert me["data"]["viewer"]["__typename"] == "User"
    assert me["data"]["viewer"]["username"] == "alice"
    assert aqora.is_valid_access_token(issued["accessToken"])
    assert not aqora.is_valid_access_token(issued["refreshToken"])
    assert not aqora.is_valid_access_token(web)  # a web session token is not an OAuth token
    assert {web, code, issued["accessToken"], issued["refreshToken"]} <= aqora.issued_tokens()
    assert_invalid_session(viewer(aqora, "aqat_" + "0" * 32))
    assert_invalid_session(gql(aqora, VIEWER))


def test_login_and_authorize_refusals(aqora: AqoraServer) -> None:
    r = post(aqora, LOGIN, {"input": {"usernameOrEmail": "alice", "password": "nope"}})
    assert "x-access-token" not in r.headers
    assert r.json()["data"] is None and r.json()["errors"]
    aqora.add_user("bob", "secret")
    r = post(aqora, LOGIN, {"input": {"usernameOrEmail": "bob@example.com", "password": "secret"}})
    assert r.headers["x-access-token"].startswith("aqws_")

    for bearer in (None, "aqws_bogus"):
        out = gql(
            aqora,
            AUTHORIZE,
            {"input": {"clientId": CLIENT, "state": "s", "redirectUri": LOCAL}},
            token=bearer,
        )["data"]["oauth2Authorize"]
        assert out == {"unauthorized": True, "clientError": False, "redirectUri": None}

    # The server checks Origin, and answers only the fields asked for.
    assert post(aqora, VIEWER, origin=False).status_code == 400
    bad = gql(aqora, "query { viewer { id password } }")
    assert bad["data"] is None and "password" in bad["errors"][0]["message"]


def test_access_tokens_expire_server_side(aqora: AqoraServer) -> None:
    first = new_session(aqora)
    aqora.access_lifetime = 0.3
    second = new_session(aqora)
    assert second["expiresIn"] == 0
    assert aqora.is_valid_access_token(second["accessToken"])
    time.sleep(0.35)
    assert not aqora.is_valid_access_token(second["accessToken"])
    assert_invalid_session(viewer(aqora, second["accessToken"]))
    assert aqora.is_valid_access_token(first["accessToken"])
    aqora.access_lifetime = 3600
    aqora.expire_access_tokens()
    assert_invalid_session(viewer(aqora, first["accessToken"]))
    # a refresh still works and gives a fresh, valid access token
    again = refresh(aqora, first["refreshToken"])["issued"]
    assert again["expiresIn"] == 3600 and aqora.is_valid_access_token(again["accessToken"])
    aqora.revoke_sessions()
    assert not aqora.is_valid_access_token(again["accessToken"])
    assert refresh(aqora, again["refreshToken"])["unauthorized"] is True
    assert aqora.reuse_detected == 0


# -- refresh ------------------------------------------------------------------------------


def test_refresh_rotates(aqora: AqoraServer) -> None:
    s = new_session(aqora)
    out = refresh(aqora, s["refreshToken"])
    assert out["clientError"] is False and out["unauthorized"] is False
    new = out["issued"]
    assert new["refreshToken"] != s["refreshToken"] and new["accessToken"] != s["accessToken"]
    assert aqora.is_valid_access_token(new["accessToken"])
    assert aqora.valid_refresh_tokens() == {new["refreshToken"]}
    assert viewer(aqora, new["accessToken"])["data"]["viewer"]["username"] == "alice"
    newer = refresh(aqora, new["refreshToken"])["issued"]
    assert aqora.is_valid_access_token(newer["accessToken"])

    unknown = refresh(aqora, "aqrt_" + "0" * 32)
    assert unknown == {"clientError": False, "unauthorized": True, "issued": None}
    wrong_client = refresh(aqora, newer["refreshToken"], client_id="localhost-other")
    assert wrong_client == {"clientError": True, "unauthorized": False, "issued": None}
    assert refresh(aqora, newer["refreshToken"])["issued"] is not None  # was not consumed
    assert aqora.refresh_calls == 5
    assert aqora.reuse_detected == 0


def test_refresh_token_reuse_revokes_the_session(aqora: AqoraServer) -> None:
    other = new_session(aqora)
    s = new_session(aqora)
    rotated = refresh(aqora, s["refreshToken"])["issued"]
    stolen = refresh(aqora, s["refreshToken"])
    assert stolen == {"clientError": False, "unauthorized": True, "issued": None}
    assert aqora.reuse_detected == 1
    for tok in (s["accessToken"], rotated["accessToken"]):
        assert not aqora.is_valid_access_token(tok)
    assert refresh(aqora, rotated["refreshToken"])["unauthorized"] is True
    # another session of the same user is untouched
    assert aqora.is_valid_access_token(other["accessToken"])
    assert refresh(aqora, other["refreshToken"])["issued"] is not None


@pytest.mark.serial  # timing-sensitive: runs alone
def test_refresh_rotates_before_a_slow_answer(aqora: AqoraServer) -> None:
    s = new_session(aqora)
    hooked = threading.Event()
    aqora.refresh_hook = hooked.set
    aqora.refresh_delay = 2
    with pytest.raises(requests.Timeout):
        refresh(aqora, s["refreshToken"], timeout=0.3)
    assert hooked.is_set()
    # the server rotated although the client never saw the answer: the old token is spent
    assert s["refreshToken"] not in aqora.valid_refresh_tokens()
    aqora.refresh_delay = 0
    assert refresh(aqora, s["refreshToken"])["unauthorized"] is True
    assert aqora.reuse_detected == 1


# -- faults --------------------------------------------------------------------------------


def test_faults(aqora: AqoraServer) -> None:
    s = new_session(aqora)
    aqora.set_fault("500")
    r = post(aqora, VIEWER, token=s["accessToken"])
    assert r.status_code == 500 and r.headers["Content-Type"].startswith("text/html")

    aqora.set_fault("nonjson")
    r = post(aqora, VIEWER, token=s["accessToken"])
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        json.loads(r.text)

    aqora.set_fault("graphql-error", ops={"oauth2Refresh"})
    assert viewer(aqora, s["accessToken"])["data"]["viewer"]["username"] == "alice"
    r = post(aqora, REFRESH, {"refresh_token": s["refreshToken"], "client_id": CLIENT})
    assert r.json() == {"data": None, "errors": [{"message": "Internal"}]}

    aqora.set_fault("unauthorized")
    assert refresh(aqora, s["refreshToken"]) == {
        "clientError": False,
        "unauthorized": True,
        "issued": None,
    }
    aqora.set_fault("clientError")
    assert refresh(aqora, s["refreshToken"])["clientError"] is True
    assert viewer(aqora, s["accessToken"])["data"]["viewer"]["username"] == "alice"

    aqora.set_fault(None)
    # none of the faulted refreshes consumed the token
    assert refresh(aqora, s["refreshToken"])["issued"] is not None
    assert aqora.refresh_calls == 4
    assert aqora.reuse_detected == 0


@pytest.mark.serial  # timing-sensitive: runs alone
def test_hang_then_clear_answers(aqora: AqoraServer) -> None:
    s = new_session(aqora)
    aqora.set_fault("hang", ops={"viewer"})
    with pytest.raises(requests.Timeout):
        post(aqora, VIEWER, token=s["accessToken"], timeout=0.3)
    result: list[Any] = []
    t = threading.Thread(target=lambda: result.append(viewer(aqora, s["accessToken"])))
    t.start()
    time.sleep(0.2)
    assert not result
    assert refresh(aqora, s["refreshToken"])["issued"] is not None  # other ops unaffected
    aqora.set_fault(None)
    t.join(5)
    assert result[0]["data"]["viewer"]["username"] == "alice"


@pytest.mark.serial  # timing-sensitive: runs alone
def test_hang_does_not_block_stop(aqora: AqoraServer) -> None:
    aqora.set_fault("hang")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            post(aqora, VIEWER, timeout=10)
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.2)
    started = time.monotonic()
    aqora.stop()
    assert time.monotonic() - started < 2
    t.join(5)
    assert not t.is_alive()
    assert errors and isinstance(errors[0], requests.ConnectionError)


def test_down_and_up_on_the_same_port(aqora: AqoraServer) -> None:
    s = new_session(aqora)
    url, port = aqora.url, aqora.port
    aqora.stop()
    with pytest.raises(requests.ConnectionError):
        post(aqora, VIEWER, timeout=2)
    aqora.start()
    assert (aqora.url, aqora.port) == (url, port)
    assert viewer(aqora, s["accessToken"])["data"]["viewer"]["username"] == "alice"


# -- the browser flow ----------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_request(aqora: AqoraServer, tamper: bool = False) -> tuple[str, str, str]:
    key = Ed25519PrivateKey.generate()
    redirect_uri = f"{aqora.url}/oauth2/sub/{b64(key.public_key().public_bytes_raw())}"
    query = urllib.parse.urlencode(
        {"client_id": CLIENT, "state": b64(os.urandom(16)), "redirect_uri": redirect_uri}
    )
    url = f"{aqora.url}/oauth2/authorize?{query}"
    signature = b64(key.sign(url.encode()))
    if tamper:
        url += "&x=1"
    return url, signature, redirect_uri


@contextlib.contextmanager
def subscribe(aqora: AqoraServer, url: str, signature: str) -> Iterator[ClientConnection]:
    with connect(aqora.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(5)) == {"type": "connection_ack"}
        payload = {"query": REDIRECT, "variables": {"authUrl": url, "signature": signature}}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


def test_browser_flow(aqora: AqoraServer) -> None:
    url, signature, redirect_uri = browser_request(aqora)
    with subscribe(aqora, url, signature) as ws:
        assert aqora.wait_for_authorization(5) == url
        r = requests.get(url, timeout=5)  # not logged in
        assert r.status_code == 401
        r = requests.get(url, headers={"X-Test-User": "alice"}, timeout=5)
        assert (r.status_code, r.text) == (200, "approved")
        msg = json.loads(ws.recv(5))
        assert msg["type"] == "next" and msg["id"] == "1"
        code = msg["payload"]["data"]["oauth2Redirect"]["code"]
        assert json.loads(ws.recv(5)) == {"id": "1", "type": "complete"}
    assert aqora.pending_authorizations() == []
    assert token_exchange(aqora, code, LOCAL)["issued"] is None  # bound to the sub/ URI
    issued = token_exchange(aqora, code, redirect_uri)["issued"]
    assert viewer(aqora, issued["accessToken"])["data"]["viewer"]["username"] == "alice"


def test_browser_flow_python_approve_and_deny(aqora: AqoraServer) -> None:
    url, signature, _ = browser_request(aqora)
    with subscribe(aqora, url, signature) as ws:
        aqora.approve(aqora.wait_for_authorization(5))
        assert json.loads(ws.recv(5))["type"] == "next"
    url, signature, _ = browser_request(aqora)
    with subscribe(aqora, url, signature) as ws:
        aqora.deny(aqora.wait_for_authorization(5))
        msg = json.loads(ws.recv(5))
        assert msg["type"] == "error" and msg["payload"][0]["message"]


def test_browser_flow_bad_signature(aqora: AqoraServer) -> None:
    url, signature, _ = browser_request(aqora, tamper=True)
    with subscribe(aqora, url, signature) as ws:
        msg = json.loads(ws.recv(5))
        assert msg["type"] == "error" and msg["id"] == "1"
        assert "signature" in msg["payload"][0]["message"].lower()
    assert aqora.pending_authorizations() == []


# -- the fixtures and the standalone server -------------------------------------------------


def test_standalone_script() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "servers.aqora", "--lifetime", "5"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=TESTS,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = requests.post(
            f"{url}/graphql",
            json={
                "query": LOGIN,
                "variables": {"input": {"usernameOrEmail": "alice", "password": "pw"}},
            },
            headers={"Origin": url},
            timeout=5,
        )
        assert r.headers["x-access-token"]
    finally:
        proc.terminate()
        assert proc.wait(5) == 0
