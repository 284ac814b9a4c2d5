"""A session of the official aqora CLI, made against the stand-in as `aqora login
--interactive` makes it, and its credentials.json (tests/e2e/test_official_session_
fastpath_e2e.py, tests/e2e/test_perf_misspath.py, tests/bench)."""

from __future__ import annotations

import json
from pathlib import Path

from aqora_helper.engine.api import INTERACTIVE_REDIRECT_URI, Api, IssuedTokens
from aqora_helper.engine.settings import Timeouts
from aqora_helper.fast.text import rfc3339

CLIENT_ID = "localhost-official"


def official_login(server_url: str, username: str = "alice", password: str = "pw") -> IssuedTokens:
    api = Api(server_url.rstrip("/") + "/", Timeouts())
    code = api.authorize(api.login_user(username, password), CLIENT_ID)
    return api.exchange_code(code, CLIENT_ID, INTERACTIVE_REDIRECT_URI)


def credentials_path(user_env: dict[str, str]) -> Path:
    """The official CLI's credentials.json under the user's XDG_DATA_HOME."""
    return Path(user_env["XDG_DATA_HOME"]) / "aqora" / "credentials.json"


def write_credentials(path: Path, server_url: str, issued: IssuedTokens, expires_at: int) -> Path:
    """credentials.json holding `issued` for `server_url`, expiring at `expires_at`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"client_id": CLIENT_ID, "client_secret": None, "access_token": issued.access_token,
             "refresh_token": issued.refresh_token, "expires_at": rfc3339(expires_at)}  # fmt: skip
    body = {"credentials": {server_url.rstrip("/") + "/": entry}}
    path.write_text(json.dumps(body, indent=2))
    return path
