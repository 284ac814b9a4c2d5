"""The Python API (`aqora_helper.get_token`, `AqoraAuth`, `AqoraHttpxAuth`) and
`aqora-helper token --min-ttl`, against the aqora stand-in and a resource server that
accepts only the tokens the stand-in says are valid.

The API runs in this process with the environment of `user_env` (monkeypatched); the
CLI runs as a subprocess in the same environment.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests

import aqora_helper
from support import (
    assert_clean_failure,
    describe,
    heavy_modules_loaded,
    run_cmd,
    run_entry_point,
    use_env,
    write_config,
)


class Resource:
    """A local HTTP server: `/resource` answers 200 to a valid aqora token, else 401;
    `/redirect?to=URL` answers 302 to URL. Records the Authorization header of every
    request, in order."""

    def __init__(self, aqora) -> None:
        self.seen: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                header = self.headers.get("Authorization")
                owner.seen.append(header)
                if self.path.startswith("/redirect?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path.split("=", 1)[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                token = (
                    header[len("Bearer ") :] if header and header.startswith("Bearer ") else None
                )
                ok = aqora.is_valid_access_token(token)
                body = b"ok" if ok else b"unauthorized"
                self.send_response(200 if ok else 401)
                if not ok:
                    self.send_header("WWW-Authenticate", 'Bearer realm="resource"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/resource", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def resource(aqora) -> Iterator[Resource]:
    server = Resource(aqora)
    yield server
    server.stop()


@pytest.fixture
def other(aqora) -> Iterator[Resource]:
    """Another host (another port): never served."""
    server = Resource(aqora)
    yield server
    server.stop()


@pytest.fixture
def api(aqora, user_env, login, resource, monkeypatch) -> dict[str, str]:
    """Logged in to the stand-in, whose environment serves the resource host; this
    process runs with `user_env`."""
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{resource.port}"]\n',
    )
    login()
    use_env(monkeypatch, user_env)
    return user_env


def cli_token(user_env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", "token", *extra], user_env)


# -- importing ------------------------------------------------------------------------


def python(*lines: str) -> str:
    """stdout of a fresh interpreter running `lines`; asserts it succeeded."""
    proc = subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_importing_aqora_helper_loads_neither_typer_nor_requests() -> None:
    out = python(
        "import json, sys",
        "import aqora_helper",
        "first = sorted(sys.modules)",
        "aqora_helper.get_token, aqora_helper.AqoraHelperError",
        "print(json.dumps([first, sorted(sys.modules)]))",
    )
    on_import, with_get_token = json.loads(out)
    heavy = ("typer", "click", "rich", "requests", "httpx", "pydantic", "keyring")
    for loaded in (on_import, with_get_token):
        found = [
            m for m in loaded if m.split(".")[0] in heavy or m.startswith("aqora_helper.engine")
        ]
        assert found == []
    assert "aqora_helper.client.tokens" in with_get_token
    assert not any(m.startswith("aqora_helper.") for m in on_import)


def test_the_httpx_auth_without_httpx_is_a_clear_error() -> None:
    out = python(
        "import sys",
        "sys.modules['httpx'] = None",
        "import aqora_helper",
        "try:",
        "    aqora_helper.AqoraHttpxAuth",
        "except aqora_helper.AqoraHelperError as e:",
        "    print(e.message); print(e.hint)",
    )
    assert "needs httpx" in out
    assert "aqora-helper[httpx]" in out


# -- get_token ------------------------------------------------------------------------


def test_get_token_equals_the_cli_token(aqora, api) -> None:
    printed = cli_token(api)
    assert printed.returncode == 0, describe(printed)
    assert aqora_helper.get_token() == printed.stdout.strip()
    assert aqora_helper.get_token(aqora.url) == printed.stdout.strip()
    assert aqora.is_valid_access_token(aqora_helper.get_token())
    assert aqora.refresh_calls == 0


def test_every_get_token_failure_is_an_aqora_helper_error(aqora, user_env, monkeypatch) -> None:
    use_env(monkeypatch, user_env)
    with pytest.raises(aqora_helper.AqoraHelperError) as not_logged_in:
        aqora_helper.get_token(aqora.url)
    assert "Not logged in" in not_logged_in.value.message
    assert "aqora-helper login" in not_logged_in.value.hint
    for bad in (-1, 8 * 86400, "1h", True):
        with pytest.raises(aqora_helper.AqoraHelperError) as wrong:
            aqora_helper.get_token(aqora.url, min_ttl=bad)  # type: ignore[arg-type]
        assert "min_ttl" in wrong.value.message and wrong.value.hint
    with pytest.raises(aqora_helper.AqoraHelperError):
        aqora_helper.get_token("ftp://example.com")


# -- min-ttl ----------------------------------------------------------------------------


def test_min_ttl_refreshes_exactly_when_needed(aqora, api) -> None:
    """Login issued a token living 1 h. 50m: enough left, no refresh (and answered by
    the fast path). 90m: refreshed once (tokens now live 2 h), then no more. 3h: longer
    than the server's tokens live: a clear error after the one refresh that showed it."""
    first = run_entry_point(
        "aqora_helper.__main__", ["aqora-helper", "token", "--min-ttl", "50m"], api
    )
    assert first.returncode == 0, describe(first)
    assert heavy_modules_loaded(first) == []
    assert aqora_helper.get_token(min_ttl=3000) == first.stdout.strip()
    assert aqora.refresh_calls == 0

    aqora.access_lifetime = 7200
    longer = cli_token(api, "--min-ttl", "90m", "--format", "json")
    assert longer.returncode == 0, describe(longer)
    assert aqora.refresh_calls == 1
    fresh = json.loads(longer.stdout)["access_token"]
    assert fresh != first.stdout.strip() and aqora.is_valid_access_token(fresh)
    assert cli_token(api, "--min-ttl=5400").stdout.strip() == fresh
    assert aqora_helper.get_token(min_ttl=timedelta(minutes=90)) == fresh
    assert cli_token(api).stdout.strip() == fresh
    through_typer = run_cmd(
        ["aqora-helper", "--allow-insecure-host", "token", "--min-ttl", "1h"], api
    )
    assert through_typer.stdout.strip() == fresh, describe(through_typer)
    assert aqora.refresh_calls == 1

    too_long = cli_token(api, "--min-ttl", "3h")
    assert_clean_failure(too_long, "live shorter than asked", "10800 s")
    assert aqora.refresh_calls == 2
    with pytest.raises(aqora_helper.AqoraHelperError) as error:
        aqora_helper.get_token(min_ttl=3 * 3600)
    assert "live shorter than asked" in error.value.message
    assert aqora.refresh_calls == 3


