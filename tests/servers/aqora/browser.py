"""The browser login's server side: the signed authorization URL is checked, and each
open `oauth2Redirect` subscription waits until the "browser" approves or denies it.
"""

from __future__ import annotations

import asyncio
import base64
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from graphql import GraphQLError

SUB_PREFIX = "/oauth2/sub/"
Outcome = tuple[str, str]  # ("approve", username) or ("deny", message)


@dataclass(frozen=True)
class Request:
    """What a signed authorization URL asks for."""

    url: str
    client_id: str
    state: str
    redirect_uri: str


@dataclass
class _Pending:
    request: Request
    future: asyncio.Future[Outcome]
    ws: Any
    sub_id: str


def verify(auth_url: str, signature: str, host: str) -> Request:
    """The request of an authorization URL for this server, signed with the private key
    whose public half ends its redirect_uri (`<server>/oauth2/sub/<public key>`)."""
    parts = urllib.parse.urlsplit(auth_url)
    if parts.scheme not in ("http", "https") or parts.path != "/oauth2/authorize":
        raise GraphQLError(f"Invalid authorization URL: {auth_url}")
    if parts.netloc != host:
        raise GraphQLError(f"authorization URL is not for this server ({host}): {auth_url}")
    q = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    vals: dict[str, str] = {}
    for name in ("client_id", "state", "redirect_uri"):
        if len(q.get(name, [])) != 1 or not q[name][0]:
            raise GraphQLError(f"authorization URL needs exactly one {name}")
        vals[name] = q[name][0]
    red = urllib.parse.urlsplit(vals["redirect_uri"])
    if (red.scheme, red.netloc) != (parts.scheme, parts.netloc) or not red.path.startswith(
        SUB_PREFIX
    ):
        raise GraphQLError(
            f"redirect_uri must be {parts.scheme}://{parts.netloc}{SUB_PREFIX}<public key>"
        )
    if red.query or red.fragment:
        raise GraphQLError("redirect_uri must have no query or fragment")
    try:
        key = Ed25519PublicKey.from_public_bytes(_b64url_nopad(red.path[len(SUB_PREFIX) :]))
        key.verify(_b64url_nopad(signature), auth_url.encode())
    except (ValueError, InvalidSignature) as e:
        raise GraphQLError("Invalid signature", extensions={"code": "INVALID_SIGNATURE"}) from e
    return Request(auth_url, vals["client_id"], vals["state"], vals["redirect_uri"])


def _b64url_nopad(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authorizations:
    """The open subscriptions, each waiting for its outcome. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}

    async def wait(self, request: Request, ws: Any, sub_id: str) -> Outcome:
        """Wait until the request is approved or denied (cancelled: CancelledError)."""
        pending = _Pending(request, asyncio.get_running_loop().create_future(), ws, sub_id)
        with self._lock:
            self._pending[id(pending)] = pending
        try:
            return await pending.future
        finally:
            with self._lock:
                self._pending.pop(id(pending), None)

    def urls(self) -> list[str]:
        with self._lock:
            return [p.request.url for p in self._pending.values()]

    def wait_for_one(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            urls = self.urls()
            if urls:
                return urls[0]
            if time.monotonic() > deadline:
                raise TimeoutError("no oauth2Redirect subscription opened")
            time.sleep(0.02)

    def settle(self, authorization_url: str, outcome: Outcome) -> None:
        """Give the subscription of this URL (same client, state, redirect) its outcome."""
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
        key = (q.get("client_id"), q.get("state"), q.get("redirect_uri"))
        with self._lock:
            found = [
                p
                for p in self._pending.values()
                if (p.request.client_id, p.request.state, p.request.redirect_uri) == key
            ]
        if not found:
            raise KeyError(f"no open subscription for {authorization_url}")
        future = found[0].future

        def settle() -> None:
            if not future.done():
                future.set_result(outcome)

        future.get_loop().call_soon_threadsafe(settle)

    def cancel(self, ws: Any = None, sub_id: str | None = None) -> None:
        """Cancel the subscriptions of this websocket (and id); all of them by default.
        Call on the server's loop."""
        with self._lock:
            chosen = [
                p
                for p in self._pending.values()
                if (ws is None or p.ws is ws) and (sub_id is None or p.sub_id == sub_id)
            ]
            for p in chosen:
                self._pending.pop(id(p), None)
        for p in chosen:
            if not p.future.done():
                p.future.cancel()
