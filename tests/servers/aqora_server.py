"""A local stand-in for the aqora.io API, following /work/shared/docs/aqora-api.md.

One port serves `POST /graphql` (GraphQL over HTTP), the `graphql-transport-ws`
websocket at `/graphql` (the `oauth2Redirect` subscription of the browser login), and
`GET /oauth2/authorize?...` (the "browser": send `X-Test-User: alice` to approve).

    with AqoraServer() as aqora:          # user alice / pw
        aqora.url                         # http://127.0.0.1:PORT
        aqora.is_valid_access_token(tok)  # thread-safe, for the other test servers

The server runs aiohttp in its own event loop on a background thread. Its state (users,
sessions, tokens, counters) lives on the object and survives stop()/start(), which
re-binds the same port ("the API was down for a moment").

Standalone: `python tests/servers/aqora_server.py [--port N] [--lifetime S]`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import re
import secrets
import signal
import socket
import threading
import time
import urllib.parse
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

OPERATIONS = (
    "loginUser",
    "oauth2Authorize",
    "oauth2Token",
    "oauth2Refresh",
    "viewer",
    "oauth2Redirect",
)
FAULT_MODES = (
    "500",
    "nonjson",
    "hang",
    "graphql-error",
    "invalid-authorization",
    "unauthorized",
    "clientError",
    "echo-secrets",
    "drip",
    "huge",
    "huge-declared",
    "huge-gzip",
)
HUGE_FAULTS = ("huge", "huge-declared", "huge-gzip")
EXPIRES_IN_MARK = "@@expiresIn@@"
TOKEN_KINDS = {"access": "aqat", "refresh": "aqrt", "web": "aqws", "code": "aqcd"}
WS_PROTOCOL = "graphql-transport-ws"

# ---------------------------------------------------------------------------------------
# The slice of the schema the helper uses: type -> field -> type (None = scalar).

SCHEMA: dict[str, dict[str, str | None]] = {
    "User": {"id": None, "username": None, "email": None, "displayName": None},
    "UserEdge": {"node": "User", "cursor": None},
    "Oauth2AuthorizeOutput": {"unauthorized": None, "clientError": None, "redirectUri": None},
    "Oauth2TokenOutput": {"issued": "Oauth2Token", "clientError": None, "unauthorized": None},
    "Oauth2Token": {
        "accessToken": None,
        "refreshToken": None,
        "expiresIn": None,
        "scope": None,
    },
    "Oauth2RedirectOutput": {"code": None},
}
ROOT_FIELDS: dict[str, tuple[str, str]] = {  # field -> (operation type, return type)
    "loginUser": ("mutation", "UserEdge"),
    "oauth2Authorize": ("mutation", "Oauth2AuthorizeOutput"),
    "oauth2Token": ("mutation", "Oauth2TokenOutput"),
    "oauth2Refresh": ("mutation", "Oauth2TokenOutput"),
    "viewer": ("query", "User"),
    "oauth2Redirect": ("subscription", "Oauth2RedirectOutput"),
}


class GraphQLError(Exception):
    def __init__(self, message: str, code: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path

    def as_dict(self) -> dict[str, Any]:
        err: dict[str, Any] = {"message": self.message}
        if self.path:
            err["path"] = [self.path]
        if self.code:
            err["extensions"] = {"code": self.code}
        return err


# ---------------------------------------------------------------------------------------
# A tiny GraphQL reader: one operation, one root field, arguments, selection sets.

_TOKEN_RE = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$():=@\[\]{}|&])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
    """,
    re.VERBOSE,
)


@dataclass
class Selection:
    name: str
    alias: str
    arguments: dict[str, Any]
    children: list[Selection] | None


@dataclass
class Operation:
    kind: str  # query | mutation | subscription
    root: Selection


class _Var:
    def __init__(self, name: str):
        self.name = name


