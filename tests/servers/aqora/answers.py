"""The GraphQL answers, by operation name: one handler for each operation the helper
sends (helper/aqora_helper/api.py, browser_login.py). A handler resolves its operation's
root field; graphql-core coerces the arguments and keeps only the fields asked for.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from . import browser
from .schema import Document, Rejected, run
from .state import Refusal

if TYPE_CHECKING:
    from .server import AqoraServer

REFUSALS: tuple[Refusal, ...] = ("unauthorized", "clientError")


@dataclass
class Context:
    """One request as its handler sees it, and the headers it adds to the answer."""

    server: AqoraServer
    bearer: str | None = None
    refusal: Refusal | None = None  # a fault making oauth2Token/oauth2Refresh say no
    host: str = ""  # Host header: the server an authorization URL must name
    ws: Any = None  # the websocket of a subscription, and the subscription id
    sub_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    kind: str  # query | mutation | subscription
    field: str  # the root field it selects
    resolve: Callable[..., Any]  # (info, **arguments) -> the root field's value


def _context(info: GraphQLResolveInfo) -> Context:
    ctx = info.context
    assert isinstance(ctx, Context)
    return ctx


def login_user(info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:
    ctx = _context(info)
    found = ctx.server.log_in(input["usernameOrEmail"], input["password"])
    if found is None:
        raise GraphQLError("Invalid username or password")
    token, username = found
    ctx.headers["x-access-token"] = token
    return {"node": ctx.server.user_node(username)}


def oauth2_authorize(info: GraphQLResolveInfo, input: dict[str, Any], **_: Any) -> Any:
    ctx = _context(info)
    username = ctx.server.web_user(ctx.bearer)
    if username is None:
        return {"unauthorized": True, "clientError": False, "redirectUri": None}
    client_id, redirect_uri = input["clientId"], input["redirectUri"]
    if not client_id or not _is_url(redirect_uri):
        return {"unauthorized": False, "clientError": True, "redirectUri": None}
    code = ctx.server.new_code(username, client_id, redirect_uri, input.get("scope") or "")
    state = input.get("state")
    return {
        "unauthorized": False,
        "clientError": False,
        "redirectUri": _add_query(redirect_uri, code=code, state=state),
    }


def oauth2_token(info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:
    ctx = _context(info)
    if ctx.refusal is not None:
        return _token_output(ctx, ctx.refusal)
    issued = ctx.server.exchange(input["code"], input["clientId"], input["redirectUri"])
    return _token_output(ctx, issued)


async def oauth2_refresh(info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:
    ctx = _context(info)
    if ctx.refusal is not None:
        return _token_output(ctx, ctx.refusal)
    server = ctx.server
    issued = server.rotate(input["refreshToken"], input["clientId"])
    if isinstance(issued, dict):  # rotated: now the answer may be slow or lost
        if server.refresh_hook is not None:
            await asyncio.get_running_loop().run_in_executor(None, server.refresh_hook)
        if server.refresh_delay:
            await server.sleep(server.refresh_delay)
    return _token_output(ctx, issued)


def viewer(info: GraphQLResolveInfo) -> Any:
    ctx = _context(info)
    username = ctx.server.user_for_access_token(ctx.bearer)
    if username is None:
        raise GraphQLError("Session Not Found", extensions={"code": "INVALID_AUTHORIZATION"})
    return ctx.server.user_node(username)


async def oauth2_redirect(info: GraphQLResolveInfo, input: dict[str, Any]) -> Any:
    """Wait for the browser; the code, bound to the signed redirect URI."""
    ctx = _context(info)
    request = browser.verify(input["authorizationUrl"], input["signature"], ctx.host)
    verdict, detail = await ctx.server.authorizations.wait(request, ctx.ws, ctx.sub_id)
    if verdict != "approve":
        raise GraphQLError(detail, extensions={"code": "ACCESS_DENIED"})
    return {"code": ctx.server.new_code(detail, request.client_id, request.redirect_uri, "")}


OPERATIONS: dict[str, Operation] = {
    "LoginPageUserMutation": Operation("mutation", "loginUser", login_user),
    "Oauth2AuthorizePageMutation": Operation("mutation", "oauth2Authorize", oauth2_authorize),
    "Oauth2TokenMutation": Operation("mutation", "oauth2Token", oauth2_token),
    "Oauth2RefreshMutation": Operation("mutation", "oauth2Refresh", oauth2_refresh),
    "ViewerInfo": Operation("query", "viewer", viewer),
    "Oauth2RedirectSubscription": Operation("subscription", "oauth2Redirect", oauth2_redirect),
}
ROOT_FIELDS = tuple(op.field for op in OPERATIONS.values())


def select(document: Document) -> Operation:
    """The handler of the document's operation; Rejected if the stand-in has none."""
    op = OPERATIONS.get(document.name or "")
    if op is None:
        raise Rejected.because(
            f"the stand-in serves only the operations {sorted(OPERATIONS)}, "
            f"not {document.name or 'an anonymous one'}"
        )
    if document.kind != op.kind or document.root_fields() - {"__typename"} != {op.field}:
        raise Rejected.because(f"{document.name} must be a {op.kind} of {op.field} alone")
    return op


async def answer(
    document: Document, op: Operation, ctx: Context, variables: dict[str, Any] | None
) -> dict[str, Any]:
    """Run the operation with its handler as the root field's resolver."""
    return await run(document, {op.field: op.resolve}, ctx, variables)


def _token_output(ctx: Context, issued: dict[str, Any] | Refusal) -> dict[str, Any]:
    if isinstance(issued, str):
        refused = {"clientError": issued == "clientError", "unauthorized": issued == "unauthorized"}
        return {"issued": None, **refused}
    issued = {**issued, "expiresIn": ctx.server.expires_in(issued["expiresIn"])}
    return {"issued": issued, "clientError": False, "unauthorized": False}


def _is_url(text: str) -> bool:
    p = urllib.parse.urlsplit(text)
    return bool(p.scheme and p.netloc)


def _add_query(url: str, **params: str | None) -> str:
    p = urllib.parse.urlsplit(url)
    extra = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{p.query}&{extra}" if p.query else extra
    return urllib.parse.urlunsplit((p.scheme, p.netloc, p.path, query, p.fragment))
