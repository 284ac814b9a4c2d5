"""The aqora GraphQL API (requests), with the exact documents of aqora-api.md.

Everything the server sends is untrusted: each call has a total deadline (not only
per-read timeouts) and a size cap, issued tokens must have RFC 6750's syntax,
`expiresIn` is range-checked, and server text is redacted before it is shown.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3

from .. import __version__
from ..fast.redaction import server_text
from ..fast.text import MAX_TOKEN, MIN_TOKEN, is_token
from .deadline import Deadline, DeadlineAdapter
from .errors import InvalidCredentials, ServerUnreachable, SessionRejected, UnexpectedResponse
from .log import logger, register_password, register_secret
from .timeouts import Timeouts

MAX_ANSWER = 1024 * 1024  # bytes; real answers are a few hundred
CHUNK = 64 * 1024
MAX_EXPIRES_IN = 7 * 24 * 3600  # seconds; longer lifetimes are shortened to this
MAX_INT_DIGITS = 20  # longer JSON integers are read as floats (inf when absurd)

REFRESH = """mutation Oauth2RefreshMutation($client_id: String!, $client_secret: String, $refresh_token: String!) {
  oauth2Refresh(input: { refreshToken: $refresh_token, clientId: $client_id, clientSecret: $client_secret }) {
    clientError unauthorized issued { expiresIn accessToken refreshToken }
  }
}"""

TOKEN = """mutation Oauth2TokenMutation($code: String!, $client_id: String!, $redirect_uri: Url!) {
  oauth2Token(input: { code: $code, clientId: $client_id, redirectUri: $redirect_uri }) {
    clientError unauthorized issued { expiresIn accessToken refreshToken }
  }
}"""

LOGIN_USER = """mutation LoginPageUserMutation($input: LoginUserInput!) {
  loginUser(input: $input) { node { id } }
}"""

AUTHORIZE = """mutation Oauth2AuthorizePageMutation($input: Oauth2AuthorizeInput!) {
  oauth2Authorize(input: $input) { unauthorized clientError redirectUri }
}"""

VIEWER = """query ViewerInfo { viewer { __typename id username } }"""

INTERACTIVE_REDIRECT_URI = "http://localhost/"


class IssuedTokens(NamedTuple):
    """Tokens from oauth2Token / oauth2Refresh."""

    access_token: str
    refresh_token: str
    expires_at: int


class RotatedWithoutAccess(UnexpectedResponse):
    """A refresh answer whose refresh token is valid but whose access token is not. The
    server has rotated: the caller must store `refresh_token` (else the session is lost),
    then raise this error. The token is never part of the error's text."""

    def __init__(self, url: str, detail: str, refresh_token: str) -> None:
        super().__init__(url, detail)
        self.refresh_token = refresh_token


