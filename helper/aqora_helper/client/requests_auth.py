"""`AqoraAuth`: the aqora token on `requests` calls to the environment's served hosts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from requests import PreparedRequest, Response
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from .tokens import TokenSource, same_origin_or_upgrade

_BEARER = "Bearer "


class AqoraAuth(AuthBase):
    """`requests` auth: `Authorization: Bearer <token>` on requests to a served host of
    the environment at `url` (default as `get_token`), nothing on any other request.

    - A redirect keeps the token only to the same host and port (same scheme, or its
      https upgrade), whatever the session's own redirect policy, after the retry too.
    - A 401 to our token drops it from the cache, refreshes once (one refresh across every
      process) and retries the request once; a body that cannot be sent twice (a stream)
      is not retried: the 401 is returned, and the next request gets the fresh token.
    - Getting the token may raise `AqoraHelperError` (not logged in, ...).
    """

    def __init__(self, url: str | None = None) -> None:
        self._tokens = TokenSource(url)

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        token = self._tokens.token_for(request.url or "")
        if token is not None:
            request.headers["Authorization"] = _BEARER + token
            request.register_hook("response", self._on_response)  # type: ignore[no-untyped-call]
        return request

    def _on_response(self, response: Response, **kwargs: Any) -> Response:
        request = response.request
        sent = request.headers.get("Authorization", "")
        if not sent.startswith(_BEARER):
            return response
        if response.is_redirect:
            # requests builds the next hop from this request: without the header there,
            # the token cannot follow a redirect to another host (even if the session's
            # rebuild_auth would let it).
            if not _redirect_keeps_token(response):
                del request.headers["Authorization"]
            return response
        if response.status_code != 401:
            return response
        rejected = sent[len(_BEARER) :]
        fresh = self._tokens.renewed(request.url or "", rejected)
        replayable = isinstance(request.body, (bytes, str, type(None)))
        if fresh is None or fresh == rejected or not replayable:  # AQORA_TOKEN is never renewed
            return response
        response.content  # noqa: B018 - read it, so the connection can be reused
        response.close()
        retry = request.copy()
        # Hooks of its own (requests' copy shares the dict): the original keeps this hook
        # for the hops requests builds from it, the retry is never retried.
        retry.hooks = {
            event: [h for h in hooks if h != self._on_response]
            for event, hooks in request.hooks.items()
        }
        retry.headers["Authorization"] = _BEARER + fresh
        jar = getattr(retry, "_cookies", None)  # cookies the 401 set go along, as in digest auth
        if jar is not None:
            extract_cookies_to_jar(jar, request, response.raw)  # type: ignore[no-untyped-call]
            retry.prepare_cookies(jar)
        again: Response = response.connection.send(retry, **kwargs)  # type: ignore[attr-defined]
        again.history.append(response)
        again.request = retry
        if again.is_redirect:
            # requests follows the retry's redirect from a copy of the *original* request:
            # that copy carries the fresh token to the same origin, and none elsewhere.
            if _redirect_keeps_token(again):
                request.headers["Authorization"] = retry.headers["Authorization"]
            else:
                del request.headers["Authorization"]
                del retry.headers["Authorization"]
        return again


def _redirect_keeps_token(response: Response) -> bool:
    """True when the redirect `response` goes to the same origin (or its https upgrade)."""
    target = urljoin(response.url, response.headers["location"])
    return same_origin_or_upgrade(response.url, target)
