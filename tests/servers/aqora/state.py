"""What the API knows: users, web sessions, authorization codes, OAuth sessions and
their tokens. Refresh tokens rotate and are single use: a rotated one coming back
means it was stolen, so the whole session is revoked. Thread-safe; no networking.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Refusal = Literal["unauthorized", "clientError"]


@dataclass
class _Session:
    id: str
    username: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class _Access:
    session: _Session
    expires_at: float


@dataclass
class _Refresh:
    session: _Session
    rotated: bool = False


@dataclass
class _Code:
    username: str
    client_id: str
    redirect_uri: str
    scope: str
    used: bool = False


class Accounts:
    """The API's state, with the controls tests use on it (see AqoraServer)."""

    def __init__(self, access_lifetime: float, token_text: Callable[[str, str], str]) -> None:
        """`token_text(prefix, unique)` is a new token's text (normally `prefix_unique`)."""
        self.access_lifetime = access_lifetime
        self.reuse_detected = 0  # rotated refresh tokens that came back
        self._accounts_lock = threading.RLock()
        self._users: dict[str, tuple[str, str, str]] = {}  # name -> (password, id, email)
        self._web_sessions: dict[str, str] = {}  # web session token -> username
        self._codes: dict[str, _Code] = {}
        self._sessions: list[_Session] = []
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._issued: set[str] = set()
        self._token_text = token_text

    # -- controls -------------------------------------------------------------------------

    def add_user(self, username: str, password: str, email: str | None = None) -> None:
        with self._accounts_lock:
            self._users[username] = (
                password,
                str(uuid.uuid4()),
                email or f"{username}@example.com",
            )

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is invalid from now on."""
        now = time.time()
        with self._accounts_lock:
            for acc in self._access.values():
                acc.expires_at = min(acc.expires_at, now)

    def revoke_sessions(self) -> None:
        """Revoke everything: OAuth sessions (access + refresh tokens) and web sessions."""
        with self._accounts_lock:
            for s in self._sessions:
                s.revoked = True
            self._web_sessions.clear()

    def is_valid_access_token(self, token: str | None) -> bool:
        return self.user_for_access_token(token) is not None

    def user_for_access_token(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._accounts_lock:
            acc = self._access.get(token)
            if acc is None or acc.session.revoked or acc.expires_at <= time.time():
                return None
            return acc.session.username

    def issued_tokens(self) -> set[str]:
        """Every access, refresh and web session token and code ever issued."""
        with self._accounts_lock:
            return set(self._issued)

    def valid_refresh_tokens(self) -> set[str]:
        with self._accounts_lock:
            return {t for t, r in self._refresh.items() if not r.rotated and not r.session.revoked}

    def valid_access_tokens(self) -> set[str]:
        with self._accounts_lock:
            return {t for t in self._access if self.is_valid_access_token(t)}

    # -- what the answers do --------------------------------------------------------------

    def knows_user(self, username: str) -> bool:
        with self._accounts_lock:
            return username in self._users

    def user_node(self, username: str) -> dict[str, Any]:
        """The `User` object of a known user."""
        with self._accounts_lock:
            _, uid, email = self._users[username]
        return {
            "__typename": "User",
            "id": uid,
            "username": username,
            "email": email,
            "displayName": username,
        }

    def log_in(self, who: str, password: str) -> tuple[str, str] | None:
        """(web session token, username) for a user name or email and its password."""
        with self._accounts_lock:
            for name, (pw, _, email) in self._users.items():
                if who in (name, email) and password == pw:
                    token = self._new("aqws")
                    self._web_sessions[token] = name
                    return token, name
        return None

    def web_user(self, token: str | None) -> str | None:
        with self._accounts_lock:
            return self._web_sessions.get(token or "")

    def new_code(self, username: str, client_id: str, redirect_uri: str, scope: str) -> str:
        """A single-use authorization code, bound to the client and redirect URI."""
        with self._accounts_lock:
            code = self._new("aqcd")
            self._codes[code] = _Code(username, client_id, redirect_uri, scope)
            return code

    def exchange(self, code: str, client_id: str, redirect_uri: str) -> dict[str, Any] | Refusal:
        """A new session's tokens for an unused code of this client and redirect URI."""
        with self._accounts_lock:
            c = self._codes.get(code)
            if c is None or c.used or (c.client_id, c.redirect_uri) != (client_id, redirect_uri):
                return "clientError"
            c.used = True
            session = _Session(str(uuid.uuid4()), c.username, c.client_id, c.scope)
            self._sessions.append(session)
            return self._issue(session)

    def rotate(self, refresh_token: str, client_id: str) -> dict[str, Any] | Refusal:
        """Fresh tokens for a refresh token, which is spent; reuse revokes the session."""
        with self._accounts_lock:
            r = self._refresh.get(refresh_token)
            if r is None or r.session.revoked:
                return "unauthorized"
            if r.session.client_id != client_id:
                return "clientError"
            if r.rotated:  # a rotated token came back: stolen; kill the whole session
                r.session.revoked = True
                self.reuse_detected += 1
                return "unauthorized"
            r.rotated = True
            return self._issue(r.session)

    # -- token machinery (lock held) ------------------------------------------------------

    def _new(self, prefix: str) -> str:
        tok = self._token_text(prefix, secrets.token_hex(16))
        self._issued.add(tok)
        return tok

    def _issue(self, session: _Session) -> dict[str, Any]:
        access, refresh = self._new("aqat"), self._new("aqrt")
        lifetime = float(self.access_lifetime)
        self._access[access] = _Access(session, time.time() + lifetime)
        self._refresh[refresh] = _Refresh(session)
        return {
            "accessToken": access,
            "refreshToken": refresh,
            "expiresIn": int(lifetime),
            "scope": session.scope,
        }
