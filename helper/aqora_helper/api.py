"""The aqora GraphQL API (requests), with the exact documents of aqora-api.md."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from . import __version__
from .errors import InvalidCredentials, ServerUnreachable, SessionRejected, UnexpectedResponse
from .log import logger, register_secret
from .settings import TimeoutsFile

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


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens from oauth2Token / oauth2Refresh."""

    access_token: str
    refresh_token: str
    expires_at: int


class Api:
    """One aqora environment's GraphQL endpoint."""

    def __init__(self, base_url: str, timeouts: TimeoutsFile) -> None:
        self.base_url = base_url
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.endpoint = base_url.rstrip("/") + "/graphql"
        self.timeout = (timeouts.connect, timeouts.read)
        self.http = requests.Session()
        self.http.headers.update(
            {"User-Agent": f"aqora-helper/{__version__}", "Origin": self.origin}
        )

    def post(
        self, query: str, variables: dict[str, Any], operation: str, bearer: str | None = None
    ) -> tuple[dict[str, Any], requests.Response]:
        """Run one GraphQL operation; returns (`data`, response). Raises typed errors."""
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        body = {"query": query, "variables": variables, "operationName": operation}
        logger.debug("POST %s %s", self.endpoint, operation)
        try:
            response = self.http.post(
                self.endpoint,
                json=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise ServerUnreachable(self.base_url, "the request timed out") from None
        except requests.RequestException as exc:
            raise ServerUnreachable(self.base_url, _connection_detail(exc)) from None
        logger.debug("%s answered HTTP %s", operation, response.status_code)
        if response.status_code >= 400:
            raise UnexpectedResponse(self.base_url, f"HTTP {response.status_code} for {operation}")
        try:
            payload = response.json()
        except ValueError:
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
        return data, response

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
        try:
            access, refresh, expires_in = (
                issued["accessToken"],
                issued["refreshToken"],
                int(issued["expiresIn"]),
            )
        except (KeyError, TypeError, ValueError):
            raise UnexpectedResponse(self.base_url, f"{field} answer lacks token fields") from None
        if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
            raise UnexpectedResponse(self.base_url, f"{field} answer lacks token fields")
        register_secret(access, refresh)
        return IssuedTokens(access, refresh, int(time.time()) + expires_in)

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
        register_secret(password)
        variables = {"input": {"usernameOrEmail": username, "password": password}}
        try:
            _, response = self.post(LOGIN_USER, variables, "LoginPageUserMutation")
        except UnexpectedResponse:
            raise InvalidCredentials() from None
        token = response.headers.get("x-access-token")
        if not token:
            raise InvalidCredentials()
        register_secret(token)
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
        return viewer


def _connection_detail(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__


def _first_message(errors: list[Any]) -> str:
    first = errors[0] if errors else {}
    message = first.get("message") if isinstance(first, dict) else None
    return str(message)[:200] if message else "unknown error"
