"""Pieces shared by the setups: how they report changes (`--dry-run`, the preview
before writing, the `unchanged` / `wrote` / `removed` lines) and, for `setup pip` and
`setup uv`, the index URL and its served host.

Every setup prints, on stdout, what it will change before writing it (the file and each
entry, as gcloud's configure-docker does), then one line per file: `wrote: FILE`,
`removed: FILE (...)` or `unchanged: FILE (...)`. With `--dry-run` it prints the same
preview and `dry run: FILE not written`, and writes nothing. Warnings and notes go to
stderr.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..fast.hostnames import key_from_url, served_key
from ..fast.text import url_problem, without_userinfo
from .files import (
    InvalidIndexUrl,
    SetupError,
    missing_dirs,
    real_path,
    remove_created_dirs,
    remove_file,
)
from .textblocks import Markers, read_text, status, strip_ours, with_dirs, write_text

UNCHANGED = "unchanged"
WROTE = "wrote"
REMOVED = "removed"
# userinfo `user:password@`, up to the authority's last `@` (as urllib and pip split it)
_URL_PASSWORD = re.compile(r"(://[^/\s:]*?):[^/\s]*@")


def say(line: str) -> None:
    """A report line on stdout, control characters and URL passwords masked."""
    clean = "".join(c if c.isprintable() else "?" for c in line)
    sys.stdout.write(_URL_PASSWORD.sub(r"\1:***@", clean) + "\n")
    sys.stdout.flush()


def preview(target: str, changes: Sequence[str], dry_run: bool, new: bool = False) -> None:
    """Before writing: the file (or git scope), whether it is `new`, and each change."""
    label = f"{target} (a new file)" if new else target
    say(f"{'would change' if dry_run else 'will change'} {label}:")
    for change in changes:
        say(f"  {change}")


def outcome(verb: str, target: str, why: str = "", dry_run: bool = False) -> None:
    """The last line about one file: `wrote|removed|unchanged: FILE (why)`; with
    `dry_run`, a changing verb becomes `dry run: FILE not written`."""
    if dry_run and verb != UNCHANGED:
        say(f"dry run: {target} not written")
        return
    say(f"{verb}: {target}" + (f" ({why})" if why else ""))


def new_folders(path: Path) -> list[str]:
    """The preview lines for the folders writing `path` creates (outermost first)."""
    count = missing_dirs(path.parent)
    return [f"create the folder {path.parents[i]}" for i in reversed(range(count))]


def removed_because(why: str, folders: Sequence[str]) -> str:
    """The reason of a `removed:` line, naming the emptied folders deleted with it."""
    return why + (f"; also removed the empty folder {', '.join(folders)}" if folders else "")


def text_changes(old: str, new: str) -> list[str]:
    """The lines `new` adds (`+ line`) and drops (`- line`) compared with `old`."""
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [
        f"{line[0]} {line[1:]}"
        for line in diff
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


@dataclass(frozen=True)
class IndexTarget:
    """The index URL to configure and what aqora-helper knows about its host."""

    url: str
    host_key: str
    username: str


def appdata_dir() -> Path:
    """Windows' roaming application data folder (`%APPDATA%`)."""
    return Path(os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming"))


def config_home() -> Path:
    """`$XDG_CONFIG_HOME` when absolute, else `~/.config`."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config"


def check_index_url(index_url: str, option: str = "--index-url") -> tuple[str, str]:
    """(cleaned URL, host key). Refuses credentials in the URL and plain http to a
    non-loopback host (aqora-helper would never send a token there)."""
    text = index_url.strip()
    example = "legacy" if option == "--publish-url" else "simple"
    what = "publish URL" if option == "--publish-url" else "index URL"
    hint = f"Pass the https URL aqora gave you, with its path: {option} https://HOST/{example}/"
    quoted = repr(without_userinfo(text))  # errors never show a password in the URL
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        raise InvalidIndexUrl(f"Invalid {what} {quoted}", hint)
    if "\\" in text:  # a backslash is a slash to WHATWG parsers (uv's), not to Python's
        raise InvalidIndexUrl(f"Invalid {what} {quoted}: a backslash in it", hint)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise InvalidIndexUrl(f"Invalid {what} {quoted}: {url_problem(text, exc)}", hint) from None
    if parts.password is not None:
        raise InvalidIndexUrl(
            f"The {what} contains a password",
            "Pass the URL without credentials: aqora-helper supplies the token.",
        )
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InvalidIndexUrl(
            f"Invalid {what} {quoted}: a query or fragment in it",
            "Pass the URL without ?... or #...",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidIndexUrl(f"Invalid {what} {quoted}: expected https://host[:port]/path", hint)
    found = key_from_url(text)
    if found is None:
        raise SetupError(
            f"Refusing {what} {quoted}: plain http is only allowed to a loopback host",
            "Use the https URL of the index.",
        )
    return text, found[1]


def resolve_target(
    index_url: str, env_url: str | None, dry_run: bool = False, option: str = "--index-url"
) -> IndexTarget:
    """The index URL, its host key, and the username of the environment serving it.

    A host no environment serves yet is added to the hosts of the environment `env_url`
    (else the default) in the config file, with a line saying so.
    """
    url, key = check_index_url(index_url, option)
    from ..engine.served import served_hosts
    from ..engine.settings import normalize_url

    wanted = None if env_url is None else normalize_url(env_url)
    hosts = [h for h in served_hosts() if wanted is None or h.env_url == wanted]
    match = next((h for h in hosts if h.key == key), None)
    if match is None and dry_run:
        from ..engine.settings import load_settings

        add_served_hosts(env_url, [key], dry_run)
        settings = load_settings(url_override=env_url)
        return IndexTarget(url, key, settings.environment(env_url).username)
    if match is None:
        add_served_hosts(env_url, [key])
        match = next(h for h in served_hosts() if h.key == key)
    return IndexTarget(url, key, match.username)


def add_served_hosts(env_url: str | None, hosts: list[str], dry_run: bool = False) -> list[str]:
    """Serve `hosts` (adding those not yet served to the environment `env_url`, else the
    default, in the config file, with a line each; with `dry_run`, only the lines); their
    host keys."""
    from ..engine.served import refresh_index
    from .confighosts import add_hosts

    for line in add_hosts(env_url, hosts, dry_run):
        status(line)
    refresh_index()
    return [served_key(h.strip()) or h for h in hosts]


def warn_missing_program(program: str, clients: str) -> None:
    """Warn when `program`, which the clients run, is not on PATH."""
    if shutil.which(program) is None:
        status(
            f"aqora-helper: warning: '{program}' is not on PATH, so {clients} cannot run it; "
            "add aqora-helper's bin directory (install.sh: ~/.local/bin) to the PATH they see."
        )


def with_username(url: str, username: str) -> str:
    """`url` with `username@` in it (no password), unless it already names a user."""
    parts = urlsplit(url)
    if parts.username is not None:
        return url
    return urlunsplit(parts._replace(netloc=f"{quote(username, safe='')}@{parts.netloc}"))


def warn_without_keyring_program(tool: str, dry_run: bool = False) -> None:
    """pip's subprocess mode and uv need a `keyring` program that sees our backend, and
    ours answers fastest: this installation's `keyring` script is made ours when the
    installer left keyring's own there (`keyringprogram.claim`)."""
    from . import keyringprogram

    claimed = keyringprogram.claim(dry_run)
    if claimed is not None:
        done = "dry run: would make" if dry_run else "made"
        status(f"{done} {claimed} aqora-helper's keyring program (it was keyring's own CLI)")
    program = keyringprogram.first_on_path()
    if program is None:
        status(
            f"aqora-helper: warning: no 'keyring' program on PATH; {tool} needs one that "
            "sees aqora-helper's backend (install.sh links it; see the README)"
        )
    elif keyringprogram.kind(program) != "ours" and not (dry_run and claimed):
        status(
            f"aqora-helper: warning: the 'keyring' program first on PATH ({program}) is not "
            f"aqora-helper's, so {tool} waits for it on every lookup (about 15 times "
            "longer); 'aqora-helper doctor' shows the fix"
        )


Parser = Callable[[str, Path], object]  # reads a config file's text; raises SetupError


def undo_or_resolve(
    markers: Markers,
    path: Path,
    index_url: str | None,
    env_url: str | None,
    dry_run: bool = False,
    parse: Parser | None = None,
) -> tuple[Path, IndexTarget | None]:
    """The start of `setup pip|uv`: the file to edit (a symlink's target) and the index
    to configure; `index_url` None is `--remove`, which undoes our edits right away
    (checked by `parse`)."""
    path = real_path(path)
    if index_url is None:
        undo_text_setup(markers, path, dry_run, parse)
        return path, None
    return path, resolve_target(index_url, env_url, dry_run)


def write_text_setup(
    markers: Markers,
    path: Path,
    old: str | None,
    new: str,
    dry_run: bool,
    parse: Parser | None = None,
) -> None:
    """Show what `setup pip|uv` changes in `path`, then write it (not with `dry_run`),
    once `parse` (the tool's own file format) reads it. Folders created for the file are
    noted in our block (`dirs=N`) for `--remove`."""
    dirs = max(missing_dirs(path.parent), strip_ours(old or "", markers).dirs)
    if dirs:
        new = with_dirs(new, markers, dirs)
    if parse is not None:
        parse(new, path)
    if new == old:
        outcome(UNCHANGED, str(path), "already set up")
        return
    changes = text_changes(old or "", new)
    if old is None:
        changes += new_folders(path)
    preview(str(path), changes, dry_run, new=old is None)
    if not dry_run:
        write_text(path, new)
    outcome(WROTE, str(path), dry_run=dry_run)


def undo_text_setup(
    markers: Markers, path: Path, dry_run: bool, parse: Parser | None = None
) -> None:
    """`setup pip|uv --remove`: drop our blocks and markers, giving back the original
    file (deleting it, and the folders setup created for it, when setup created it). A
    file `parse` reads must still read afterwards (edits made since setup can make the
    lines it turned into comments clash), else nothing is written."""
    text = read_text(path)
    if text is None:
        outcome(UNCHANGED, str(path), "does not exist, nothing to remove")
        return
    stripped = strip_ours(text, markers)
    if not stripped.found:
        outcome(UNCHANGED, str(path), "no aqora-helper settings, nothing to remove")
        return
    delete = stripped.created and stripped.text == ""
    if parse is not None and not delete and _parses(parse, text, path):
        try:
            parse(stripped.text, path)
        except SetupError as exc:
            raise SetupError(
                f"Removing aqora-helper's settings would leave {path} invalid "
                f"({exc.message}); nothing was written",
                f"Edit {path} by hand: delete the lines between the '{markers.begin_prefix}' "
                f"markers and the '{markers.disabled.strip()}' prefixes, keeping one value "
                "per setting.",
            ) from None
    changes = ["delete the file (setup created it)"] if delete else []
    preview(str(path), changes or text_changes(text, stripped.text), dry_run)
    if dry_run:
        outcome(REMOVED, str(path), dry_run=True)
    elif delete:
        remove_file(path)
        gone = remove_created_dirs(path, stripped.dirs)
        outcome(REMOVED, str(path), removed_because("setup had created it", gone))
    else:
        write_text(path, stripped.text)
        outcome(WROTE, str(path), "aqora-helper settings removed, original lines restored")


def _parses(parse: Parser, text: str, path: Path) -> bool:
    try:
        parse(text, path)
    except SetupError:
        return False
    return True


def closing_notes(tool: str, dry_run: bool = False) -> None:
    """The last lines of a successful `setup pip|uv`."""
    warn_without_keyring_program(tool, dry_run)
    status(f"undo with: aqora-helper setup {tool} --remove")
