"""`aqora-helper setup pip`: make pip get aqora tokens through keyring.

Writes, in pip's user config file (`$XDG_CONFIG_HOME/pip/pip.conf`, else
`~/.config/pip/pip.conf` on Linux; `~/Library/Application Support/pip/pip.conf` on macOS
when that folder exists, else `~/.config/pip/pip.conf`; `%APPDATA%\\pip\\pip.ini` on
Windows; `--file` picks another), in its `[global]` section:

    keyring-provider = subprocess
    index-url = https://aqora@pypi.example.org/simple/     (extra-index-url with --extra)

Why `subprocess`: pip then runs the `keyring` program found on PATH (install.sh links
aqora-helper's), so it works from every virtualenv; `import` would need aqora-helper
installed in each environment pip runs from. pip skips a `keyring` program that lives in
its own environment's scripts folder and uses the next one on PATH.

Why a username in the URL: it is not a secret (the environment's configured username,
`aqora` by default), and pip before 26.2 asks a `keyring` program only when the URL
names a user; pip 26.2 and later ask either way. A URL that already names a user is
kept as given; a URL with a password is refused.

`--extra` writes `extra-index-url` (pip searches it in addition to its index, PyPI by
default) and keeps the extra URLs pip reads now: those of the edited file, else those of
the last file pip reads before it that sets some (site-wide ones included, see
`pipfiles`), as pip would no longer read them once this file sets the option; without
`--extra`, `index-url` replaces pip's index.
Conflicting lines of `[global]` are commented out with a marker, and `--remove` undoes
exactly what setup wrote (see `textblocks`).
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ..fast.redaction import register_password
from .common import closing_notes, undo_or_resolve, with_username, write_text_setup
from .files import SetupError
from .indexprobe import choose_extra
from .pipfiles import pip_files
from .textblocks import (
    Markers,
    disable,
    insert_block,
    read_text,
    split_lines,
    status,
    strip_ours,
)

MARKERS = Markers("pip")
PROVIDER = "subprocess"
PROVIDER_KEY = "keyring-provider"
_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$")
_URLS = ("index-url", "extra-index-url")


def normalize_key(name: str) -> str:
    """pip's option-name normalisation (`--Index_URL` is `index-url`)."""
    name = name.strip().lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


class _Option:
    def __init__(self, section: str, key: str, start: int, value: str) -> None:
        self.section = section
        self.key = key
        self.lines = [start]  # the option line and its continuation lines
        self.values = [value]


def scan(lines: list[str]) -> tuple[dict[str, int], list[_Option]]:
    """Section headers (first line of each) and options, read the way configparser
    reads them (comment and blank lines never end a value; deeper indent continues)."""
    headers: dict[str, int] = {}
    options: list[_Option] = []
    section: str | None = None
    current: _Option | None = None
    indent_level = 0
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        indent = len(raw) - len(raw.lstrip())
        if section is not None and current is not None and indent > indent_level:
            current.lines.append(i)
            current.values.append(stripped)
            continue
        indent_level = indent
        header = _SECTION.match(stripped)
        if header:
            section = header.group("header")
            headers.setdefault(section, i)
            current = None
            continue
        option = _OPTION.match(stripped)
        if section is None or option is None:
            current = None
            continue
        current = _Option(section, normalize_key(option.group("option")), i, option.group("value"))
        options.append(current)
    return headers, options


def _indent_of_next(lines: list[str], start: int) -> str:
    for line in lines[start:]:
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";")):
            return line[: len(line) - len(line.lstrip())]
    return ""


