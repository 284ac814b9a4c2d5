"""How the stand-in misbehaves on request: fault modes, odd token text, odd `expiresIn`
text, and the answers they produce.

Modes (`set_fault`): "500", "nonjson", "hang", "graphql-error", "invalid-authorization",
"unauthorized", "clientError" (answered by the resolvers), "echo-secrets", "drip",
"huge", "huge-declared", "huge-gzip".
"""

from __future__ import annotations

import json
import secrets
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .answers import REFUSALS, ROOT_FIELDS

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
TOKEN_KINDS = {"access": "aqat", "refresh": "aqrt", "web": "aqws", "code": "aqcd"}


class Drop(Exception):
    """Close the connection without answering (a hanging request when the server stops)."""


@dataclass(frozen=True)
class Fault:
    mode: str
    ops: frozenset[str] | None  # root field names; None: every operation

    def applies(self, op: str | None) -> bool:
        return self.ops is None or (op is not None and op in self.ops)


def fault_for(fault: Fault | None, op: str | None, *modes: str) -> Fault | None:
    """`fault` if it is one of `modes` and applies to `op`."""
    if fault is not None and fault.mode in modes and fault.applies(op):
        return fault
    return None


class FaultSwitches:
    """The fault controls tests use (see AqoraServer) and the numbers they read."""

    def __init__(self) -> None:
        self.drip_interval = 2.0  # "drip": seconds between two bytes of the answer
        self.huge_bytes = 50 * 1024 * 1024  # "huge*": size of the (uncompressed) answer
        self.huge_sent = 0  # bytes the last "huge*" answer got onto the wire
        self.drips_done = 0  # "drip" answers sent to their end
        self._faults_lock = threading.Lock()
        self._fault: Fault | None = None
        self._expires_in_literal: str | None = None
        self._token_templates: dict[str, str] = {}  # prefix -> template (set_token_text)
        self._expires_in_mark = 1_000_000_000 + secrets.randbelow(1_000_000_000)

    def set_fault(self, mode: str | None, ops: Iterable[str] | None = None) -> None:
        """Make requests fail: "500", "nonjson", "hang", "graphql-error",
        "invalid-authorization" (a GraphQL error with that code), "unauthorized",
        "clientError", "echo-secrets" (a GraphQL error echoing every string variable and
        the bearer token), "drip" (the normal answer, after the operation ran, sent one
        byte every `drip_interval` s, status line and headers included), "huge",
        "huge-declared", "huge-gzip" (a `huge_bytes` answer: chunked, with its
        Content-Length, or as a gzip bomb); None clears (and releases hanging requests,
        which then get their normal answer). `ops` restricts the fault to these operations
        (root field names); "unauthorized"/"clientError" apply to oauth2Refresh only unless
        `ops` says otherwise (oauth2Token is the other mutation they make sense for)."""
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {FAULT_MODES}")
        opset = frozenset(ops) if ops is not None else None
        if opset is not None and not opset <= set(ROOT_FIELDS):
            raise ValueError(f"unknown operations {set(opset) - set(ROOT_FIELDS)}")
        if mode in REFUSALS and opset is None:
            opset = frozenset({"oauth2Refresh"})
        with self._faults_lock:
            self._fault = Fault(mode, opset) if mode is not None else None

    def clear_fault(self) -> None:
        self.set_fault(None)

    def current_fault(self) -> Fault | None:
        with self._faults_lock:
            return self._fault

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
        templates = {"access": access, "refresh": refresh, "web": web, "code": code}
        with self._faults_lock:
            for kind, template in templates.items():
                if template is None:
                    self._token_templates.pop(TOKEN_KINDS[kind], None)
                else:
                    self._token_templates[TOKEN_KINDS[kind]] = template

    def token_text(self, prefix: str, unique: str) -> str:
        """A new token's text: `prefix_unique`, or its template with `{id}` = `unique`."""
        with self._faults_lock:
            template = self._token_templates.get(prefix)
        return f"{prefix}_{unique}" if template is None else template.replace("{id}", unique)

    def set_expires_in_literal(self, literal: str | None) -> None:
        """Send `expiresIn` as this raw JSON text (e.g. `1e30`, `1e400`, `-5`, `"3600"`,
        `NaN`) in oauth2Token / oauth2Refresh answers; the token's real lifetime is
        unchanged. None restores the integer."""
        with self._faults_lock:
            self._expires_in_literal = literal

    def expires_in(self, seconds: int) -> int:
        """The `expiresIn` to answer: `seconds`, or a mark `answer_text` replaces."""
        with self._faults_lock:
            return seconds if self._expires_in_literal is None else self._expires_in_mark

    def answer_text(self, answer: dict[str, Any]) -> str:
        """The answer as JSON text, with the `expiresIn` literal where it is marked."""
        with self._faults_lock:
            literal, mark = self._expires_in_literal, self._expires_in_mark
        if literal is None:
            return json.dumps(answer)
        placeholder = f"@@expiresIn-{secrets.token_hex(8)}@@"
        text = json.dumps(_replace_int(answer, mark, placeholder))
        return text.replace(json.dumps(placeholder), literal)

    def count_drip(self) -> None:
        with self._faults_lock:
            self.drips_done += 1

    def count_huge(self, sent: int | None) -> None:
        """Add `sent` bytes to `huge_sent` (None: a new answer starts)."""
        with self._faults_lock:
            self.huge_sent = 0 if sent is None else self.huge_sent + sent


