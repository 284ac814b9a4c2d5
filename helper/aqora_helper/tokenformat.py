"""How `aqora-helper token` prints a token. Stdlib only (the fast path uses it)."""

from __future__ import annotations

import json
import time

FORMATS = ("plain", "json", "env", "header")


def rfc3339(epoch: int | None) -> str | None:
    """Unix seconds as RFC 3339 UTC (`2026-11-28T10:00:00Z`)."""
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def render(token: str, expires_at: int | None, url: str, fmt: str) -> str:
    """The text printed for each format (ends with a newline)."""
    if fmt == "json":
        body = {"access_token": token, "expires_at": rfc3339(expires_at), "url": url}
        return json.dumps(body) + "\n"
    if fmt == "env":
        return f"AQORA_TOKEN={token}\n"
    if fmt == "header":
        return f"Authorization: Bearer {token}\n"
    return token + "\n"