def parse(text: str, path: Path) -> dict[tuple[str, str], str]:
    """What pip reads from `text`: (section, normalised key) -> value."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SetupError(
            f"{path} is not a valid pip config file: {first}", f"Fix {path} first, then retry."
        ) from None
    return {
        (section, normalize_key(key)): value
        for section in parser.sections()
        for key, value in parser.items(section)
    }


def inherited_extras(path: Path) -> list[str]:
    """The extra index URLs pip reads from the files it reads before `path` (all of
    them when pip does not read `path`): the last file setting `extra-index-url` wins.
    A file pip could not read either is skipped; one pip would refuse stops setup."""
    files = [Path(os.path.realpath(f)) for f in pip_files()]
    edited = Path(os.path.realpath(path))
    before = files[: files.index(edited)] if edited in files else files
    urls: list[str] = []
    for file in before:
        try:
            text = read_text(file)
        except SetupError:
            continue
        value = parse(text or "", file).get(("global", "extra-index-url"))
        if value is not None:
            urls = value.split()
    return urls


def install_overrides(path: Path, text: str) -> list[str]:
    """Where `pip install` takes the index URLs that `[global]` of `path` (holding `text`)
    sets from instead ("FILE [SECTION] KEY"): an `[install]` value in another file pip
    reads (pip merges the files, then `[install]` beats `[global]` whatever the file), or
    a `[global]` one in a file pip reads after `path`. Files pip cannot use are skipped."""
    try:
        keys = [k for s, k in parse(text, path) if s == "global" and k in _URLS]
    except SetupError:
        return []
    files = [Path(os.path.realpath(f)) for f in pip_files()]
    edited = Path(os.path.realpath(path))
    later = files[files.index(edited) + 1 :] if edited in files else []
    found: list[str] = []
    for file in (f for f in files if f != edited):
        try:
            values = parse(read_text(file) or "", file)
        except SetupError:
            continue
        found += [
            f"{file} [{section}] {key}"
            for section in ("install", "global")
            for key in keys
            if (section, key) in values and (section == "install" or file in later)
        ]
    return found


def plan(
    text: str | None, path: Path, index_url: str, extra: bool, inherited: Sequence[str] = ()
) -> str:
    """The new file text: our block in `[global]`, conflicting lines commented out; with
    `extra`, the file's own extra URLs, else the `inherited` ones, come first."""
    stripped = strip_ours(text or "", MARKERS)
    base = stripped.text
    created = text is None or (stripped.created and base == "")
    before = parse(base, path)
    lines = split_lines(base)
    headers, options = scan(lines)
    url_key = "extra-index-url" if extra else "index-url"
    conflicts = [o for o in options if o.section == "global" and o.key in (url_key, PROVIDER_KEY)]
    urls: list[str] = []
    if extra:
        own = [o for o in conflicts if o.key == url_key]
        found = [u for o in own for v in o.values for u in v.split()] if own else inherited
        for url in found:
            password = urlsplit(url).password
            if password:  # kept in the file, never shown (the hint below lists the URLs)
                register_password(password)
            if url not in urls:
                urls.append(url)
    if index_url not in urls:
        urls.append(index_url)
    disable(lines, [i for option in conflicts for i in option.lines], MARKERS)
    at = headers["global"] + 1 if "global" in headers else 0
    # Indent our options like the next line that counts, or configparser would read an
    # indented line after them as a continuation of our last value.
    indent = _indent_of_next(lines, at)
    content = [f"{indent}{PROVIDER_KEY} = {PROVIDER}", f"{indent}{url_key} = {' '.join(urls)}"]
    insert_block(lines, at, MARKERS, content if at else ["[global]", *content], created)
    new = "".join(lines)
    replaced = {("global", url_key), ("global", PROVIDER_KEY)}
    expected = {k: v for k, v in before.items() if k not in replaced}
    expected[("global", PROVIDER_KEY)] = PROVIDER
    expected[("global", url_key)] = " ".join(urls)
    if parse(new, path) != expected:
        raise SetupError(
            f"Could not edit {path} safely (its layout is unusual)",
            f"Add to its [global] section by hand: '{PROVIDER_KEY} = {PROVIDER}' and "
            f"'{url_key} = {' '.join(urls)}'.",
        )
    return new


def _warn_about_environment(path: Path, url_key: str) -> None:
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file is not None and Path(env_file) != path:
        if env_file == os.devnull:
            status("aqora-helper: warning: PIP_CONFIG_FILE=/dev/null: pip reads no config file")
        elif os.path.exists(env_file):
            status(
                f"aqora-helper: warning: PIP_CONFIG_FILE={env_file} is set, so pip does not "
                f"read {path}; use --file {env_file}"
            )
    for name in ("PIP_KEYRING_PROVIDER", "PIP_" + url_key.upper().replace("-", "_")):
        if os.environ.get(name):
            status(f"aqora-helper: warning: {name} is set and overrides {path}")


def _warn_about_sections(text: str) -> None:
    _, options = scan(split_lines(text))
    for option in options:
        if option.section != "global" and option.key in ("index-url", PROVIDER_KEY):
            status(
                f"aqora-helper: warning: [{option.section}] sets {option.key}, which overrides "
                f"[global] for 'pip {option.section}'"
            )


def _warn_about_overrides(path: Path, text: str) -> None:
    found = install_overrides(path, text)
    if found:
        status(
            f"aqora-helper: warning: 'pip install' uses {'; '.join(found)} instead of "
            f"{path}; remove it there (or put the aqora index URL in it)"
        )


def configure(
    chosen: Path, index_url: str | None, url: str | None, extra: bool | None, dry_run: bool
) -> None:
    """`setup pip`: point the pip config file `chosen` at the aqora index `index_url`
    (served by the environment `url`, else the one serving its host), as index-url or,
    with `extra`, extra-index-url, with the keyring provider (`extra` None: decided by
    `indexprobe.choose_extra`); `index_url` None undoes that (`--remove`). The changes
    are shown first (only them, with `dry_run`)."""
    # decided before anything is written (config.toml's hosts included)
    beside = None if index_url is None else choose_extra("pip", index_url, extra, url)
    path, target = undo_or_resolve(MARKERS, chosen, index_url, url, dry_run, parse)
    if target is None or beside is None:
        return
    configured = with_username(target.url, target.username)
    text = read_text(path)
    inherited = inherited_extras(path) if beside else []
    new = plan(text, path, configured, beside, inherited)
    write_text_setup(MARKERS, path, text, new, dry_run, parse)
    url_key = "extra-index-url" if beside else "index-url"
    _warn_about_environment(path, url_key)
    _warn_about_sections(new)
    _warn_about_overrides(path, new)
    closing_notes("pip", dry_run)
