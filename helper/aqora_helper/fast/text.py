"""Text helpers: what a token may look like, RFC 3339 times, and untrusted text made
safe to show on one line. Stdlib only (the fast path uses it)."""

import time

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import TypeGuard

# RFC 6750's bearer token syntax (b64token): 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
# "+" / "/" ) *"=". It covers JWTs and opaque base64(url) tokens, and holds nothing a
# shell, an HTTP header, a JSON string or a line-based protocol treats specially (no
# space, quote, `$`, backquote, `;`, CR or LF).
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/")
MIN_TOKEN = 8  # shorter cannot be a real token, nor be redacted from text
MAX_TOKEN = 4096  # a JWT with many claims fits; "Authorization: Bearer …" stays far
#                   below every HTTP server's header line limit (8 KiB and up)


def is_token(text: object) -> "TypeGuard[str]":
    """True when `text` is a bearer token by RFC 6750's syntax, MIN..MAX_TOKEN long."""
    if not isinstance(text, str) or not MIN_TOKEN <= len(text) <= MAX_TOKEN:
        return False
    body = text.rstrip("=")
    return bool(body) and all(c in TOKEN_CHARS for c in body)


def rfc3339(epoch: int | None) -> str | None:
    """Unix seconds as RFC 3339 UTC (`2026-11-28T10:00:00Z`)."""
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def one_line(text: str) -> str:
    """`text` on one line: every non-printable character (line breaks, terminal
    escapes) becomes a space, runs of whitespace one space."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def clean(text: str) -> str:
    """Text safe to print: every non-printable character replaced by `?`."""
    return "".join(c if c.isprintable() else "?" for c in text)


def shown(text: str, limit: int = 80) -> str:
    """Untrusted input made safe to show: printable ASCII only, bounded length."""
    text = "".join(c if c.isascii() and c.isprintable() else "?" for c in text[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "..."


def without_userinfo(url: str) -> str:
    """`url` safe to show in an error: a `user:password@` (or a lone `token@`) before the
    host is replaced by `***@`."""
    split = _userinfo(url)
    return url if split is None else f"{split[0]}://***@{split[2]}"


def without_password(url: str) -> str:
    """`url` to show and paste: `user:password@` becomes `user@`, and a user name that is
    a long token (32 token characters or more) is dropped too."""
    split = _userinfo(url)
    if split is None:
        return url
    head, userinfo, after = split
    user = userinfo.split(":", 1)[0]
    keep = bool(user) and not (is_token(user) and len(user) >= 32)
    return f"{head}://{user + '@' if keep else ''}{after}"


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """(scheme, userinfo, rest) of a URL with userinfo, else None. Everything up to the
    last `@` is taken as userinfo when it holds a `:` or no `/` (urllib and pip split a
    password holding `@` or `/` so)."""
    head, sep, rest = url.partition("://")
    userinfo, at, after = rest.rpartition("@")
    if not sep or not at or ("/" in userinfo and ":" not in userinfo):
        return None
    return head, userinfo, after


def url_problem(url: str, error: ValueError) -> str:
    """What urllib found wrong with `url`, unless the URL has userinfo (urllib then may
    quote a piece of the password as the port)."""
    return "its port or host cannot be read" if "@" in url else str(error)
