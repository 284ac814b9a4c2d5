"""`aqora-helper setup git`: scope git's credential helper to aqora's served hosts.

For each served host it writes, in the chosen git config file,

    [credential "https://<host>"]
        helper =
        helper = aqora

The empty value resets the helper list for that URL, so only aqora-helper answers there
and every other host keeps the user's helpers. The unscoped `credential.helper` is never
touched. `--remove` removes exactly these entries (and the section if it becomes empty),
so setup followed by remove leaves the file byte-identical (and deletes a global file
that only existed for these entries).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from ..fast.clientenv import client_env
from ..fast.clientprocess import outside_any_repository, run_client
from ..fast.errors import AqoraHelperError
from ..fast.hostnames import is_loopback, split_hostport
from .common import REMOVED, UNCHANGED, WROTE, outcome, preview, warn_missing_program
from .files import SetupError
from .textblocks import status

HELPER_VALUES = ["", "aqora"]
GIT_TIMEOUT = 30.0
REJECT_TIMEOUT = 10.0  # all `git credential reject` calls of one logout together


class GitConfigError(AqoraHelperError):
    """`git config` failed in a way the user must see."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "Check the git config file named above, then run this again.")


def require_git() -> None:
    """Refuse to set git up when there is no git on PATH."""
    if shutil.which("git") is None:
        raise AqoraHelperError("git is not installed (not found on PATH)", "Install git first.")


def configure(hosts: Iterable[str], scope: str, remove: bool, dry_run: bool) -> bool:
    """Write (or, with `remove`, remove) the helper entries of `hosts` in the `scope`
    (`--global` or `--local`) git config, showing the changes first (only them, with
    `dry_run`). An entry that must not be touched is skipped and said on stderr: False
    then (the command exits 1)."""
    if not remove:
        warn_missing_program("git-credential-aqora", "git")
    if scope == "--global":
        refuse_special_files(global_config_files())
    target = str(global_config_file()) if scope == "--global" else "git config --local"
    changes: list[str] = []
    todo: list[str] = []
    failed = False
    for section in helper_sections(hosts):
        change, problem = (plan_removal if remove else plan_addition)(scope, section)
        if problem:
            status(problem)
            failed = True
        elif change:
            changes.append(change)
            todo.append(section)
    if not todo:
        why = "no entries of aqora-helper to remove" if remove else "already set up"
        outcome(UNCHANGED, target, why)
    else:
        new = scope == "--global" and not global_config_file().exists()
        preview(target, changes, dry_run, new)
        for section in [] if dry_run else todo:
            (remove_section if remove else add_section)(scope, section)
        emptied = not dry_run and remove and scope == "--global"
        if emptied and drop_if_emptied(global_config_file()):
            outcome(REMOVED, target, "left empty; git had created it for these entries")
        else:
            outcome(WROTE, target, dry_run=dry_run)
    return not failed


def global_config_file() -> Path:
    """The file `git config --global` writes."""
    override = os.environ.get("GIT_CONFIG_GLOBAL")
    return Path(override) if override else Path.home() / ".gitconfig"


