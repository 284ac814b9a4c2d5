"""`aqora-helper logout`: forget the helper's session for an environment (or all).

Removes the refresh token (OS keyring, recovery file, or the opt-in insecure file) and
the cached access token, under the environment's refresh lock so that a concurrent
refresh cannot bring the session back. git hands every credential that worked to all its
helpers, so a storing one (store, cache, a keychain) may hold copies of our access
tokens: `git credential reject` asks them to drop the ones we remember issuing. Idempotent. The official aqora CLI's session is
never touched. The API has no revocation call: the tokens are forgotten, not revoked.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import typer

from ..engine import known, official
from ..engine.datadir import sessions_file
from ..engine.errors import KeyringUnavailable
from ..engine.served import refresh_index
from ..engine.settings import Environment, Settings
from ..engine.vault import FileVault, KeyringVault
from ..fast.errors import AqoraHelperError
from ..fast.hostindex import index_path
from ..fast.paths import cache_root
from ..fast.refreshlock import RefreshLock, lock_path
from ..fast.tokencache import drop_token, issued_tokens
from ..setup.git import reject_copies
from .common import URL_HELP, GlobalOptions, examples, insecure_option, resolve, say


def logout(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    all_: bool = typer.Option(False, "--all", help="Log out of every known environment."),
) -> None:
    """Remove the stored session and cached token (never the official CLI's session)."""
    options = ctx.find_object(GlobalOptions) or GlobalOptions()
    if all_ and (url or options.url):
        raise typer.BadParameter("--all and --url are mutually exclusive")
    settings, env = resolve(ctx, url, allow_insecure_host)
    targets = list(settings.environments.values()) if all_ else [env]
    try:
        for target in targets:
            logout_one(settings, target)
    finally:
        refresh_index()
    if all_ and not known.logged_in_urls():
        tidy(targets)


def tidy(envs: list[Environment]) -> None:
    """After `--all`: no session list, host index or refresh lock is left, and the
    folders that held them go when nothing else is in them (a file of the user's stays)."""
    removable = [Path(index_path())]
    if not (Path(cache_root()) / "locks").is_symlink():
        removable += [Path(lock_path(env.url)) for env in envs]
    if _holds(sessions_file(), b"[]"):  # our list, empty; another program's file stays
        removable.append(sessions_file())
    for path in removable:
        path.unlink(missing_ok=True)
    root = Path(cache_root())
    folders = sorted(
        (p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True
    )
    for folder in [*folders, root]:  # deepest first
        with contextlib.suppress(OSError):  # not empty, or already gone
            folder.rmdir()


def logout_one(settings: Settings, env: Environment) -> None:
    """Log out of one environment and say what was removed."""
    issued: list[str] = []
    try:
        with RefreshLock(env.url, settings.timeouts.lock):
            issued = issued_tokens(env.url)
            removed = _remove_stored(settings, env)
    finally:
        if reject_copies(env.hosts, env.username, issued):
            say(f"Asked git's other credential helpers to forget the tokens of {env.url}.")
    known.remove_url(env.url)
    if removed:
        say(f"Logged out of {env.url}: removed {_join(removed)}.")
    else:
        say(f"Not logged in to {env.url} with aqora-helper: nothing to remove.")
        elsewhere = known.logged_in_urls()
        if elsewhere:
            say(
                f"You are logged in to {', '.join(elsewhere)}: "
                f"'aqora-helper logout --url {elsewhere[0]}' (or --all) logs out there."
            )
    if env.url == settings.token_url and os.environ.get("AQORA_TOKEN", "").strip():
        say("Note: AQORA_TOKEN is set and still supplies a token for this environment.")
    if official.has_session(settings, env):
        say(
            f"Note: the official aqora CLI's session for {env.url} is untouched and still "
            "used; 'aqora logout' ends it."
        )


def _holds(path: Path, data: bytes) -> bool:
    """True when `path` is a file holding exactly `data` (read no further than that)."""
    try:
        with path.open("rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def _remove_stored(settings: Settings, env: Environment) -> list[str]:
    """Delete the cached token and the stored session; what was removed."""
    removed: list[str] = []
    if drop_token(env.url):
        removed.append("the cached access token")
    if FileVault().delete(env.url):
        removed.insert(0, "the session in the insecure file")
    try:
        if KeyringVault(settings.timeouts.keyring).delete(env.url):
            removed.insert(0, "the session in the OS keyring")
    except KeyringUnavailable:
        pass  # no OS keyring: it cannot hold a session
    except AqoraHelperError:
        if removed:
            say(f"Removed {_join(removed)} for {env.url}; the OS keyring failed:")
        raise
    return removed


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        epilog=examples(
            "aqora-helper logout",
            "aqora-helper logout --url https://staging.aqora.example",
            "aqora-helper logout --all",
        )
    )(logout)
