"""`AqoraHttpxAuth`: the aqora token on `httpx` calls (sync and async clients) to the
environment's served hosts. Needs the `httpx` extra."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import anyio.to_thread
import httpx

from .tokens import TokenSource

_BEARER = "Bearer "


class AqoraHttpxAuth(httpx.Auth):
    """`httpx` auth for `httpx.Client` and `httpx.AsyncClient`: `Authorization: Bearer
    <token>` on requests to a served host of the environment at `url` (default as
    `get_token`), nothing on any other request.

    - Redirects: httpx drops the header on a redirect to another origin (scheme, host,
      port; an https upgrade of the same host keeps it), after the retry too.
    - A 401 to our token drops it from the cache, refreshes once (one refresh across every
      process) and retries the request once; a streamed body that cannot be sent twice is
      not retried (the next request gets the fresh token).
    - The async flow gets tokens in a worker thread (anyio), so the event loop never waits
      on a file lock or a refresh.
    - Getting the token may raise `AqoraHelperError` (not logged in, ...).
    """

    def __init__(self, url: str | None = None) -> None:
        self._tokens = TokenSource(url)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._tokens.token_for(str(request.url))
        if token is None:
            yield request
            return
        request.headers["Authorization"] = _BEARER + token
        response = yield request
        if _refused(response, token):
            fresh = self._tokens.renewed(str(request.url), token)
            if fresh is not None and fresh != token and _replayable(request):
                yield _retry(request, fresh)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        url = str(request.url)
        token = await anyio.to_thread.run_sync(self._tokens.token_for, url)
        if token is None:
            yield request
            return
        request.headers["Authorization"] = _BEARER + token
        response = yield request
        if _refused(response, token):
            fresh = await anyio.to_thread.run_sync(self._tokens.renewed, url, token)
            if fresh is not None and fresh != token and _replayable(request):
                yield _retry(request, fresh)


def _refused(response: httpx.Response, token: str) -> bool:
    """A 401 to a request that carried our token (not one a redirect took elsewhere)."""
    return (
        response.status_code == 401
        and response.request.headers.get("Authorization") == _BEARER + token
    )


def _replayable(request: httpx.Request) -> bool:
    return isinstance(request.stream, httpx.ByteStream)


def _retry(request: httpx.Request, fresh: str) -> httpx.Request:
    """A new request like `request` with the fresh token (nothing shared with the one
    the server refused, which stays in the response history as it was sent)."""
    retry = httpx.Request(
        request.method,
        request.url,
        headers=request.headers.copy(),
        stream=request.stream,
        extensions=dict(request.extensions),
    )
    retry.headers["Authorization"] = _BEARER + fresh
    return retry
