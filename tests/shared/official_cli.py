"""The official aqora CLI's session as the tests make it: a login done the way `aqora
login --interactive` does it, its credentials.json, and a stand-in `aqora` program with
`auth token` (its FAKE_AQORA_MODE picks: ok, old, fail, logged-out, slow)."""

from __future__ import annotations

import json
from pathlib import Path

from aqora_helper.engine.api import INTERACTIVE_REDIRECT_URI, Api, IssuedTokens
from aqora_helper.engine.settings import Timeouts
from servers.aqora import AqoraServer

CLIENT_ID = "localhost-official"
FUTURE = "2099-01-01T00:00:00Z"
PAST = "2020-01-01T00:00:00.5Z"


def official_login(aqora: AqoraServer) -> IssuedTokens:
    """A session made the way `aqora login --interactive` makes it."""
    api = Api(aqora.url + "/", Timeouts())
    code = api.authorize(api.login_user("alice", "pw"), CLIENT_ID)
    return api.exchange_code(code, CLIENT_ID, INTERACTIVE_REDIRECT_URI)


def credentials_path(user_env: dict[str, str]) -> Path:
    return Path(user_env["XDG_DATA_HOME"]) / "aqora" / "credentials.json"


def entry(issued: IssuedTokens, expires_at: str) -> dict[str, object]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": None,
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expires_at": expires_at,
    }


OTHER = {
    "client_id": "localhost-elsewhere",
    "access_token": "aqat_other_environment",
    "refresh_token": "aqrt_other_environment",
    "expires_at": "2020-01-01T00:00:00Z",
}


def write_credentials(path: Path, url: str, value: dict[str, object]) -> dict[str, object]:
    data = {"credentials": {"https://aqora.io/": OTHER, url + "/": value}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return data


FAKE_AQORA = """#!{python}
import os, sys, time
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(repr((args, os.environ.get("AQORA_ALLOW_INSECURE_HOST"))) + "\\n")
mode = os.environ.get("FAKE_AQORA_MODE", "ok")
if args[:2] != ["auth", "token"] or mode == "old":
    sys.stderr.write("error: unrecognized subcommand\\n")
    sys.exit(2)
if "--help" in args:
    print("Usage: aqora auth token [OPTIONS]")
    sys.exit(0)
if mode == "fail":
    sys.stderr.write("Error: boom: the network is down\\n")
    sys.exit(3)
if mode == "logged-out":
    sys.stderr.write("Error: Not logged in to " + args[-1] + "\\n")
    sys.exit(1)
if mode == "slow":
    time.sleep(30)
print(os.environ["FAKE_AQORA_TOKEN"])
"""