def test_a_bad_min_ttl_is_a_usage_error_and_changes_nothing(aqora, api) -> None:
    for bad in ("5x", "-1", "8d", "", "1h30"):
        proc = cli_token(api, "--min-ttl", bad)
        assert proc.returncode == 2, describe(proc)
        assert proc.stdout == ""
    assert aqora.refresh_calls == 0


# -- requests ---------------------------------------------------------------------------


def test_requests_auth_gets_200_and_recovers_from_a_revoked_token(aqora, api, resource) -> None:
    session = requests.Session()
    session.auth = aqora_helper.AqoraAuth()
    first = session.get(resource.url())
    assert first.status_code == 200
    token = first.request.headers["Authorization"]
    aqora.expire_access_tokens()  # the server drops it; the cache still trusts it
    second = session.get(resource.url())
    assert second.status_code == 200
    assert aqora.refresh_calls == 1
    assert [r.status_code for r in second.history] == [401]
    assert resource.seen == [token, token, second.request.headers["Authorization"]]
    assert second.request.headers["Authorization"] != token
    assert session.get(resource.url()).status_code == 200
    assert aqora.refresh_calls == 1


def test_requests_auth_gives_up_after_one_retry(aqora, api, resource) -> None:
    """A server that refuses every token: one refresh, one retry, then the 401."""
    aqora.access_lifetime = -1  # every token the stand-in issues is already expired
    aqora.expire_access_tokens()
    response = requests.get(resource.url(), auth=aqora_helper.AqoraAuth())
    assert response.status_code == 401
    assert aqora.refresh_calls == 1
    assert len(resource.seen) == 2


