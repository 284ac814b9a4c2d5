"""A PATH of macOS/BSD-like tools for install.sh: no `flock`, `timeout`, `realpath` or
`stat`, and each tool install.sh runs is a shim that refuses GNU-only options (every
`--long` option, and per tool the short ones BSD lacks or reads differently) before it
runs the real one.

`bsd_path(folder, uname_s)` makes the folder; each shim appends its name to `used.log`
and each refusal to `refused.log` there (install.sh may hide a failing command's
stderr: the log still shows it). `uname -s` answers `uname_s` (Darwin: the macOS branch).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# tool -> sh `case` patterns of the arguments refused (GNU-only, or BSD reads them
# otherwise); `--*` is refused for every tool.
GNU_ONLY = {
    "basename": "-*",
    "cat": "-*[!u]*",
    "dirname": "-*",
    "find": "-printf|-fprint*|-regextype|-readable|-writable|-executable|-mmin|-amin|-cmin",
    "grep": "-*[!vqEFixnlce]*",
    "id": "-*[!ungG]*",
    "ln": "-*[!sfn]*",
    "ls": "-*[!dlaA1]*",
    "mkdir": "-*[!pm]*",
    "mktemp": "-*[!dqu]*",
    "mv": "-*[!f]*",
    "readlink": "-*",
    "rm": "-*[!rf]*",
    "rmdir": "-*[!p]*",
    "sed": "-*[!nEe]*",
    "sleep": "*[!0-9]*",
    "sort": "-*[!unrt]*",
    "tail": "-*[!nrcf]*",
    "uname": "-*[!smnrpv]*",
}
LINKED = ("git",)  # not a BSD tool: the real one


def bsd_path(folder: Path, uname_s: str = "Darwin") -> Path:
    """Make `folder` the only PATH entry a BSD-like system would give install.sh."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool, refused in GNU_ONLY.items():
        real = shutil.which(tool, path="/usr/bin:/bin")
        assert real, f"{tool} is not installed"
        extra = ""
        if tool == "uname":
            extra = f'[ "$*" = -s ] && {{ echo {uname_s}; exit 0; }}\n'
        if tool == "mktemp":  # BSD mktemp wants a template
            extra = 'case "$*" in *XXX*) ;; *) refuse "(no template)" ;; esac\n'
        shim = folder / tool
        shim.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" {tool} >>"{folder}/used.log"\n'
            f'refuse() {{ printf "%s %s\\n" {tool} "$1" >>"{folder}/refused.log"; '
            f'echo "{tool}: GNU-only option $1" >&2; exit 97; }}\n'
            "for arg do\n"
            '    case "$arg" in\n'
            f'        --*|{refused}) refuse "$arg" ;;\n'
            "    esac\n"
            "done\n"
            f"{extra}"
            f'exec {real} "$@"\n'
        )
        shim.chmod(0o755)
    for tool in LINKED:
        real = shutil.which(tool, path="/usr/bin:/bin")
        if real and not (folder / tool).exists():
            os.symlink(real, folder / tool)
    return folder


def refused(folder: Path) -> str:
    """What the shims refused (empty when install.sh used no GNU-only option)."""
    log = folder / "refused.log"
    return log.read_text() if log.exists() else ""


def used(folder: Path) -> set[str]:
    """The tools the shims ran."""
    log = folder / "used.log"
    return set(log.read_text().split()) if log.exists() else set()
