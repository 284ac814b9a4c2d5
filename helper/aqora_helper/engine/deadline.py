"""Deadline-bounded HTTP for the API client (requests and urllib3 underneath).

`with Deadline(seconds):` bounds a whole call, not only each read: when it passes, every
socket the call opened is shut down, which ends the read in progress however slowly a
server drips its answer; connecting is bounded by it too, one address at a time.
`DeadlineAdapter` is the requests adapter whose connections register their sockets with
the current deadline; a loopback URL never goes through a proxy.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from ..fast.hostnames import is_loopback


class Deadline:
    """A total time bound for one call: when it passes, every socket the call opened
    is shut down, which ends the read in progress (headers or body, however slowly
    the server drips them). Sockets reach it through `_current` (see _watched).
    Connecting is bounded by it too (see _connect_in_time); name resolution is not
    (the resolver's own timeouts apply)."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        _current.deadline = None

    def remaining(self) -> float:
        """Seconds left (0 once expired)."""
        return 0.0 if self.expired else max(0.0, self.ends - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


_current = threading.local()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, even under TLS


def _watched(sock: socket.socket) -> socket.socket:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)
    return sock


def _connect_in_time(
    conn: urllib3.connection.HTTPConnection, connect: Callable[[], socket.socket]
) -> socket.socket:
    """`connect()` (urllib3's `_new_conn`) within the call's deadline: one address at a
    time, each attempt bounded by the connect timeout and by the time left, none begun
    once it is spent. (urllib3 alone gives every address a full connect timeout: a
    resolver that returns many black-holed addresses would hold the call, and the
    refresh lock, for as many timeouts.)"""
    deadline: Deadline | None = getattr(_current, "deadline", None)
    host, timeout = conn._dns_host, conn.timeout
    if deadline is None:
        return connect()
    try:
        family = urllib3.util.connection.allowed_gai_family()
        found = socket.getaddrinfo(host.strip("[]"), conn.port, family, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return _watched(connect())  # urllib3 reports the failure in its own terms
    failure: urllib3.exceptions.HTTPError | None = None
    try:
        for *_, address in found:
            left = deadline.remaining()
            if left <= 0:
                break
            numeric = str(address[0])
            conn._dns_host = (
                f"{numeric}%{address[3]}" if len(address) > 3 and address[3] else numeric
            )
            conn.timeout = min(timeout, left) if isinstance(timeout, (int, float)) else left
            try:
                return _watched(connect())
            except urllib3.exceptions.ConnectTimeoutError as exc:  # NewConnectionError too
                failure = exc
    finally:
        conn._dns_host, conn.timeout = host, timeout  # TLS checks the name, not the address
    raise failure or urllib3.exceptions.ConnectTimeoutError(conn, "no connection in time")


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect_in_time(self, super()._new_conn)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect_in_time(self, super()._new_conn)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections whose sockets a Deadline can shut down
    (directly and through an http(s) proxy; SOCKS proxies keep per-read timeouts).
    A loopback URL never goes through a proxy, whatever the environment says
    (HTTP_PROXY, ALL_PROXY without a NO_PROXY match): over plain http a proxy would
    read the refresh token; a real https host's proxy only sees a CONNECT."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        if is_loopback_url(request.url or ""):
            proxies = {}
        return super().send(request, stream, timeout, verify, cert, proxies)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


def is_loopback_url(url: str) -> bool:
    """True when `url`'s host is a loopback host (never reached through a proxy)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and is_loopback(host.rstrip("."))
