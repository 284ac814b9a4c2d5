"""`aqora-helper status`: the state of each known environment. Never shows a secret.

`--json` prints one object (version 1):
```
{"version": 1, "selected": "<base URL>", "environments": [{
   "url": "https://aqora.io/", "default": true, "selected": true,
   "logged_in": true, "source": "keyring" | "insecure file" | "env" | "official CLI" | null,
   "storage": "<backend, file or program>" | null, "account": "alice" | null,
   "expires_at": "2026-11-28T10:00:00Z" | null, "token_fingerprint": "sha256:…" | null,
   "hosts": ["aqora.io"], "error": {"message": "…", "hint": "…"} | null}]}
```
Exit 0 when the selected environment (--url, else the default) has a usable session.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from ..engine import official
from ..engine.api import Api
from ..engine.log import fingerprint
from ..engine.session import access_token
from ..engine.settings import Environment, Settings
from ..engine.sources import Source, Token
from ..engine.vault import FileVault, insecure_file, vault_for
from ..fast.errors import AqoraHelperError, SessionRejected
from ..fast.text import clean, rfc3339
from ..fast.tokencache import drop_token
from .common import URL_HELP, GlobalOptions, resolve

JSON_VERSION = 1


def status(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (shape in the README)."),
    offline: bool = typer.Option(
        False, "--offline", help="Skip the account lookup (the viewer query)."
    ),
) -> None:
    """Show login state, token source, expiry and served hosts. Exit 1 when not logged in."""
    settings, selected = resolve(ctx, url)
    options = ctx.find_object(GlobalOptions) or GlobalOptions()
    if url or options.url:
        envs = [selected]
    else:
        envs = list(settings.environments.values())
        if selected not in envs:
            envs.insert(0, selected)
    reports = [environment_status(settings, env, env.url == selected.url, offline) for env in envs]
    if as_json:
        body = {"version": JSON_VERSION, "selected": selected.url, "environments": reports}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(render(report, offline) for report in reports))
    if not next(r["logged_in"] for r in reports if r["selected"]):
        raise typer.Exit(1)


def environment_status(
    settings: Settings, env: Environment, selected: bool, offline: bool
) -> dict[str, Any]:
    """The status of one environment (the --json shape)."""
    report: dict[str, Any] = {
        "url": env.url,
        "default": env.url == settings.default_url,
        "selected": selected,
        "logged_in": False,
        "source": None,
        "storage": None,
        "account": None,
        "expires_at": None,
        "token_fingerprint": None,
        "hosts": list(env.hosts),
        "error": None,
    }
    try:
        token = access_token(settings, env)
    except AqoraHelperError as exc:
        report["error"] = _error(exc)
        return report
    if not offline:
        try:
            token, report["account"] = _account(settings, env, token)
        except SessionRejected as exc:
            report["error"] = _error(exc)
            return report
        except AqoraHelperError as exc:  # logged in; the account is unknown for now
            report["error"] = _error(exc)
    report["source"], report["storage"] = source_of(settings, env, token)
    report.update(
        logged_in=True,
        expires_at=rfc3339(token.expires_at),
        token_fingerprint=fingerprint(token.access_token),
    )
    return report


def _error(exc: AqoraHelperError) -> dict[str, str]:
    return {"message": exc.message, "hint": exc.hint}


def _account(settings: Settings, env: Environment, token: Token) -> tuple[Token, str | None]:
    """The account name; a cached token the server no longer accepts is dropped and
    the session asked once more (the next `get` would do the same)."""
    api = Api(env.url, settings.timeouts)
    try:
        viewer = api.viewer(token.access_token)
    except SessionRejected:
        if token.source is not Source.CACHE or not drop_token(env.url, only_if=token.access_token):
            raise
        token = access_token(settings, env)
        viewer = api.viewer(token.access_token)
    name = viewer.get("username")
    return token, name if isinstance(name, str) and name else None


def source_of(settings: Settings, env: Environment, token: Token) -> tuple[str, str]:
    """(source, storage) of a token: env, keyring, insecure file or official CLI."""
    if token.source is Source.ENV:
        return "env", "AQORA_TOKEN"
    if token.source is Source.OFFICIAL:
        return "official CLI", official.location(settings)
    vault = vault_for(env.url, settings.timeouts.keyring)
    if isinstance(vault, FileVault):
        return "insecure file", str(insecure_file(env.url))
    try:
        return "keyring", vault.backend_name()
    except AqoraHelperError as exc:
        return "keyring", f"OS keyring ({exc.message})"


def render(report: dict[str, Any], offline: bool) -> str:
    """The plain-text block of one environment."""
    marks = [m for m in ("default", "selected") if report[m]]
    title = report["url"] + (f" ({', '.join(marks)})" if marks else "")
    lines = [title]
    if report["logged_in"]:
        who = f" as {report['account']}" if report["account"] else ""
        if offline:
            who = " (account not checked: --offline)"
        lines.append(f"  status:  logged in{who}")
        lines.append(f"  source:  {report['source']} ({report['storage']})")
        expiry = f"expires {report['expires_at']}" if report["expires_at"] else "expiry unknown"
        lines.append(f"  token:   {report['token_fingerprint']}, {expiry}")
    else:
        lines.append("  status:  not logged in")
    if report["error"]:
        lines.append(f"  error:   {report['error']['message']}")
        lines.append(f"  hint:    {report['error']['hint']}")
    lines.append(f"  hosts:   {', '.join(report['hosts'])}")
    return "\n".join(clean(line) for line in lines) + "\n"


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(status)
