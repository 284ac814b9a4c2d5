"""The browser login flow of the official CLI (aqora-api.md, "Browser flow").

An Ed25519 key pair signs the authorize URL, whose redirect URI carries the public key;
the `oauth2Redirect` subscription (graphql-transport-ws) then delivers the code once the
user approves in the browser, and `oauth2Token` trades it for the session. Nothing is
stored before the very end, and that last step is shielded from Ctrl-C, so an
interrupted or failed login leaves nothing behind.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import threading
import time
import webbrowser
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

from .. import __version__
from ..fast.redaction import server_text
from .api import Api
from .deadline import is_loopback_url
from .errors import LoginFailed, ServerUnreachable, UnexpectedResponse
from .log import logger, register_secret
from .login import client_id, storage_for_login, store_new_session
from .settings import Environment, Settings

PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = """subscription Oauth2RedirectSubscription($authUrl: Url!, $signature: String!) {
  oauth2Redirect(input: { authorizationUrl: $authUrl, signature: $signature }) { code }
}"""
SUBSCRIPTION_ID = "1"
PRINT_URL_AFTER = 5.0
POLL = 0.2
MAX_MESSAGE = 64 * 1024
MAX_SERVER_TEXT = 200


@dataclass(frozen=True)
class Authorization:
    """A signed authorize URL and what the code exchange needs."""

    url: str
    redirect_uri: str
    client_id: str
    signature: str


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The Ed25519 signature of `data`."""
    return key.sign(data)


def new_authorization(env_url: str, cid: str) -> Authorization:
    """A fresh key pair and state; the authorize URL signed with the private key."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    base = env_url.rstrip("/")
    redirect_uri = f"{base}/oauth2/sub/{b64url(public)}"
    state = b64url(secrets.token_bytes(16))
    query = urlencode({"client_id": cid, "state": state, "redirect_uri": redirect_uri})
    url = f"{base}/oauth2/authorize?{query}"
    return Authorization(url, redirect_uri, cid, b64url(sign(key, url.encode())))


def browser_login_command(
    settings: Settings, env: Environment, insecure_storage: bool, open_browser: bool = True
) -> str:
    """Run the browser flow; returns where the session is stored."""
    vault = storage_for_login(settings, insecure_storage)
    cid = client_id()
    authorization = new_authorization(env.url, cid)
    announcer = Announcer(env.url, authorization.url, open_browser and browser_available())
    try:
        code = wait_for_code(settings, env, authorization, announcer)
        issued = Api(env.url, settings.timeouts).exchange_code(
            code, cid, authorization.redirect_uri
        )
    except KeyboardInterrupt:
        _say("Login cancelled: nothing was stored.")
        raise
    return store_new_session(settings, env, vault, issued, cid)


def browser_available() -> bool:
    """False when no graphical browser can be opened (headless, SSH, console only)."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return False
    console = type(controller) is webbrowser.GenericBrowser or (
        isinstance(controller, webbrowser.UnixBrowser) and not controller.background
    )
    return not console


class Announcer:
    """Opens the browser (in a thread: some browsers block) and prints the URL at once
    when there is none, or after PRINT_URL_AFTER seconds."""

    def __init__(self, env_url: str, url: str, open_browser: bool) -> None:
        self.env_url = env_url
        self.url = url
        self.open_browser = open_browser
        self.failed = threading.Event()
        self.started = 0.0
        self.shown = False

    def start(self, wait: float) -> None:
        """Called once the subscription is open."""
        self.started = time.monotonic()
        if self.open_browser:
            _say(f"Opening the browser to log in to {self.env_url} ...")
            threading.Thread(target=self._open, name="aqora-browser", daemon=True).start()
        else:
            self.show("Open this URL in a browser to log in to " + self.env_url + ":")
        _say(f"Waiting up to {wait:g} s for the login to be approved (Ctrl-C to cancel).")

    def _open(self) -> None:
        try:
            opened = webbrowser.open(self.url)
        except Exception:
            opened = False
        if not opened:
            self.failed.set()

    def tick(self) -> None:
        """Print the URL once the browser failed or PRINT_URL_AFTER has passed."""
        if self.shown or not self.open_browser:
            return
        if self.failed.is_set() or time.monotonic() - self.started >= PRINT_URL_AFTER:
            self.show("If the browser did not open, visit this URL:")

    def show(self, intro: str) -> None:
        self.shown = True
        _say(f"{intro}\n\n    {self.url}\n")