def _tokenize(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise GraphQLError(f"Syntax Error: unexpected character {text[pos]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "skip":
            out.append((kind, m.group()))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise GraphQLError("Syntax Error: unexpected end of document")
        tok = self.toks[self.i]
        if expected is not None and tok[1] != expected:
            raise GraphQLError(f"Syntax Error: expected {expected!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def name(self) -> str:
        kind, text = self.take()
        if kind != "name":
            raise GraphQLError(f"Syntax Error: expected a name, found {text!r}")
        return text

    def document(self) -> Operation:
        kind = "query"
        if self.peek() in ("query", "mutation", "subscription"):
            kind = self.take()[1]
            if self.peek() not in ("(", "{", "@"):
                self.name()
            if self.peek() == "(":  # variable definitions: skipped, not checked
                depth = 0
                while True:
                    t = self.take()[1]
                    depth += t == "("
                    depth -= t == ")"
                    if depth == 0:
                        break
        elif self.peek() == "fragment":
            raise GraphQLError("fragments are not supported by the stand-in")
        roots = self.selection_set()
        if self.i != len(self.toks):
            raise GraphQLError("the stand-in accepts exactly one operation per document")
        if len(roots) != 1:
            raise GraphQLError("the stand-in accepts exactly one root field per operation")
        return Operation(kind, roots[0])

    def selection_set(self) -> list[Selection]:
        self.take("{")
        out: list[Selection] = []
        while self.peek() != "}":
            if self.peek() == "...":
                raise GraphQLError("fragments are not supported by the stand-in")
            first = self.name()
            alias, name = first, first
            if self.peek() == ":":
                self.take(":")
                name = self.name()
            args: dict[str, Any] = {}
            if self.peek() == "(":
                self.take("(")
                while self.peek() != ")":
                    key = self.name()
                    self.take(":")
                    args[key] = self.value()
                self.take(")")
            if self.peek() == "@":
                raise GraphQLError("directives are not supported by the stand-in")
            children = self.selection_set() if self.peek() == "{" else None
            out.append(Selection(name, alias, args, children))
        self.take("}")
        if not out:
            raise GraphQLError("Syntax Error: empty selection set")
        return out

    def value(self) -> Any:
        kind, text = self.take()
        if text == "$":
            return _Var(self.name())
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return json.loads(text)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)
        if text == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            obj = {}
            while self.peek() != "}":
                key = self.name()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        raise GraphQLError(f"Syntax Error: unexpected {text!r}")


def _resolve_vars(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, _Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_resolve_vars(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_vars(v, variables) for k, v in value.items()}
    return value


def parse_operation(
    query: str, variables: dict[str, Any] | None
) -> tuple[Operation, dict[str, Any]]:
    """Parse a document; return the operation and the root field's resolved arguments."""
    op = _Parser(query).document()
    root = op.root
    if root.name not in ROOT_FIELDS:
        raise GraphQLError(f'Unknown field "{root.name}"')
    want_kind, rtype = ROOT_FIELDS[root.name]
    if op.kind != want_kind:
        raise GraphQLError(f'"{root.name}" is a {want_kind} field, not a {op.kind} one')
    _check_selection(root.children, rtype, root.name)
    return op, _resolve_vars(root.arguments, variables or {})


def _check_selection(children: list[Selection] | None, tname: str, where: str) -> None:
    if children is None:
        raise GraphQLError(f'Field "{where}" of type "{tname}" must have a selection of subfields')
    for sel in children:
        if sel.name == "__typename":
            continue
        fields = SCHEMA[tname]
        if sel.name not in fields:
            raise GraphQLError(f'Unknown field "{sel.name}" on type "{tname}"')
        sub = fields[sel.name]
        if sub is None:
            if sel.children is not None:
                raise GraphQLError(f'Field "{sel.name}" must not have a selection')
        else:
            _check_selection(sel.children, sub, sel.name)


def project(value: Any, children: list[Selection] | None, tname: str) -> Any:
    """Keep only the selected fields (what a real GraphQL server answers)."""
    if value is None or children is None:
        return value
    out: dict[str, Any] = {}
    for sel in children:
        if sel.name == "__typename":
            out[sel.alias] = tname
            continue
        sub = SCHEMA[tname][sel.name]
        v = value.get(sel.name)
        out[sel.alias] = v if sub is None else project(v, sel.children, sub)
    return out


def _b64url_nopad_decode(text: str) -> bytes:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------------------------------
# State.


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


@dataclass
class _Pending:
    authorization_url: str
    client_id: str
    state: str
    redirect_uri: str
    future: asyncio.Future[tuple[str, str]]
    sub_id: str = ""
    children: list[Selection] | None = None
    ws: Any = None


@dataclass
class _Fault:
    mode: str
    ops: frozenset[str] | None

    def applies(self, op: str | None) -> bool:
        return self.ops is None or (op is not None and op in self.ops)


@dataclass
class _Loop:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    runner: web.AppRunner | None = None
    hangs: set[asyncio.Future[None]] = field(default_factory=set)  # released by set_fault
    sleeps: set[asyncio.Future[None]] = field(default_factory=set)  # refresh_delay
    websockets: set[web.WebSocketResponse] = field(default_factory=set)


class AqoraServer:
    """The aqora API stand-in. See the module docstring."""

    def __init__(self, port: int = 0, access_lifetime: float = 3600.0):
        self.port = port
        self.access_lifetime = access_lifetime
        self.refresh_delay = 0.0
        self.refresh_hook: Callable[[], Any] | None = None
        self.refresh_calls = 0
        self.reuse_detected = 0
        self.last_user_agent: str | None = None
        self.op_counts: collections.Counter[str] = collections.Counter()
        self.requests: list[dict[str, Any]] = []  # {op, authorization, user_agent, origin}
        self.drip_interval = 2.0  # "drip": seconds between two bytes of the answer
        self.huge_bytes = 50 * 1024 * 1024  # "huge*": size of the (uncompressed) answer
        self.huge_sent = 0  # bytes the last "huge*" answer got onto the wire
        self.drips_done = 0  # "drip" answers sent to their end
        self._token_text: dict[str, str] = {}  # prefix -> template (see set_token_text)
        self._expires_in_literal: str | None = None

        self._lock = threading.RLock()
        self._users: dict[str, tuple[str, str, str]] = {}  # name -> (password, id, email)
        self._web_sessions: dict[str, str] = {}  # web session token -> username
        self._codes: dict[str, _Code] = {}
        self._sessions: list[_Session] = []
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._issued: set[str] = set()
        self._fault: _Fault | None = None
        self._pending: dict[int, _Pending] = {}
        self._run: _Loop | None = None
        self.add_user("alice", "pw")

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def running(self) -> bool:
        return self._run is not None

    def start(self, port: int | None = None) -> AqoraServer:
        if self._run is not None:
            return self
        if port is not None:
            self.port = port
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.close()

        thread = threading.Thread(target=run, name=f"aqora-stand-in:{self.port}", daemon=True)
        thread.start()
        ready.wait()
        self._run = _Loop(loop, thread)
        try:
            asyncio.run_coroutine_threadsafe(self._astart(sock), loop).result(timeout=10)
        except BaseException:
            self.stop()
            sock.close()
            raise
        return self

    async def _astart(self, sock: socket.socket) -> None:
        assert self._run is not None
        app = web.Application()
        app.router.add_post("/graphql", self._handle_post)
        app.router.add_get("/graphql", self._handle_ws)
        app.router.add_get("/oauth2/authorize", self._handle_browser)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._run.runner = runner

    def stop(self) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._astop(run), run.loop).result(timeout=10)
        run.loop.call_soon_threadsafe(run.loop.stop)
        run.thread.join(timeout=10)

    async def _astop(self, run: _Loop) -> None:
        for fut in [*run.hangs, *run.sleeps]:
            if not fut.done():
                fut.set_result(None)
        with self._lock:
            pendings = list(self._pending.values())
            self._pending.clear()
        for p in pendings:
            if not p.future.done():
                p.future.cancel()
        for ws in list(run.websockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server stopping")
        if run.runner is not None:
            await run.runner.cleanup()

    def __enter__(self) -> AqoraServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ------------------------------------------------------------------

    def add_user(self, username: str, password: str, email: str | None = None) -> None:
        with self._lock:
            self._users[username] = (
                password,
                str(uuid.uuid4()),
                email or f"{username}@example.com",
            )

    def set_fault(self, mode: str | None, ops: Iterable[str] | None = None) -> None:
        """Make requests fail: "500", "nonjson", "hang", "graphql-error",
        "invalid-authorization" (a GraphQL error with that code), "unauthorized",
        "clientError", "echo-secrets" (a GraphQL error echoing every string variable and
        the bearer token), "drip" (the normal answer, after the operation ran, sent one
        byte every `drip_interval` s, status line and headers included), "huge",
        "huge-declared", "huge-gzip" (a `huge_bytes` answer: chunked, with its
        Content-Length, or as a gzip bomb); None clears (and releases hanging requests,
        which then get their normal answer). `ops` restricts the fault to these operations (root field names);
        "unauthorized"/"clientError" apply to oauth2Refresh only unless `ops` says
        otherwise (oauth2Token is the other mutation they make sense for)."""
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {FAULT_MODES}")
        opset = frozenset(ops) if ops is not None else None
        if opset is not None and not opset <= set(OPERATIONS):
            raise ValueError(f"unknown operations {set(opset) - set(OPERATIONS)}")
        if mode in ("unauthorized", "clientError") and opset is None:
            opset = frozenset({"oauth2Refresh"})
        with self._lock:
            self._fault = _Fault(mode, opset) if mode is not None else None
        self._release_hangs()

    def clear_fault(self) -> None:
        self.set_fault(None)

    def set_token_text(
        self,
        access: str | None = None,
        refresh: str | None = None,
        web: str | None = None,
        code: str | None = None,
    ) -> None:
        """Issue tokens with this text from now on (a misbehaving server): each template's
        `{id}` becomes 32 fresh hex digits, so tokens stay unique (rotation still works).
        None restores the normal `aqat_…`/`aqrt_…`/`aqws_…`/`aqcd_…` tokens."""
        with self._lock:
            for kind, template in (
                ("access", access),
                ("refresh", refresh),
                ("web", web),
                ("code", code),
            ):
                if template is None:
                    self._token_text.pop(TOKEN_KINDS[kind], None)
                else:
                    self._token_text[TOKEN_KINDS[kind]] = template

    def set_expires_in_literal(self, literal: str | None) -> None:
        """Send `expiresIn` as this raw JSON text (e.g. `1e30`, `1e400`, `-5`, `"3600"`,
        `NaN`) in oauth2Token / oauth2Refresh answers; the token's real lifetime is
        unchanged. None restores the integer."""
        with self._lock:
            self._expires_in_literal = literal

    def _release_hangs(self) -> None:
        run = self._run
        if run is None:
            return

        def release() -> None:
            for fut in list(run.hangs):
                if not fut.done():
                    fut.set_result(None)

        run.loop.call_soon_threadsafe(release)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is invalid from now on."""
        now = time.time()
        with self._lock:
            for acc in self._access.values():
                acc.expires_at = min(acc.expires_at, now)

    def revoke_sessions(self) -> None:
        """Revoke everything: OAuth sessions (access + refresh tokens) and web sessions."""
        with self._lock:
            for s in self._sessions:
                s.revoked = True
            self._web_sessions.clear()

    def is_valid_access_token(self, token: str | None) -> bool:
        return self.user_for_access_token(token) is not None

    def user_for_access_token(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            acc = self._access.get(token)
            if acc is None or acc.session.revoked or acc.expires_at <= time.time():
                return None
            return acc.session.username

    def issued_tokens(self) -> set[str]:
        """Every access, refresh and web session token and code ever issued."""
        with self._lock:
            return set(self._issued)

    def valid_refresh_tokens(self) -> set[str]:
        with self._lock:
            return {t for t, r in self._refresh.items() if not r.rotated and not r.session.revoked}

    def valid_access_tokens(self) -> set[str]:
        with self._lock:
            return {t for t in self._access if self.is_valid_access_token(t)}

    def pending_authorizations(self) -> list[str]:
        """Authorization URLs of the open oauth2Redirect subscriptions."""
        with self._lock:
            return [p.authorization_url for p in self._pending.values()]

    def wait_for_authorization(self, timeout: float = 10.0) -> str:
        """Wait for an oauth2Redirect subscription to open; return its authorization URL."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self.pending_authorizations()
            if pending:
                return pending[0]
            if time.monotonic() > deadline:
                raise TimeoutError("no oauth2Redirect subscription opened")
            time.sleep(0.02)

    def approve(self, authorization_url: str, username: str = "alice") -> None:
        """Play the browser: the user logs in and approves; the subscription gets its code."""
        with self._lock:
            if username not in self._users:
                raise KeyError(f"no user {username!r}")
        self._settle(authorization_url, ("approve", username))

    def deny(self, authorization_url: str, message: str = "Access denied") -> None:
        self._settle(authorization_url, ("deny", message))

    def _find_pending(self, authorization_url: str) -> _Pending | None:
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
        key = (q.get("client_id"), q.get("state"), q.get("redirect_uri"))
        with self._lock:
            for p in self._pending.values():
                if (p.client_id, p.state, p.redirect_uri) == key:
                    return p
        return None

    def _settle(self, authorization_url: str, outcome: tuple[str, str]) -> None:
        run = self._run
        p = self._find_pending(authorization_url)
        if run is None or p is None:
            raise KeyError(f"no open subscription for {authorization_url}")

        def settle() -> None:
            if not p.future.done():
                p.future.set_result(outcome)

        run.loop.call_soon_threadsafe(settle)

    # -- token machinery (call with the lock held) --------------------------------------

    def _new(self, prefix: str) -> str:
        template = self._token_text.get(prefix)
        unique = secrets.token_hex(16)
        tok = f"{prefix}_{unique}" if template is None else template.replace("{id}", unique)
        self._issued.add(tok)
        return tok

    def _issue(self, session: _Session) -> dict[str, Any]:
        access, refresh = self._new("aqat"), self._new("aqrt")
        lifetime = float(self.access_lifetime)
        self._access[access] = _Access(session, time.time() + lifetime)
        self._refresh[refresh] = _Refresh(session)
        expires_in: Any = int(lifetime) if self._expires_in_literal is None else EXPIRES_IN_MARK
        return {
            "accessToken": access,
            "refreshToken": refresh,
            "expiresIn": expires_in,
            "scope": session.scope,
        }

    @staticmethod
    def _token_output(
        issued: dict[str, Any] | None = None, client_error: bool = False, unauthorized: bool = False
    ) -> dict[str, Any]:
        return {"issued": issued, "clientError": client_error, "unauthorized": unauthorized}

    def _fault_output(self, fault: _Fault) -> dict[str, Any]:
        return self._token_output(
            client_error=fault.mode == "clientError", unauthorized=fault.mode == "unauthorized"
        )

    def _user_node(self, username: str) -> dict[str, Any]:
        _, uid, email = self._users[username]
        return {"id": uid, "username": username, "email": email, "displayName": username}

    # -- resolvers ----------------------------------------------------------------------

    def _login_user(self, args: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        inp = args.get("input") or {}
        who, password = inp.get("usernameOrEmail"), inp.get("password")
        with self._lock:
            for name, (pw, _, email) in self._users.items():
                if who in (name, email) and password == pw:
                    token = self._new("aqws")
                    self._web_sessions[token] = name
                    return {"node": self._user_node(name)}, {"x-access-token": token}
        raise GraphQLError("Invalid username or password", path="loginUser")

    def _oauth2_authorize(self, args: dict[str, Any], bearer: str | None) -> Any:
        inp = args.get("input") or {}
        client_id, redirect_uri = inp.get("clientId"), inp.get("redirectUri")
        state, scope = inp.get("state"), inp.get("scope")
        with self._lock:
            username = self._web_sessions.get(bearer or "")
            if username is None:
                return {"unauthorized": True, "clientError": False, "redirectUri": None}
            if not client_id or not redirect_uri or not _is_url(redirect_uri):
                return {"unauthorized": False, "clientError": True, "redirectUri": None}
            code = self._new("aqcd")
            self._codes[code] = _Code(username, client_id, redirect_uri, scope or "")
        return {
            "unauthorized": False,
            "clientError": False,
            "redirectUri": _add_query(redirect_uri, code=code, state=state),
        }

    def _oauth2_token(self, args: dict[str, Any], fault: _Fault | None) -> Any:
        inp = args.get("input") or {}
        if fault and fault.mode in ("unauthorized", "clientError") and fault.applies("oauth2Token"):
            return self._fault_output(fault)
        with self._lock:
            c = self._codes.get(inp.get("code") or "")
            if (
                c is None
                or c.used
                or c.client_id != inp.get("clientId")
                or c.redirect_uri != inp.get("redirectUri")
            ):
                return self._token_output(client_error=True)
            c.used = True
            session = _Session(str(uuid.uuid4()), c.username, c.client_id, c.scope)
            self._sessions.append(session)
            return self._token_output(self._issue(session))

    async def _oauth2_refresh(self, args: dict[str, Any], fault: _Fault | None) -> Any:
        inp = args.get("input") or {}
        if fault and fault.mode in ("unauthorized", "clientError"):
            return self._fault_output(fault)
        with self._lock:
            r = self._refresh.get(inp.get("refreshToken") or "")
            if r is None or r.session.revoked:
                return self._token_output(unauthorized=True)
            if r.session.client_id != inp.get("clientId"):
                return self._token_output(client_error=True)
            if r.rotated:  # a rotated token came back: stolen; kill the whole session
                r.session.revoked = True
                self.reuse_detected += 1
                return self._token_output(unauthorized=True)
            r.rotated = True
            issued = self._issue(r.session)
            delay, hook = self.refresh_delay, self.refresh_hook
        if hook is not None:
            await asyncio.get_running_loop().run_in_executor(None, hook)
        if delay:
            await self._sleep(delay)
        return self._token_output(issued)

    def _viewer(self, bearer: str | None) -> Any:
        username = self.user_for_access_token(bearer)
        if username is None:
            raise GraphQLError("Session Not Found", code="INVALID_AUTHORIZATION", path="viewer")
        with self._lock:
            return self._user_node(username)

    # -- HTTP ---------------------------------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but drop the request at once if the server stops meanwhile."""
        run = self._run
        if run is None:
            raise _Drop()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        run.sleeps.add(fut)
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(fut), seconds)
        finally:
            run.sleeps.discard(fut)
        if self._run is not run:
            raise _Drop()

    async def _hang(self) -> None:
        """Hold the request until the fault is cleared (then answer normally) or the
        server stops (then drop the connection without an answer)."""
        run = self._run
        if run is None:
            raise _Drop()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        run.hangs.add(fut)
        try:
            while True:
                with self._lock:
                    f = self._fault
                if f is None or f.mode != "hang" or self._run is not run:
                    break
                await fut
                fut = asyncio.get_running_loop().create_future()
                run.hangs.add(fut)
        finally:
            run.hangs.discard(fut)
        if self._run is not run:
            raise _Drop()

    async def _fault_response(self, fault: _Fault | None, op: str | None) -> web.Response | None:
        if fault is None or not fault.applies(op):
            return None
        if fault.mode == "500":
            return web.Response(
                status=500,
                text="<html><body><h1>500 Internal Server Error</h1></body></html>",
                content_type="text/html",
            )
        if fault.mode == "nonjson":
            return web.Response(
                text="<!doctype html><html><body>Welcome to aqora! {not json</body></html>",
                content_type="text/html",
            )
        if fault.mode == "graphql-error":
            return web.json_response({"data": None, "errors": [{"message": "Internal"}]})
        if fault.mode == "invalid-authorization":
            error = {
                "message": "Session Not Found",
                "extensions": {"code": "INVALID_AUTHORIZATION"},
            }
            return web.json_response({"data": None, "errors": [error]})
        if fault.mode == "hang":
            await self._hang()
            with self._lock:
                now = self._fault
            return await self._fault_response(now, op)
        return None  # unauthorized / clientError: handled by the resolvers

    async def _handle_post(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._post(request)
        except _Drop:
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError() from None

    async def _post(self, request: web.Request) -> web.StreamResponse:
        ua = request.headers.get("User-Agent")
        bearer = _bearer(request.headers.get("Authorization"))
        with self._lock:
            self.last_user_agent = ua
        raw = await request.read()
        op: str | None = None
        parsed: tuple[Operation, dict[str, Any]] | None = None
        error: GraphQLError | None = None
        body: Any = None
        try:
            body = json.loads(raw)
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                raise ValueError("no query")
            variables = body.get("variables")
            if variables is not None and not isinstance(variables, dict):
                raise ValueError("variables must be an object")
        except ValueError:
            body = None
        if body is not None:
            try:
                parsed = parse_operation(body["query"], body.get("variables"))
                op = parsed[0].root.name
            except GraphQLError as e:
                error = e
        with self._lock:
            self.requests.append(
                {
                    "op": op,
                    "authorization": request.headers.get("Authorization"),
                    "user_agent": ua,
                    "origin": request.headers.get("Origin"),
                }
            )
            if op is not None:
                self.op_counts[op] += 1
            if op == "oauth2Refresh":
                self.refresh_calls += 1
            fault = self._fault
        faulted = await self._fault_response(fault, op)
        if faulted is not None:
            return faulted
        with self._lock:
            fault = self._fault
        if fault is not None and fault.applies(op) and fault.mode in HUGE_FAULTS:
            return await self._huge(request, fault.mode)
        if fault is not None and fault.applies(op) and fault.mode == "echo-secrets":
            variables = body.get("variables") if isinstance(body, dict) else None
            return web.json_response({"data": None, "errors": [_echo(variables, bearer)]})
        drip = fault is not None and fault.applies(op) and fault.mode == "drip"
        if not request.headers.get("Origin"):
            return web.Response(status=400, text="Missing Origin header")
        if body is None:
            return web.Response(status=400, text="Invalid GraphQL request body")
        if error is not None or parsed is None:
            return web.json_response(
                {"data": None, "errors": [(error or GraphQLError("?")).as_dict()]}
            )
        operation, args = parsed
        root = operation.root
        headers: dict[str, str] = {}
        try:
            if op == "loginUser":
                value, headers = self._login_user(args)
            elif op == "oauth2Authorize":
                value = self._oauth2_authorize(args, bearer)
            elif op == "oauth2Token":
                value = self._oauth2_token(args, fault)
            elif op == "oauth2Refresh":
                value = await self._oauth2_refresh(args, fault)
            elif op == "viewer":
                value = self._viewer(bearer)
            else:
                raise GraphQLError("oauth2Redirect is a subscription: use the websocket")
        except GraphQLError as e:
            return web.json_response({"data": None, "errors": [e.as_dict()]})
        data = {root.alias: project(value, root.children, ROOT_FIELDS[root.name][1])}
        text = json.dumps({"data": data})
        with self._lock:
            literal = self._expires_in_literal
        if literal is not None:
            text = text.replace(json.dumps(EXPIRES_IN_MARK), literal)
        if drip:
            await self._drip(request, text, headers)
        return web.Response(text=text, content_type="application/json", headers=headers)

    async def _drip(self, request: web.Request, text: str, headers: dict[str, str]) -> None:
        """Send the whole HTTP answer, status line and headers included, one byte every
        `drip_interval` seconds (a per-read timeout never fires); then drop."""
        body = text.encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        raw = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}Connection: close\r\n\r\n"
        ).encode() + body
        transport = request.transport
        for i in range(len(raw)):
            if transport is None or transport.is_closing():
                raise _Drop()
            transport.write(raw[i : i + 1])
            await self._sleep(self.drip_interval)
        with self._lock:
            self.drips_done += 1
        raise _Drop()

    async def _huge(self, request: web.Request, mode: str) -> web.StreamResponse:
        """A `huge_bytes` answer, streamed in 64 KiB pieces (never built in memory):
        chunked ("huge"), with its Content-Length ("huge-declared"), or gzip-compressed
        ("huge-gzip", a compression bomb). `huge_sent` counts what reached the wire."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if mode == "huge-declared":
            response.content_length = self.huge_bytes
        if mode == "huge-gzip":
            response.headers["Content-Encoding"] = "gzip"
        with self._lock:
            self.huge_sent = 0
        await response.prepare(request)
        piece = b"A" * 65536
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31) if mode == "huge-gzip" else None
        left = self.huge_bytes
        try:
            while left > 0:
                chunk = piece[: min(left, len(piece))]
                left -= len(chunk)
                if compressor is not None:
                    chunk = compressor.compress(chunk) + (compressor.flush() if left <= 0 else b"")
                if chunk:
                    await response.write(chunk)
                    with self._lock:
                        self.huge_sent += len(chunk)
            await response.write_eof()
        except (ConnectionError, RuntimeError):  # the client hung up: the cap worked
            raise _Drop() from None
        return response

    async def _handle_browser(self, request: web.Request) -> web.Response:
        """GET <authorization_url> with `X-Test-User: <name>`: that user approves."""
        user = request.headers.get("X-Test-User")
        if not user:
            return web.Response(status=401, text="log in first (send X-Test-User)")
        with self._lock:
            known = user in self._users
        if not known:
            return web.Response(status=403, text=f"no user {user}")
        try:
            self.approve(str(request.url), user)
        except KeyError:
            return web.Response(status=404, text="no open oauth2Redirect subscription for this URL")
        return web.Response(text="approved")

    # -- websocket (graphql-transport-ws) -------------------------------------------------

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        run = self._run
        assert run is not None
        with self._lock:
            self.last_user_agent = request.headers.get("User-Agent")
            fault = self._fault
        try:
            faulted = await self._fault_response(fault, "oauth2Redirect")
        except _Drop:
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError() from None
        if faulted is not None and (fault is None or fault.mode != "graphql-error"):
            return faulted
        ws = web.WebSocketResponse(protocols=(WS_PROTOCOL,), autoping=True, timeout=1.0)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="GraphQL over HTTP: use POST")
        await ws.prepare(request)
        if ws.ws_protocol != WS_PROTOCOL:
            await ws.close(code=4406, message=b"Subprotocol not acceptable")
            return ws
        run.websockets.add(ws)
        tasks: set[asyncio.Task[None]] = set()
        acked = False
        try:
            try:
                first = await asyncio.wait_for(ws.receive(), timeout=10)
            except asyncio.TimeoutError:
                await ws.close(code=4408, message=b"Connection initialisation timeout")
                return ws
            msgs = [first]
            while True:
                msg = msgs.pop() if msgs else await ws.receive()
                if msg.type != WSMsgType.TEXT:
                    break
                try:
                    data = json.loads(msg.data)
                    mtype = data["type"]
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4400, message=b"Invalid message")
                    break
                if mtype == "connection_init":
                    if acked:
                        await ws.close(code=4429, message=b"Too many initialisation requests")
                        break
                    acked = True
                    await ws.send_json({"type": "connection_ack"})
                elif mtype == "ping":
                    await ws.send_json({"type": "pong"})
                elif mtype == "pong":
                    pass
                elif mtype == "subscribe":
                    if not acked:
                        await ws.close(code=4401, message=b"Unauthorized")
                        break
                    task = asyncio.ensure_future(
                        self._subscription(
                            ws, request.host, str(data.get("id")), data.get("payload") or {}, fault
                        )
                    )
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif mtype == "complete":
                    self._cancel_sub(str(data.get("id")))
                else:
                    await ws.close(code=4400, message=b"Unknown message type")
                    break
        finally:
            for t in list(tasks):
                t.cancel()
            self._forget_ws(ws)
            run.websockets.discard(ws)
        return ws

    def _cancel_sub(self, sub_id: str) -> None:
        with self._lock:
            for p in self._pending.values():
                if p.sub_id == sub_id and not p.future.done():
                    p.future.cancel()

    def _forget_ws(self, ws: web.WebSocketResponse) -> None:
        with self._lock:
            for key, p in list(self._pending.items()):
                if p.ws is ws:
                    del self._pending[key]
                    if not p.future.done():
                        p.future.cancel()

    async def _subscription(
        self,
        ws: web.WebSocketResponse,
        host: str,
        sub_id: str,
        payload: dict[str, Any],
        fault: _Fault | None,
    ) -> None:
        try:
            if (
                fault is not None
                and fault.mode == "graphql-error"
                and fault.applies("oauth2Redirect")
            ):
                raise GraphQLError("Internal")
            query, variables = payload.get("query"), payload.get("variables")
            if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
                raise GraphQLError("Invalid subscribe payload")
            operation, args = parse_operation(query, variables)
            if operation.root.name != "oauth2Redirect":
                raise GraphQLError("only the oauth2Redirect subscription is served here")
            inp = args.get("input") or {}
            auth_url = inp.get("authorizationUrl")
            client_id, state, redirect_uri = self._verify_redirect(
                auth_url, inp.get("signature"), host
            )
        except GraphQLError as e:
            with contextlib.suppress(Exception):
                await ws.send_json({"id": sub_id, "type": "error", "payload": [e.as_dict()]})
                await ws.close(code=1000)
            return
        loop = asyncio.get_running_loop()
        pending = _Pending(
            str(auth_url),
            client_id,
            state,
            redirect_uri,
            loop.create_future(),
            sub_id,
            operation.root.children,
            ws,
        )
        key = id(pending)
        with self._lock:
            self._pending[key] = pending
        try:
            verdict, detail = await pending.future
        except asyncio.CancelledError:
            return
        finally:
            with self._lock:
                self._pending.pop(key, None)
        with contextlib.suppress(Exception):
            if verdict == "approve":
                with self._lock:
                    code = self._new("aqcd")
                    self._codes[code] = _Code(detail, client_id, redirect_uri, "")
                value = project({"code": code}, pending.children, "Oauth2RedirectOutput")
                root = operation.root.alias
                await ws.send_json(
                    {"id": sub_id, "type": "next", "payload": {"data": {root: value}}}
                )
                await ws.send_json({"id": sub_id, "type": "complete"})
            else:
                err = GraphQLError(detail, code="ACCESS_DENIED", path="oauth2Redirect")
                await ws.send_json({"id": sub_id, "type": "error", "payload": [err.as_dict()]})

    @staticmethod
    def _verify_redirect(auth_url: Any, signature: Any, host: str) -> tuple[str, str, str]:
        if not isinstance(auth_url, str) or not isinstance(signature, str):
            raise GraphQLError("authorizationUrl and signature are required")
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
        prefix = "/oauth2/sub/"
        if (red.scheme, red.netloc) != (parts.scheme, parts.netloc) or not red.path.startswith(
            prefix
        ):
            raise GraphQLError(
                f"redirect_uri must be {parts.scheme}://{parts.netloc}{prefix}<public key>"
            )
        if red.query or red.fragment:
            raise GraphQLError("redirect_uri must have no query or fragment")
        try:
            key = Ed25519PublicKey.from_public_bytes(_b64url_nopad_decode(red.path[len(prefix) :]))
            key.verify(_b64url_nopad_decode(signature), auth_url.encode())
        except (ValueError, InvalidSignature) as e:
            raise GraphQLError("Invalid signature", code="INVALID_SIGNATURE") from e
        return vals["client_id"], vals["state"], vals["redirect_uri"]


class _Drop(Exception):
    """Close the connection without answering (a hanging request when the server stops)."""


def _echo(variables: Any, bearer: str | None) -> dict[str, Any]:
    """A GraphQL validation error that echoes every string variable and the bearer token
    (as real servers do: `Variable "$x" got invalid value "..."`), whole, truncated and
    with terminal escapes and line breaks around it."""
    found: list[tuple[str, str]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{name}.{key}" if name else key, inner)
        elif isinstance(value, str):
            found.append((name, value))

    walk("", variables)
    if bearer:
        found.append(("authorization", bearer))
    parts = [
        f'Variable "${name}" got invalid value "{value}"; did you mean "{value[:-1]}"?'
        for name, value in found
    ]
    message = "\x1b[31m" + "\r\n".join(parts or ["no variables"]) + "\x1b[0m\x07"
    return {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}


def _bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _is_url(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    p = urllib.parse.urlsplit(text)
    return bool(p.scheme and p.netloc)


def _add_query(url: str, **params: str | None) -> str:
    p = urllib.parse.urlsplit(url)
    extra = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{p.query}&{extra}" if p.query else extra
    return urllib.parse.urlunsplit((p.scheme, p.netloc, p.path, query, p.fragment))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=3600.0, help="access token lifetime (s)")
    ap.add_argument(
        "--user", action="append", default=[], metavar="NAME:PASSWORD", help="extra users"
    )
    args = ap.parse_args(argv)
    server = AqoraServer(port=args.port, access_lifetime=args.lifetime)
    for spec in args.user:
        name, _, pw = spec.partition(":")
        server.add_user(name, pw)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with server:
        print(server.url, flush=True)
        while not done.wait(1):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
