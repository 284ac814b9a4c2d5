"""Reversible line-based edits of a user's config file (pip.conf, uv.toml).

`setup` adds whole lines inside a marked block and turns conflicting lines into comments
with a marker prefix; it never rewrites a line of the user's otherwise. `--remove` drops
the blocks and the prefixes, so setup followed by remove gives back the original bytes
(and deletes the file when setup created it and nothing else was added since):

    # >>> aqora-helper setup pip (undo: aqora-helper setup pip --remove) >>>
    keyring-provider = subprocess
    # <<< aqora-helper setup pip <<<
    #aqora-helper-setup-pip-disabled# keyring-provider = import

A block's begin line may end with flags: `[created]` (the file did not exist),
`dirs=N` (setup also created the file's folder and N-1 folders above it, which
`--remove` deletes when they are empty) and `[noeol]` (the line before the block had no
line ending; setup added one). Files are
handled as bytes (UTF-8 with surrogateescape, so any byte survives) and replaced
atomically (temp file in the same directory, fsync, rename), through a symlink to its
target.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..fast.errors import StorageFailure
from .files import SetupError, read_file, write_file

ENCODING = "utf-8"
ERRORS = "surrogateescape"
MAX_CONFIG_BYTES = 1 << 20
_FLAGS = re.compile(r" \[([a-z0-9=,]+)\]$")


@dataclass(frozen=True)
class Markers:
    """The marker lines of one tool (`pip`, `uv`)."""

    tool: str

    @property
    def begin_prefix(self) -> str:
        return f"# >>> aqora-helper setup {self.tool} "

    def begin(self, flags: Sequence[str] = ()) -> str:
        line = f"{self.begin_prefix}(undo: aqora-helper setup {self.tool} --remove) >>>"
        return f"{line} [{','.join(flags)}]" if flags else line

    @property
    def end(self) -> str:
        return f"# <<< aqora-helper setup {self.tool} <<<"

    @property
    def disabled(self) -> str:
        return f"#aqora-helper-setup-{self.tool}-disabled# "


def split_lines(text: str) -> list[str]:
    """Lines with their endings (split on `\\n` only)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def body(line: str) -> str:
    """A line without its ending."""
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def eol_of(lines: Sequence[str]) -> str:
    """The file's line ending: CRLF when its first line uses it, else LF."""
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


@dataclass
class Stripped:
    """A file's text without our edits."""

    text: str
    found: bool  # any block or disabled line of ours was there
    created: bool  # a block says setup created the file
    dirs: int = 0  # folders setup created for the file (`dirs=N`)


def strip_ours(text: str, markers: Markers) -> Stripped:
    """Undo every edit of `markers.tool` in `text`. Raises SetupError on a broken block."""
    out: list[str] = []
    found = created = False
    dirs = 0
    lines = split_lines(text)
    i = 0
    while i < len(lines):
        line = lines[i]
        content = body(line)
        if content.startswith(markers.begin_prefix) and ">>>" in content:
            found = True
            match = _FLAGS.search(content)
            flags = set(match.group(1).split(",")) if match else set()
            created |= "created" in flags
            dirs = max([dirs, *(_count(f[5:]) for f in flags if f.startswith("dirs="))])
            j = i + 1
            while j < len(lines) and body(lines[j]) != markers.end:
                if body(lines[j]).startswith(markers.begin_prefix):
                    break
                j += 1
            if j >= len(lines) or body(lines[j]) != markers.end:
                raise SetupError(
                    f"An 'aqora-helper setup {markers.tool}' block has no end line",
                    f"Edit the file by hand: delete the lines from '{content}' on.",
                )
            if "noeol" in flags and out and out[-1].endswith("\n"):
                out[-1] = out[-1][:-1]  # the "\n" that setup added
            i = j + 1
            continue
        if line.startswith(markers.disabled):
            found = True
            line = line[len(markers.disabled) :]
        out.append(line)
        i += 1
    return Stripped("".join(out), found, created, dirs)


def _count(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 4 else 0


def with_dirs(text: str, markers: Markers, dirs: int) -> str:
    """`text` with `dirs=N` added to the flags of the block that says `created`."""
    lines = split_lines(text)
    for i, line in enumerate(lines):
        content = body(line)
        match = _FLAGS.search(content) if content.startswith(markers.begin_prefix) else None
        if match and "created" in match.group(1).split(","):
            flags = [f for f in match.group(1).split(",") if not f.startswith("dirs=")]
            flags.append(f"dirs={dirs}")
            lines[i] = f"{content[: match.start()]} [{','.join(flags)}]{line[len(content) :]}"
            return "".join(lines)
    return text


def block(markers: Markers, content: Sequence[str], eol: str, flags: Sequence[str] = ()) -> str:
    """A marked block of `content` lines."""
    return "".join(f"{line}{eol}" for line in [markers.begin(flags), *content, markers.end])


def insert_block(
    lines: list[str], index: int, markers: Markers, content: Sequence[str], created: bool
) -> None:
    """Insert a block before `lines[index]` (or at the end), adding "\\n" to the line
    before it when that line had no line ending (flag `noeol`)."""
    eol = eol_of(lines)
    flags = ["created"] if created else []
    if index > 0 and index == len(lines) and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
        flags.append("noeol")
    lines.insert(index, block(markers, content, eol, flags))


def disable(lines: list[str], indexes: Sequence[int], markers: Markers) -> None:
    """Turn lines into marked comments."""
    for i in indexes:
        lines[i] = markers.disabled + lines[i]


# files -------------------------------------------------------------------------------
def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    found = read_file(path, MAX_CONFIG_BYTES)
    return None if found is None else found[0].decode(ENCODING, ERRORS)


def write_text(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, keeping an existing file's mode and owner."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            old: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            old = None
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None
    write_file(path, text.encode(ENCODING, ERRORS), old, None)


def status(text: str) -> None:
    """A line for people, on stderr."""
    sys.stderr.write("".join(c if c.isprintable() else "?" for c in text) + "\n")