def ws_url(env_url: str) -> str:
    """`ws(s)://<host>/graphql` for an environment."""
    parts = urlsplit(env_url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/graphql"


def wait_for_code(
    settings: Settings, env: Environment, authorization: Authorization, announcer: Announcer
) -> str:
    """Subscribe to `oauth2Redirect` and wait (bounded) for the code."""
    wait = settings.timeouts.login
    deadline = time.monotonic() + wait
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(env.url))
    proxy: Literal[True] | None = None if is_loopback_url(env.url) else True
    try:
        with connect(
            ws_url(env.url),
            subprotocols=[Subprotocol(PROTOCOL)],
            origin=Origin(origin),
            user_agent_header=f"aqora-helper/{__version__}",
            proxy=proxy,  # never a proxy for loopback: plain ws:// carries the login
            open_timeout=settings.timeouts.connect,
            close_timeout=2,
            max_size=MAX_MESSAGE,
            create_connection=_NoRedirects,
        ) as ws:
            _handshake(ws, env, min(settings.timeouts.read, wait))
            variables = {"authUrl": authorization.url, "signature": authorization.signature}
            payload = {
                "query": SUBSCRIPTION,
                "variables": variables,
                "operationName": "Oauth2RedirectSubscription",
            }
            ws.send(json.dumps({"id": SUBSCRIPTION_ID, "type": "subscribe", "payload": payload}))
            announcer.start(wait)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LoginFailed(
                        f"The browser login was not approved within {wait:g} s",
                        "Run 'aqora-helper login' again and approve it in the browser "
                        "('timeouts.login' in the config file sets the wait), or use "
                        "'aqora-helper login --interactive'.",
                    )
                announcer.tick()
                try:
                    raw = ws.recv(timeout=min(POLL, remaining))
                except TimeoutError:
                    continue
                code = _code_from(ws, _message(raw, env), env)
                if code is not None:
                    return code
    except ConnectionClosed:
        raise LoginFailed(
            f"{env.url} closed the login connection before the login was approved",
            "Run 'aqora-helper login' again.",
        ) from None
    except RedirectRefused as exc:
        raise UnexpectedResponse(
            env.url,
            f"the login websocket answered with a redirect (HTTP {exc.status}), "
            "which is never followed",
        ) from None
    except InvalidHandshake as exc:
        raise UnexpectedResponse(
            env.url, f"the login websocket was refused ({type(exc).__name__})"
        ) from None
    except TimeoutError:
        raise ServerUnreachable(env.url, "the login websocket timed out") from None
    except OSError as exc:
        raise ServerUnreachable(env.url, exc.strerror or type(exc).__name__) from None


class RedirectRefused(InvalidHandshake):
    """The websocket handshake was answered with a redirect (3xx)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"redirect (HTTP {status}) refused")
        self.status = status


class _NoRedirects(ClientConnection):
    """The login connection: a redirect answer to its handshake ends it. (websockets
    follows redirects, to other hosts too; whoever got the subscription, which carries
    the signed authorize URL and its signature, would receive the login's code.)"""

    def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().handshake(*args, **kwargs)
        except InvalidStatus as exc:
            if 300 <= exc.response.status_code < 400:
                raise RedirectRefused(exc.response.status_code) from None
            raise


def _handshake(ws: ClientConnection, env: Environment, timeout: float) -> None:
    ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        message = _message(ws.recv(timeout=remaining), env)
        if message.get("type") == "connection_ack":
            return
        if message.get("type") == "ping":
            ws.send(json.dumps({"type": "pong"}))


def _message(raw: str | bytes, env: Environment) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except ValueError:
        raise UnexpectedResponse(env.url, "the login websocket sent something not JSON") from None
    if not isinstance(message, dict):
        raise UnexpectedResponse(env.url, "the login websocket sent a non-object")
    return message


def _code_from(ws: ClientConnection, message: dict[str, Any], env: Environment) -> str | None:
    """The code in a `next` message; raises on `error`/`complete`; None otherwise."""
    kind = message.get("type")
    if kind == "ping":
        ws.send(json.dumps({"type": "pong"}))
        return None
    if message.get("id") != SUBSCRIPTION_ID:
        return None
    payload = message.get("payload")
    if kind == "error":
        raise _refused(env, payload)
    if kind == "complete":
        raise LoginFailed(
            f"{env.url} ended the login without a code", "Run 'aqora-helper login' again."
        )
    if kind != "next" or not isinstance(payload, dict):
        return None
    if payload.get("errors"):
        raise _refused(env, payload["errors"])
    data = payload.get("data")
    result = data.get("oauth2Redirect") if isinstance(data, dict) else None
    code = result.get("code") if isinstance(result, dict) else None
    if not isinstance(code, str) or not code:
        raise UnexpectedResponse(env.url, "the login subscription sent no code")
    register_secret(code)
    logger.debug("browser login approved")
    return code


def _refused(env: Environment, errors: Any) -> LoginFailed:
    first = errors[0] if isinstance(errors, list) and errors else {}
    text = first.get("message") if isinstance(first, dict) else None
    detail = server_text(text, MAX_SERVER_TEXT) if text else "no reason given"
    return LoginFailed(
        f"{env.url} refused the browser login: {detail}",
        "Run 'aqora-helper login' again; if it keeps failing, use "
        "'aqora-helper login --interactive' and report it with 'aqora-helper doctor' output.",
    )


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
