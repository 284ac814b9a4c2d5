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
Exit 0 when the selected environment (--url, else the default) is usable. A stored
session whose server is unreachable or failing is "logged in" with an error; `--offline`
reads only local state (AQORA_TOKEN, the cache, the stored session) and never the network.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import typer

from ..engine import known, official
from ..engine.api import Api
from ..engine.errors import ServerUnreachable, SessionRejected, UnexpectedResponse
from ..engine.log import fingerprint, register_secret
from ..engine.session import access_token, env_token
from ..engine.settings import Environment, Settings
from ..engine.sources import Source, Token
from ..engine.vault import vault_for
from ..fast.errors import AqoraHelperError, NotLoggedIn
from ..fast.text import clean, rfc3339
from ..fast.tokencache import drop_token, read_token
from .common import URL_HELP, examples, insecure_option, resolve

JSON_VERSION = 1


def status(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (shape in the README)."),
    offline: bool = typer.Option(
        False,
        "--offline",
        help="Never touch the network: no refresh, no account lookup (local state only).",
    ),
) -> None:
    """Show every known environment: login state, token source, expiry, served hosts.

    Exit 0 when the selected environment (--url, else the default) is usable; exit 1
    when it is not logged in, or logged in while the server is unreachable or failing.
    """
    settings, selected = resolve(ctx, url, allow_insecure_host)
    envs = list(settings.environments.values())
    if selected not in envs:
        envs.insert(0, selected)
    reports = [environment_status(settings, env, env.url == selected.url, offline) for env in envs]
    if as_json:
        body = {"version": JSON_VERSION, "selected": selected.url, "environments": reports}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(render(report, offline) for report in reports))
    if not usable(next(r for r in reports if r["selected"]), offline):
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
        token = _offline_token(settings, env) if offline else access_token(settings, env)
    except (ServerUnreachable, UnexpectedResponse) as exc:
        return _stored_only(settings, env, report, exc)
    except AqoraHelperError as exc:
        report["error"] = _error(exc)
        return report
    if token is None:  # --offline, no valid token at hand: is a session stored?
        return _stored_only(settings, env, report, None)
    if not offline:
        try:
            token, report["account"] = account_of(settings, env, token)
        except SessionRejected as exc:
            report["error"] = _error(exc)
            return report
        except AqoraHelperError as exc:  # logged in; the account is unknown for now
            report["error"] = _error(exc)
    report["source"], report["storage"], trouble = source_of(settings, env, token)
    if trouble is not None and report["error"] is None:
        report["error"] = _error(trouble)  # a token now, but the session cannot be read
    report.update(
        logged_in=True,
        expires_at=rfc3339(token.expires_at),
        token_fingerprint=fingerprint(token.access_token),
    )
    return report


def _offline_token(settings: Settings, env: Environment) -> Token | None:
    """AQORA_TOKEN or a cached token still valid; never the network."""
    from_env = env_token(settings, env)
    if from_env is not None:
        return from_env
    cached = read_token(env.url)
    if cached is None or not cached.usable(settings.refresh_skew, time.time()):
        return None
    register_secret(cached.access_token)
    return Token(cached.access_token, cached.expires_at, Source.CACHE)


def stored_session(settings: Settings, env: Environment) -> tuple[str, str] | None:
    """(source, storage) of a stored session, read locally (keyring, insecure file,
    the official CLI's credentials.json); None when there is none."""
    vault = vault_for(env.url, settings.timeouts.keyring)
    if vault.load_unlocked(env.url) is not None:
        return vault.source, vault.location(env.url)
    if official.has_session(settings, env):
        return "official CLI", str(official.credentials_path())
    return None


def _stored_only(
    settings: Settings, env: Environment, report: dict[str, Any], trouble: AqoraHelperError | None
) -> dict[str, Any]:
    """The report when no token could be had now: logged in when a session is stored
    (the server is unreachable or failing: `trouble`; or --offline), else not."""
    try:
        found = stored_session(settings, env)
    except AqoraHelperError as exc:
        report["error"] = _error(trouble or exc)
        return report
    if found is None:
        report["error"] = _error(trouble or NotLoggedIn(env.url, _elsewhere(env)))
        return report
    report.update(logged_in=True, source=found[0], storage=found[1])
    if trouble is not None:
        report["error"] = {
            "message": f"logged in, but the server is unreachable or failing ({trouble.message})",
            "hint": trouble.hint,
        }
    return report


def _elsewhere(env: Environment) -> tuple[str, ...]:
    return tuple(u for u in known.logged_in_urls() if u != env.url)


def usable(report: dict[str, Any], offline: bool) -> bool:
    """A token can be had now (--offline: a session is stored, not checked)."""
    return bool(report["logged_in"]) and (offline or report["token_fingerprint"] is not None)


def _error(exc: AqoraHelperError) -> dict[str, str]:
    return {"message": exc.message, "hint": exc.hint}


def account_of(settings: Settings, env: Environment, token: Token) -> tuple[Token, str | None]:
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


def source_of(
    settings: Settings, env: Environment, token: Token
) -> tuple[str, str, AqoraHelperError | None]:
    """(source, storage, trouble) of a token: env, keyring, insecure file or official
    CLI; `trouble` when the OS keyring holding the session cannot be used now."""
    if token.source is Source.ENV:
        return "env", "AQORA_TOKEN", None
    if token.source is Source.OFFICIAL:
        return "official CLI", official.location(settings), None
    vault = vault_for(env.url, settings.timeouts.keyring)
    try:
        return vault.source, vault.location(env.url), None
    except AqoraHelperError as exc:  # the OS keyring (a file's path is always known)
        return vault.source, "OS keyring, unusable now", exc


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
        if report["token_fingerprint"]:
            expiry = f"expires {report['expires_at']}" if report["expires_at"] else "expiry unknown"
            lines.append(f"  token:   {report['token_fingerprint']}, {expiry}")
        elif offline:
            lines.append("  token:   none valid in the cache (not refreshed: --offline)")
        else:
            lines.append("  token:   none (the server is unreachable or failing)")
    else:
        lines.append("  status:  not logged in")
    if report["error"]:
        lines.append(f"  error:   {report['error']['message']}")
        lines.append(f"  hint:    {report['error']['hint']}")
    lines.append(f"  hosts:   {', '.join(report['hosts'])}")
    return "\n".join(clean(line) for line in lines) + "\n"


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        epilog=examples(
            "aqora-helper status",
            "aqora-helper status --offline",
            "aqora-helper status --json --url https://staging.aqora.example",
        )
    )(status)
