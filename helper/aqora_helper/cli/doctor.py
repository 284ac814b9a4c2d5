"""`aqora-helper doctor`: checks, each `ok|note|warn|fail  <check>: <detail>` with its fix.

Exit 1 when any check fails; notes and warnings exit 0. Every wait is bounded by the
configured timeouts.
"""

from __future__ import annotations

import os
import sys
import time
from email.utils import parsedate_to_datetime

import requests
import typer

from ..engine import official
from ..engine.api import VIEWER, Api
from ..engine.errors import ConfigError
from ..engine.sessionfiles import insecure_file
from ..engine.settings import Environment, Settings
from ..engine.vault import KeyringVault
from ..fast import platform_shell
from ..fast.errors import AqoraHelperError
from ..fast.text import clean
from ..setup.checks import Check, containers_checks, docker_checks, git_checks, launcher_checks
from ..setup.indexchecks import index_checks
from .common import URL_HELP, examples, insecure_option, resolve
from .status import environment_status

MAX_CLOCK_SKEW = 60.0


def doctor(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
) -> None:
    """Diagnose the setup: keyring, config, API, clock, session, integrations.

    Each check is ok, note, warn or fail, with the command to run under it. Exits 1 when
    a check fails, else 0 (notes and warnings included)."""
    failed = False

    def emit(check: Check) -> None:
        nonlocal failed
        failed |= check.status == "fail"
        sys.stdout.write(clean(f"{check.status:<4}  {check.name}: {check.detail}") + "\n")
        if check.fix and check.status != "ok":
            label = "to add" if check.status == "note" else "fix"
            sys.stdout.write(clean(f"      {label}: {check.fix}") + "\n")
        sys.stdout.flush()

    try:
        settings, env = resolve(ctx, url, allow_insecure_host)
    except ConfigError as exc:
        emit(Check("fail", "config", exc.message, exc.hint))
        raise typer.Exit(1) from None
    emit(config_check(settings))
    emit(keyring_check(settings, env))
    api = api_checks(settings, env)
    for check in api:
        emit(check)
    # one bounded wait on a hanging server: the session is then checked locally only
    emit(session_check(settings, env, offline=api[0].status == "fail"))
    served = {h: e for e in settings.environments.values() for h in e.hosts}
    hosts = list(served)
    for check in [
        *git_checks({h: e.url for h, e in served.items()}),
        *docker_checks(hosts),
        *containers_checks(hosts),
        *index_checks(served),
        *launcher_checks(),
    ]:
        emit(check)
    if failed:
        raise typer.Exit(1)


def config_check(settings: Settings) -> Check:
    """The config file parsed and validated (resolve() raised otherwise)."""
    path = settings.config_path
    where = f"{path} is valid" if path.exists() else f"no config file ({path}): defaults"
    return Check("ok", "config", f"{where}; default environment {settings.default_url}")


def keyring_check(settings: Settings, env: Environment) -> Check:
    """The OS keyring is viable and unlocked (one bounded read)."""
    vault = KeyringVault(settings.timeouts.keyring)
    try:
        vault.load_unlocked(env.url)
        return Check("ok", "keyring", f"{vault.backend_name()} answers and is unlocked")
    except AqoraHelperError as exc:
        elsewhere = (
            os.path.lexists(insecure_file(env.url))
            or (env.url == settings.token_url and bool(os.environ.get("AQORA_TOKEN", "").strip()))
            or official.has_session(settings, env)
        )
        return Check("warn" if elsewhere else "fail", "keyring", exc.message, exc.hint)


def api_checks(settings: Settings, env: Environment) -> list[Check]:
    """The API answers GraphQL; the local clock agrees with its Date header."""
    api = Api(env.url, settings.timeouts)
    body = {"query": VIEWER, "variables": {}, "operationName": "ViewerInfo"}
    fix = "Check your network connection and the URL (--url, AQORA_URL or the config file)."
    started = time.time()
    try:
        response = api.http.post(api.endpoint, json=body, timeout=api.timeout)
    except requests.RequestException as exc:
        detail = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        return [
            Check("fail", "api", f"{api.endpoint}: {detail}", fix),
            Check("warn", "clock", "not checked: the API did not answer", fix),
        ]
    finished = time.time()
    took = f"HTTP {response.status_code} in {(finished - started) * 1000:.0f} ms"
    if response.status_code >= 500 or not _is_graphql(response):
        api_check = Check(
            "fail",
            "api",
            f"{api.endpoint} answered {took}, not a GraphQL response",
            "Check the URL points to the aqora API; retry later if the service is down.",
        )
    else:
        api_check = Check("ok", "api", f"{api.endpoint} answered {took}")
    return [api_check, clock_check(response.headers.get("Date"), (started + finished) / 2)]


def _is_graphql(response: requests.Response) -> bool:
    try:
        payload = response.json()
    except ValueError:
        return False
    return isinstance(payload, dict) and ("data" in payload or "errors" in payload)


def clock_check(date_header: str | None, local: float) -> Check:
    """The local clock within MAX_CLOCK_SKEW of the server's Date header."""
    try:
        server = parsedate_to_datetime(date_header or "").timestamp()
    except (TypeError, ValueError):
        return Check("warn", "clock", "the server sent no usable Date header", "Nothing to do.")
    skew = local - server
    if abs(skew) <= MAX_CLOCK_SKEW:
        return Check("ok", "clock", f"within {abs(skew):.0f} s of the server")
    side = "ahead of" if skew > 0 else "behind"
    return Check(
        "fail",
        "clock",
        f"the local clock is {abs(skew):.0f} s {side} the server",
        "Synchronise the clock (e.g. 'timedatectl set-ntp true'): token expiry is judged by it.",
    )


def session_check(settings: Settings, env: Environment, offline: bool = False) -> Check:
    """A token can be produced now and the server accepts it (`offline`: the API did
    not answer, so only what is stored locally is checked)."""
    report = environment_status(settings, env, True, offline=offline)
    error = report["error"]
    if not report["logged_in"]:
        relogin = "aqora-helper login" in error["hint"]  # not logged in, expired, revoked
        fix = (
            platform_shell.command("aqora-helper", "login", "--url", env.url)
            if relogin
            else error["hint"]
        )
        return Check("fail", "session", error["message"], fix)
    expiry = f"expires {report['expires_at']}" if report["expires_at"] else "expiry unknown"
    where = f"{report['source']} ({report['storage']}), {expiry}"
    if offline:
        return Check(
            "warn",
            "session",
            f"stored in {where}; not checked with the server (the API did not answer)",
            platform_shell.command("aqora-helper", "doctor", "--url", env.url),
        )
    if error:
        return Check("warn", "session", f"token from {where}; {error['message']}", error["hint"])
    return Check("ok", "session", f"usable: {report['account']} via {where}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        epilog=examples(
            "aqora-helper doctor", "aqora-helper doctor --url https://staging.aqora.example"
        )
    )(doctor)