def _replace_int(value: Any, mark: int, by: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_int(v, mark, by) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_int(v, mark, by) for v in value]
    if type(value) is int and value == mark:
        return by
    return value


def canned(mode: str) -> web.Response | None:
    """The fixed answer of a fault mode that needs no request details."""
    if mode == "500":
        return web.Response(
            status=500,
            text="<html><body><h1>500 Internal Server Error</h1></body></html>",
            content_type="text/html",
        )
    if mode == "nonjson":
        return web.Response(
            text="<!doctype html><html><body>Welcome to aqora! {not json</body></html>",
            content_type="text/html",
        )
    if mode == "graphql-error":
        return web.json_response({"data": None, "errors": [{"message": "Internal"}]})
    if mode == "invalid-authorization":
        error = {"message": "Session Not Found", "extensions": {"code": "INVALID_AUTHORIZATION"}}
        return web.json_response({"data": None, "errors": [error]})
    return None


def echo(variables: Any, bearer: str | None) -> web.Response:
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
    error = {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}
    return web.json_response({"data": None, "errors": [error]})


async def drip(
    request: web.Request,
    text: str,
    headers: dict[str, str],
    switches: FaultSwitches,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
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
            raise Drop()
        transport.write(raw[i : i + 1])
        await sleep(switches.drip_interval)
    switches.count_drip()
    raise Drop()


async def huge(request: web.Request, mode: str, switches: FaultSwitches) -> web.StreamResponse:
    """A `huge_bytes` answer, streamed in 64 KiB pieces (never built in memory):
    chunked ("huge"), with its Content-Length ("huge-declared"), or gzip-compressed
    ("huge-gzip", a compression bomb). `huge_sent` counts what reached the wire."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    if mode == "huge-declared":
        response.content_length = switches.huge_bytes
    if mode == "huge-gzip":
        response.headers["Content-Encoding"] = "gzip"
    switches.count_huge(None)
    await response.prepare(request)
    piece = b"A" * 65536
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31) if mode == "huge-gzip" else None
    left = switches.huge_bytes
    try:
        while left > 0:
            chunk = piece[: min(left, len(piece))]
            left -= len(chunk)
            if compressor is not None:
                chunk = compressor.compress(chunk) + (compressor.flush() if left <= 0 else b"")
            if chunk:
                await response.write(chunk)
                switches.count_huge(len(chunk))
        await response.write_eof()
    except (ConnectionError, RuntimeError):  # the client hung up: the cap worked
        raise Drop() from None
    return response
