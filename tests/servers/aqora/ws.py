"""GraphQL over a websocket (`graphql-transport-ws`) at `GET /graphql`: the handshake,
ping/pong, and one task per `subscribe` (the `oauth2Redirect` subscription)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .answers import Context, answer, select
from .faults import Fault, fault_for
from .schema import Rejected, check

if TYPE_CHECKING:
    from .server import AqoraServer

PROTOCOL = "graphql-transport-ws"


async def handle(server: AqoraServer, request: web.Request) -> web.StreamResponse:
    """One websocket: faults first (as for POST), then the protocol."""
    server.last_user_agent = request.headers.get("User-Agent")
    fault = server.current_fault()
    faulted = await server.fault_response(fault, "oauth2Redirect")
    if faulted is not None and (fault is None or fault.mode != "graphql-error"):
        return faulted
    ws = web.WebSocketResponse(protocols=(PROTOCOL,), autoping=True, timeout=1.0)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="GraphQL over HTTP: use POST")
    await ws.prepare(request)
    if ws.ws_protocol != PROTOCOL:
        await ws.close(code=4406, message=b"Subprotocol not acceptable")
        return ws
    server.websockets.add(ws)
    tasks: set[asyncio.Task[None]] = set()
    try:
        await _converse(server, request.host, ws, tasks, fault)
    finally:
        for t in list(tasks):
            t.cancel()
        server.authorizations.cancel(ws)
        server.websockets.discard(ws)
    return ws


async def _converse(
    server: AqoraServer,
    host: str,
    ws: web.WebSocketResponse,
    tasks: set[asyncio.Task[None]],
    fault: Fault | None,
) -> None:
    try:
        msg = await asyncio.wait_for(ws.receive(), timeout=10)
    except asyncio.TimeoutError:
        await ws.close(code=4408, message=b"Connection initialisation timeout")
        return
    acked = False
    while msg.type == WSMsgType.TEXT:
        try:
            data = json.loads(msg.data)
            mtype = data["type"]
        except (ValueError, KeyError, TypeError):
            await ws.close(code=4400, message=b"Invalid message")
            return
        if mtype == "connection_init":
            if acked:
                await ws.close(code=4429, message=b"Too many initialisation requests")
                return
            acked = True
            await ws.send_json({"type": "connection_ack"})
        elif mtype == "ping":
            await ws.send_json({"type": "pong"})
        elif mtype == "subscribe":
            if not acked:
                await ws.close(code=4401, message=b"Unauthorized")
                return
            ctx = Context(server, host=host, ws=ws, sub_id=str(data.get("id")))
            task = asyncio.ensure_future(_subscription(ctx, data.get("payload") or {}, fault))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elif mtype == "complete":
            server.authorizations.cancel(ws, str(data.get("id")))
        elif mtype != "pong":
            await ws.close(code=4400, message=b"Unknown message type")
            return
        msg = await ws.receive()


async def _subscription(ctx: Context, payload: Any, fault: Fault | None) -> None:
    """Run one subscription: `next` + `complete` with its result, or `error`."""
    try:
        if fault_for(fault, "oauth2Redirect", "graphql-error"):
            raise Rejected.because("Internal")
        if not isinstance(payload, dict):
            raise Rejected.because("Invalid subscribe payload")
        query, variables = payload.get("query"), payload.get("variables")
        name = payload.get("operationName")
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            raise Rejected.because("Invalid subscribe payload")
        document = check(query, name if isinstance(name, str) else None)
        op = select(document)
        if op.kind != "subscription":
            raise Rejected.because("only the oauth2Redirect subscription is served here")
        result = await answer(document, op, ctx, variables)
    except Rejected as e:
        result = {"data": None, "errors": e.errors}
    except asyncio.CancelledError:
        return
    with contextlib.suppress(Exception):
        if result["data"] is None:
            await ctx.ws.send_json({"id": ctx.sub_id, "type": "error", "payload": result["errors"]})
            return
        await ctx.ws.send_json({"id": ctx.sub_id, "type": "next", "payload": result})
        await ctx.ws.send_json({"id": ctx.sub_id, "type": "complete"})