def test_an_aqora_token_from_the_environment_is_never_retried(
    aqora, api, resource, monkeypatch
) -> None:
    """AQORA_TOKEN is used as is: a 401 to it has no fresh token to retry with."""
    monkeypatch.setenv("AQORA_TOKEN", "aqat_set_by_hand_0123456789")
    assert aqora_helper.get_token() == "aqat_set_by_hand_0123456789"
    assert requests.get(resource.url(), auth=aqora_helper.AqoraAuth()).status_code == 401
    with httpx.Client(auth=aqora_helper.AqoraHttpxAuth()) as client:
        assert client.get(resource.url()).status_code == 401
    assert resource.seen == ["Bearer aqat_set_by_hand_0123456789"] * 2
    assert aqora.refresh_calls == 0


def test_requests_auth_sends_the_token_only_to_served_hosts(aqora, api, resource, other) -> None:
    auth = aqora_helper.AqoraAuth()
    assert requests.get(other.url(), auth=auth).status_code == 401
    assert requests.get(resource.url(host="localhost"), auth=auth).status_code == 401
    assert other.seen == [None]
    assert resource.seen == [None]  # localhost:PORT is not the served 127.0.0.1:PORT
    assert requests.get(resource.url(), auth=auth).status_code == 200


class LenientSession(requests.Session):
    """A session whose redirect policy would keep every header on every host."""

    def rebuild_auth(self, prepared_request, response) -> None:
        return None


@pytest.mark.parametrize("session_type", [requests.Session, LenientSession])
def test_requests_auth_never_follows_a_redirect_to_another_host(
    aqora, api, resource, other, session_type
) -> None:
    session = session_type()
    session.auth = aqora_helper.AqoraAuth()
    away = session.get(resource.url("/redirect?to=" + other.url()))
    assert away.status_code == 401
    assert [r.status_code for r in away.history] == [302]
    assert resource.seen[0] is not None
    assert other.seen == [None]
    same_host = session.get(resource.url("/redirect?to=/resource"))
    assert same_host.status_code == 200  # a redirect on the same host keeps it
    assert aqora.refresh_calls == 0


# -- httpx ------------------------------------------------------------------------------


def test_httpx_auth_sync(aqora, api, resource, other) -> None:
    with httpx.Client(auth=aqora_helper.AqoraHttpxAuth(), follow_redirects=True) as client:
        assert client.get(resource.url()).status_code == 200
        token = resource.seen[-1]
        aqora.expire_access_tokens()
        recovered = client.get(resource.url())
        assert recovered.status_code == 200
        assert aqora.refresh_calls == 1
        assert resource.seen[1:] == [token, recovered.request.headers["Authorization"]]
        assert recovered.request.headers["Authorization"] != token
        away = client.get(resource.url("/redirect?to=" + other.url()))
        assert away.status_code == 401
        assert client.get(other.url()).status_code == 401
        assert client.get(resource.url(host="localhost")).status_code == 401
    assert other.seen == [None, None]
    assert resource.seen[-1] is None
    assert aqora.refresh_calls == 1


def test_httpx_auth_async(aqora, api, resource, other) -> None:
    async def scenario() -> tuple[int, int, int, int]:
        auth = aqora_helper.AqoraHttpxAuth()
        async with httpx.AsyncClient(auth=auth, follow_redirects=True) as client:
            first = (await client.get(resource.url())).status_code
            aqora.expire_access_tokens()
            recovered = (await client.get(resource.url())).status_code
            away = (await client.get(resource.url("/redirect?to=" + other.url()))).status_code
            unserved = (await client.get(other.url())).status_code
        return first, recovered, away, unserved

    assert asyncio.run(scenario()) == (200, 200, 401, 401)
    assert aqora.refresh_calls == 1
    assert len(resource.seen) == 4  # 200, 401, 200 (the one retry), the redirect
    assert resource.seen[1] != resource.seen[2]
    assert other.seen == [None, None]