def global_config_files() -> list[Path]:
    """The files `git config --global` reads: ~/.gitconfig (or GIT_CONFIG_GLOBAL), and
    $XDG_CONFIG_HOME/git/config."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [global_config_file(), Path(xdg) / "git" / "config"]


def refuse_special_files(paths: Iterable[Path]) -> None:
    """git waits forever reading a FIFO planted at its config file (and reads a device):
    refuse anything but a regular file there before running git."""
    for path in paths:
        try:
            mode = path.stat().st_mode  # stat never opens: a FIFO does not block it
        except OSError:
            continue  # absent (or unreadable: git says so)
        if not stat.S_ISREG(mode):
            raise SetupError(
                f"{path} is not a regular file; not reading it",
                f"Replace {path} with a regular file (or remove it), then run this again.",
            )


def drop_if_emptied(path: Path) -> bool:
    """Delete the global config file when removing our entries left it empty (git
    created it for them), so setup then --remove leaves no trace; True when deleted."""
    with contextlib.suppress(OSError):
        if path.is_file() and not path.is_symlink() and path.stat().st_size == 0:
            path.unlink()
            return True
    return False


def helper_urls(hosts: Iterable[str]) -> list[str]:
    """`<scheme>://<host>` git may send tokens to for served host keys: https, plus http
    for loopback hosts."""
    urls: list[str] = []
    for key in hosts:
        parsed = split_hostport(key)
        schemes = ["https", "http"] if parsed and is_loopback(parsed[0]) else ["https"]
        urls.extend(u for u in (f"{scheme}://{key}" for scheme in schemes) if u not in urls)
    return urls


def helper_sections(hosts: Iterable[str]) -> list[str]:
    """`credential.<scheme>://<host>` sections for served host keys."""
    return [f"credential.{url}" for url in helper_urls(hosts)]


def reject_copies(hosts: Iterable[str], username: str, tokens: list[str]) -> bool:
    """Ask git's credential helpers to erase stored copies of `tokens` for the served
    hosts (`git credential reject`, in both the Basic and the Bearer form). Without git
    on PATH nothing is done; output is never shown (it could echo a token); every call is
    bounded and never prompts. git runs outside any repository (`clientprocess`): the
    helpers of the current directory's `.git/config` never receive a token. True when
    git was asked."""
    git = shutil.which("git")
    if git is None or not tokens:
        return False
    deadline = time.monotonic() + REJECT_TIMEOUT
    with contextlib.suppress(OSError), outside_any_repository() as cwd:
        for url in helper_urls(hosts):
            scheme, _, host = url.partition("://")
            for token in dict.fromkeys(tokens):
                left = deadline - time.monotonic()
                if left <= 0:
                    return True
                request = (
                    f"protocol={scheme}\nhost={host}\nusername={username}\npassword={token}\n"
                    f"capability[]=authtype\nauthtype=Bearer\ncredential={token}\n\n"
                )
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    run_client(
                        [git, "credential", "reject"], input=request.encode(), timeout=left, cwd=cwd
                    )
    return True


def plan_addition(scope: str, section: str) -> tuple[str | None, str | None]:
    """(the change `add_section` would make or None when there is nothing to do, the
    reason it must not)."""
    key = f"{section}.helper"
    values = get_all(scope, key)
    if values == HELPER_VALUES:
        return None, None
    if values:
        shown = ", ".join(repr(v) for v in values)
        return None, (
            f"aqora-helper: skipped {key}: it already has other values ({shown}) in the "
            f"{scope[2:]} git config; remove them (git config {scope} --unset-all {key}) "
            "and run this again"
        )
    return f"add: {key} = '' then 'aqora'", None


def plan_removal(scope: str, section: str) -> tuple[str | None, str | None]:
    """(the change `remove_section` would make or None when there is nothing to do, the
    reason it must not)."""
    key = f"{section}.helper"
    values = get_all(scope, key)
    if not values:
        return None, None
    if values != HELPER_VALUES:
        shown = ", ".join(repr(v) for v in values)
        return None, (
            f"aqora-helper: left {key} alone: its values ({shown}) were not written by "
            "'aqora-helper setup git'"
        )
    return f"remove: {key} (its values '' and 'aqora')", None


def add_section(scope: str, section: str) -> None:
    """Add the helper entries to `section` (planned by `plan_addition`)."""
    for value in HELPER_VALUES:
        git_config(scope, "--add", f"{section}.helper", value)


def remove_section(scope: str, section: str) -> None:
    """Remove exactly the entries `add_section` writes (planned by `plan_removal`)."""
    git_config(scope, "--unset-all", f"{section}.helper")
    if not section_has_entries(scope, section):
        # git usually drops the emptied header itself; remove it when it did not
        git_config(scope, "--remove-section", section, allow_missing=True, ok_codes=(128,))


def get_all(scope: str, key: str) -> list[str]:
    """Every value of `key` in the scope's file, in order ([] when unset)."""
    out = git_config(scope, "--null", "--get-all", key, allow_missing=True)
    return out.split("\0")[:-1] if out else []


def section_has_entries(scope: str, section: str) -> bool:
    """True when any variable remains in `section` of the scope's file."""
    try:
        out = git_config(scope, "--null", "--name-only", "--list", allow_missing=True)
    except GitConfigError:
        return True  # cannot tell: keep the section
    prefix = section_prefix(section)
    return any(name.startswith(prefix) for name in out.split("\0") if name)


def section_prefix(section: str) -> str:
    """How `git config --list` spells variables of `section` (section name lower-cased)."""
    head, _, sub = section.partition(".")
    return f"{head.lower()}.{sub}."


def git_config(
    scope: str, *args: str, allow_missing: bool = False, ok_codes: tuple[int, ...] = ()
) -> str:
    """Run `git config <scope> <args>`; its stdout. Exit 1 is 'not found' when allowed;
    exit codes in `ok_codes` are ignored. `--global` runs outside any repository, without
    the `GIT_*` variables a project or `git -c` set (`clientprocess`); `--local` in the
    current one, which it edits."""
    argv = ["git", "config", scope, *args]
    try:
        if scope == "--local":  # the repository the user is in (or names by GIT_DIR)
            proc = subprocess.run(
                argv,
                capture_output=True,
                timeout=GIT_TIMEOUT,
                env=client_env(None, keep_repository=True),
                check=False,
            )
        else:
            proc = run_client(argv, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitConfigError(f"cannot run git config: {exc}") from None
    if proc.returncode == 0:
        return proc.stdout.decode("utf-8", "surrogateescape")
    if (allow_missing and proc.returncode == 1) or proc.returncode in ok_codes:
        return ""
    detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    raise GitConfigError(
        f"git config {scope} {' '.join(args[:2])} failed: "
        + (detail[0] if detail else f"exit status {proc.returncode}")
    )
