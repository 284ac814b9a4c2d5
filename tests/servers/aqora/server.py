"""AqoraServer: the aiohttp app on its own thread and loop, start/stop, and the HTTP side
(`POST /graphql`, the browser's `GET /oauth2/authorize`). See the package docstring."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import ws
from .answers import REFUSALS, Context, Operation, answer, select
from .browser import Authorizations
from .faults import HUGE_FAULTS, Drop, Fault, FaultSwitches, canned, drip, echo, fault_for, huge
from .schema import Document, Rejected, check
from .state import Accounts

POLL = 0.02  # seconds: how often a held request looks whether to go on
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class _Loop:
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    runner: web.AppRunner | None = None


class AqoraServer(Accounts, FaultSwitches):
    """The aqora API stand-in: its accounts (state.py) and fault switches (faults.py),
    served over HTTP and a websocket."""

    def __init__(self, port: int = 0, access_lifetime: float = 3600.0):
        FaultSwitches.__init__(self)
        Accounts.__init__(self, access_lifetime, self.token_text)
        self.port = port
        self.refresh_delay = 0.0  # seconds a rotating oauth2Refresh waits before answering
        self.refresh_hook: Callable[[], Any] | None = None  # run (in a thread) right then
        self.refresh_calls = 0
        self.last_user_agent: str | None = None
        self.op_counts: collections.Counter[str] = collections.Counter()
        self.requests: list[dict[str, Any]] = []  # {op, authorization, user_agent, origin}
        self.authorizations = Authorizations()  # the open oauth2Redirect subscriptions
        self.websockets: set[web.WebSocketResponse] = set()
        self._lock = threading.Lock()
        self._run: _Loop | None = None
        self.add_user("alice", "pw")

    # -- lifecycle ------------------------------------------------------------------------

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
        """Serve (again) on `port`, or on the same port as before (0 at first: a free one)."""
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
        app.router.add_post("/graphql", _dropping(self._post))
        app.router.add_get("/graphql", _dropping(lambda request: ws.handle(self, request)))
        app.router.add_get("/oauth2/authorize", self._browser)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._run.runner = runner

    def stop(self) -> None:
        """Stop serving; held requests are dropped unanswered. The state stays."""
        run, self._run = self._run, None
        if run is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._astop(run), run.loop).result(timeout=10)
        run.loop.call_soon_threadsafe(run.loop.stop)
        run.thread.join(timeout=10)

    async def _astop(self, run: _Loop) -> None:
        self.authorizations.cancel()
        for sock in list(self.websockets):
            with contextlib.suppress(Exception):
                await sock.close(code=1001, message=b"server stopping")
        if run.runner is not None:
            await run.runner.cleanup()

    def __enter__(self) -> AqoraServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the browser ----------------------------------------------------------------------

    def pending_authorizations(self) -> list[str]:
        """Authorization URLs of the open oauth2Redirect subscriptions."""
        return self.authorizations.urls()

    def wait_for_authorization(self, timeout: float = 10.0) -> str:
        """Wait for an oauth2Redirect subscription to open; return its authorization URL."""
        return self.authorizations.wait_for_one(timeout)

    def approve(self, authorization_url: str, username: str = "alice") -> None:
        """Play the browser: the user logs in and approves; the subscription gets its code."""
        if not self.knows_user(username):
            raise KeyError(f"no user {username!r}")
        self.authorizations.settle(authorization_url, ("approve", username))

    def deny(self, authorization_url: str, message: str = "Access denied") -> None:
        self.authorizations.settle(authorization_url, ("deny", message))

    async def _browser(self, request: web.Request) -> web.Response:
        """GET <authorization_url> with `X-Test-User: <name>`: that user approves."""
        user = request.headers.get("X-Test-User")
        if not user:
            return web.Response(status=401, text="log in first (send X-Test-User)")
        if not self.knows_user(user):
            return web.Response(status=403, text=f"no user {user}")
        try:
            self.approve(str(request.url), user)
        except KeyError:
            return web.Response(status=404, text="no open oauth2Redirect subscription for this URL")
        return web.Response(text="approved")

    # -- held requests and faults ---------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        """Sleep, but drop the request at once if the server stops meanwhile."""
        run, loop = self._run, asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while run is not None and self._run is run:
            left = deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(left, POLL))
        raise Drop()

    async def fault_response(self, fault: Fault | None, op: str | None) -> web.Response | None:
        """The answer a fault gives instead of the normal one, if any. "hang" holds the
        request until the fault changes (then this decides again) or the server stops."""
        if fault is None or not fault.applies(op):
            return None
        if fault.mode != "hang":
            return canned(fault.mode)
        run = self._run
        while (now := self.current_fault()) is not None and now.mode == "hang":
            if run is None or self._run is not run:
                raise Drop()
            await asyncio.sleep(POLL)
        return await self.fault_response(now, op)

    # -- POST /graphql --------------------------------------------------------------------

    async def _post(self, request: web.Request) -> web.StreamResponse:
        bearer = _bearer(request.headers.get("Authorization"))
        self.last_user_agent = request.headers.get("User-Agent")
        body = _body(await request.read())
        document: Document | None = None
        operation: Operation | None = None
        rejected: Rejected | None = None
        if body is not None:
            try:
                document = check(body["query"], body.get("operationName"))
                operation = select(document)
            except Rejected as e:
                rejected = e
        op = operation.field if operation is not None else None
        self._record(request, op)
        faulted = await self.fault_response(self.current_fault(), op)
        if faulted is not None:
            return faulted
        fault = self.current_fault()
        if flood := fault_for(fault, op, *HUGE_FAULTS):
            return await huge(request, flood.mode, self)
        if fault_for(fault, op, "echo-secrets"):
            return echo(body.get("variables") if body else None, bearer)
        if not request.headers.get("Origin"):
            return web.Response(status=400, text="Missing Origin header")
        if body is None:
            return web.Response(status=400, text="Invalid GraphQL request body")
        if operation is not None and operation.kind == "subscription":
            rejected = Rejected.because(f"{op} is a subscription: use the websocket")
        if rejected is not None:
            return web.json_response({"data": None, "errors": rejected.errors})
        assert document is not None and operation is not None
        refusal = fault_for(fault, op, *REFUSALS)
        ctx = Context(self, bearer=bearer, refusal=refusal.mode if refusal else None)
        text = self.answer_text(await answer(document, operation, ctx, body.get("variables")))
        if fault_for(fault, op, "drip"):
            await drip(request, text, ctx.headers, self, self.sleep)
        return web.Response(text=text, content_type="application/json", headers=ctx.headers)

    def _record(self, request: web.Request, op: str | None) -> None:
        with self._lock:
            self.requests.append(
                {
                    "op": op,
                    "authorization": request.headers.get("Authorization"),
                    "user_agent": request.headers.get("User-Agent"),
                    "origin": request.headers.get("Origin"),
                }
            )
            if op is not None:
                self.op_counts[op] += 1
            if op == "oauth2Refresh":
                self.refresh_calls += 1


def _dropping(handler: Handler) -> Handler:
    """The handler, closing the connection unanswered when it raises Drop."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Drop:
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError() from None

    return wrapped


def _body(raw: bytes) -> dict[str, Any] | None:
    """A GraphQL-over-HTTP request body, or None when it is not one."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    if not isinstance(body.get("variables"), (dict, type(None))):
        return None
    if not isinstance(body.get("operationName"), (str, type(None))):
        return None
    return body


def _bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None