class Api:
    """One aqora environment's GraphQL endpoint."""

    def __init__(self, base_url: str, timeouts: Timeouts) -> None:
        self.base_url = base_url
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.endpoint = base_url.rstrip("/") + "/graphql"
        self.timeout = (timeouts.connect, timeouts.read)
        self.total = timeouts.connect + timeouts.read
        self.http = requests.Session()
        adapter = DeadlineAdapter()
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers.update(
            {
                "User-Agent": f"aqora-helper/{__version__}",
                "Origin": self.origin,
                "Accept-Encoding": "identity",  # never inflate what a server sends
                "Connection": "close",  # a fresh, deadline-watched socket per call
            }
        )

    def post(
        self, query: str, variables: dict[str, Any], operation: str, bearer: str | None = None
    ) -> tuple[dict[str, Any], requests.Response]:
        """Run one GraphQL operation; returns (`data`, response). Raises typed errors.
        The whole exchange (connect, headers, body) ends within `connect + read` s."""
        register_secret(bearer)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        body = {"query": query, "variables": variables, "operationName": operation}
        logger.debug("POST %s %s", self.endpoint, operation)
        with Deadline(self.total) as deadline:
            try:
                response = self.http.post(
                    self.endpoint,
                    json=body,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                with response:
                    logger.debug("%s answered HTTP %s", operation, response.status_code)
                    if response.status_code >= 400:
                        raise UnexpectedResponse(
                            self.base_url, f"HTTP {response.status_code} for {operation}"
                        )
                    raw = self._read(response, operation)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise self._unreachable(exc, deadline) from None
            if deadline.expired:
                raise self._unreachable(None, deadline)
        return self._data(raw, operation), response

    def _read(self, response: requests.Response, operation: str) -> bytes:
        """The body, refused when encoded (never inflated) or larger than MAX_ANSWER."""
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            raise UnexpectedResponse(
                self.base_url,
                f"{operation} answered {server_text(encoding, 40)}-encoded, "
                "which was not asked for",
            )
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_ANSWER):
            raise self._too_large(operation)
        chunks, size = [], 0
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > MAX_ANSWER:
                raise self._too_large(operation)
            chunks.append(chunk)
        return b"".join(chunks)

    def _data(self, raw: bytes, operation: str) -> dict[str, Any]:
        """The `data` object of a GraphQL answer (typed errors for anything else)."""
        try:
            payload = json.loads(raw, parse_int=_parse_int)
        except (ValueError, RecursionError):
            raise UnexpectedResponse(self.base_url, f"{operation} did not return JSON") from None
        if not isinstance(payload, dict):
            raise UnexpectedResponse(self.base_url, f"{operation} returned a non-object")
        errors = payload.get("errors") or []
        if errors:
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "INVALID_AUTHORIZATION" in codes:
                raise SessionRejected(self.base_url, "INVALID_AUTHORIZATION")
            if payload.get("data") is None:
                raise UnexpectedResponse(
                    self.base_url, f"{operation} failed: {_first_message(errors)}"
                )
        data = payload.get("data")
        if not isinstance(data, dict):
            raise UnexpectedResponse(self.base_url, f"{operation} returned no data")
        return data

    def _too_large(self, operation: str) -> UnexpectedResponse:
        return UnexpectedResponse(
            self.base_url, f"{operation}'s answer is larger than {MAX_ANSWER // 1024 // 1024} MiB"
        )

    def _unreachable(self, exc: Exception | None, deadline: Deadline) -> ServerUnreachable:
        if deadline.expired or exc is None:
            return ServerUnreachable(self.base_url, f"no complete answer within {self.total:g} s")
        if isinstance(exc, requests.Timeout):
            return ServerUnreachable(self.base_url, "the request timed out")
        return ServerUnreachable(self.base_url, _connection_detail(exc))

    def _issued(self, data: dict[str, Any], field: str) -> IssuedTokens:
        output = data.get(field)
        if not isinstance(output, dict):
            raise UnexpectedResponse(self.base_url, f"{field} returned no result")
        issued = output.get("issued")
        if issued is None:
            if output.get("unauthorized"):
                raise SessionRejected(self.base_url, "unauthorized")
            if output.get("clientError"):
                raise SessionRejected(self.base_url, "client error")
            raise UnexpectedResponse(self.base_url, f"{field} issued nothing")
        if not isinstance(issued, dict):
            raise UnexpectedResponse(self.base_url, f"{field} answer lacks token fields")
        access, refresh = issued.get("accessToken"), issued.get("refreshToken")
        register_secret(access, refresh)
        if not is_token(refresh):
            # Nothing can be kept: the stored session stays as it was (see README).
            raise UnexpectedResponse(self.base_url, f"{field} issued {_not_a_token()}")
        if not is_token(access):
            raise RotatedWithoutAccess(
                self.base_url, f"{field} issued an access token {_not_a_token(False)}", refresh
            )
        lifetime = expires_in_seconds(issued.get("expiresIn"))
        return IssuedTokens(access, refresh, int(time.time()) + lifetime)

    def refresh(
        self, client_id: str, client_secret: str | None, refresh_token: str
    ) -> IssuedTokens:
        """oauth2Refresh: rotate the refresh token."""
        register_secret(refresh_token, client_secret)
        variables = {
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        data, _ = self.post(REFRESH, variables, "Oauth2RefreshMutation")
        return self._issued(data, "oauth2Refresh")

    def exchange_code(self, code: str, client_id: str, redirect_uri: str) -> IssuedTokens:
        """oauth2Token: trade an authorization code for tokens."""
        register_secret(code)
        variables = {"code": code, "client_id": client_id, "redirect_uri": redirect_uri}
        data, _ = self.post(TOKEN, variables, "Oauth2TokenMutation")
        result = data.get("oauth2Token")
        if isinstance(result, dict) and result.get("issued") is None:
            raise UnexpectedResponse(self.base_url, "the authorization code was refused")
        return self._issued(data, "oauth2Token")

    def login_user(self, username: str, password: str) -> str:
        """loginUser: returns the web-session token of the `x-access-token` header."""
        register_password(password)
        variables = {"input": {"usernameOrEmail": username, "password": password}}
        try:
            _, response = self.post(LOGIN_USER, variables, "LoginPageUserMutation")
        except UnexpectedResponse:
            raise InvalidCredentials(self.base_url) from None
        token = response.headers.get("x-access-token")
        if not token:
            raise InvalidCredentials(self.base_url)
        register_secret(token)
        if not is_token(token):
            raise UnexpectedResponse(
                self.base_url, f"loginUser's x-access-token header holds {_not_a_token()}"
            )
        return token

    def authorize(self, web_token: str, client_id: str) -> str:
        """oauth2Authorize for the interactive flow; returns the authorization code."""
        state = secrets.token_urlsafe(16)
        variables = {
            "input": {
                "clientId": client_id,
                "state": state,
                "redirectUri": INTERACTIVE_REDIRECT_URI,
            }
        }
        data, _ = self.post(AUTHORIZE, variables, "Oauth2AuthorizePageMutation", bearer=web_token)
        result = data.get("oauth2Authorize")
        if not isinstance(result, dict) or result.get("unauthorized") or result.get("clientError"):
            raise UnexpectedResponse(self.base_url, "the authorization was refused")
        redirect = result.get("redirectUri")
        codes = (
            parse_qs(urlsplit(redirect).query).get("code") if isinstance(redirect, str) else None
        )
        if not codes:
            raise UnexpectedResponse(self.base_url, "the authorization returned no code")
        register_secret(codes[0])
        return codes[0]

    def viewer(self, access_token: str) -> dict[str, Any]:
        """The account the token belongs to."""
        data, _ = self.post(VIEWER, {}, "ViewerInfo", bearer=access_token)
        viewer = data.get("viewer")
        if not isinstance(viewer, dict):
            raise SessionRejected(self.base_url, "no viewer")
        return {k: server_text(v, 100) if isinstance(v, str) else v for k, v in viewer.items()}


def expires_in_seconds(value: object) -> int:
    """`expiresIn` as a lifetime in 0..MAX_EXPIRES_IN seconds. Longer (even infinite) is
    shortened to the maximum; anything else unusable (negative, zero, NaN, a string,
    missing) is 0: the token is handed out once and the next call refreshes. Never an
    error, so the rotated refresh token that came with it is always kept."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        seconds = 0
    elif value >= MAX_EXPIRES_IN:
        seconds = MAX_EXPIRES_IN
    else:
        seconds = int(value) if value > 0 else 0
    if seconds != value:
        logger.debug("expiresIn %s is out of range; using %d s", server_text(value, 40), seconds)
    return seconds


def _parse_int(text: str) -> int | float:
    """JSON integers: absurdly long ones as floats (inf), never a ValueError (Python
    limits int() to 4300 digits) that would throw away the whole answer."""
    return int(text) if len(text) <= MAX_INT_DIGITS else float(text)


def _not_a_token(article: bool = True) -> str:
    return (
        f"{'a token ' if article else ''}outside the bearer token syntax (RFC 6750: letters, "
        f"digits, '-._~+/', trailing '='; {MIN_TOKEN} to {MAX_TOKEN} characters)"
    )


def _connection_detail(exc: Exception) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__


def _first_message(errors: list[Any]) -> str:
    first = errors[0] if errors else {}
    message = first.get("message") if isinstance(first, dict) else None
    return server_text(message, 200) if message else "unknown error"
