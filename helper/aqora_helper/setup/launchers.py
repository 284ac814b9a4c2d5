"""Commands that start Python with -I -S: install.sh's launchers, and the same for the
console scripts of a `uv tool` or `pipx` installation.

An installer's console script starts its Python with `site`, which imports `os` and
reads the environment's `.pth` files: a fifth of a start, paid by every `get`. A
launcher starts the same Python with -I -S and the paths `site` would have added
written in, then calls the same entry point. install.sh writes launchers into its own
folder (`python -m aqora_helper.setup.launchers DEST`); `setup` rewrites this
uv tool or pipx installation's console scripts of ours (POSIX; on Windows they are .exe
files) into launchers in place, touching only a regular file of this user that is an installer's
script for one of our entry points (a reinstall writes the slow ones again; the next
`setup` makes them fast once more).
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from ..fast.clientprocess import run_client
from .keyringprogram import own_script, scripts_dir

ENTRY_POINTS = {  # command -> module, as pyproject.toml's [project.scripts] names them
    "aqora-helper": "aqora_helper.__main__",
    "git-credential-aqora": "aqora_helper.doors.git",
    "docker-credential-aqora": "aqora_helper.doors.docker",
    "aqora-keyring": "aqora_helper.doors.keyring_program",
    "keyring": "aqora_helper.doors.keyring_program",
}
TOOL_RECEIPTS = ("uv-receipt.toml", "pipx_metadata.json")  # at a uv tool's / pipx venv's root
_PLAIN_SHEBANG = re.compile(r"/[^\s\\'\"]{1,120}")  # a path a `#!` line can carry with -IS
# an installer's `#!` line: the interpreter, maybe with flags such as pipx's -E, not -S
_SHEBANG = re.compile(f"#!({_PLAIN_SHEBANG.pattern})(?: -[A-RT-Za-z]+)?")
_PYTHON = re.compile(r"python[0-9.]*")  # what installers name the interpreter they point to


def site_paths(python: str) -> list[str]:
    """What `site` adds to `python`'s module path (its environment's packages, the
    `.pth` entries): what a -I -S start of it must be given."""

    def module_path(*flags: str) -> list[str]:
        proc = run_client([python, "-I", *flags, "-c", "import sys; print(sys.path)"], timeout=60)
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, python)
        out = proc.stdout.decode("utf-8", "surrogateescape").strip().rsplit("\n", 1)[-1]
        try:  # the last line: a .pth file may print before it
            found = ast.literal_eval(out)
        except (SyntaxError, ValueError):
            raise ValueError(f"{python} printed no module path") from None
        return [p for p in found if isinstance(p, str) and p]

    bare = module_path("-S")
    return [p for p in module_path() if p not in bare]


def launcher_text(python: str, paths: list[str], module: str) -> str:
    """A launcher of `module`'s `main` with `python -I -S`: `#!<python> -IS` when the
    path can be a `#!` line; else (a space in it, as in macOS's ~/Library/Application
    Support) a file that is both sh and Python: sh runs its second line (`exec <python>
    -IS <this file>`), which Python reads as a string. Raises ValueError for a path
    that neither can carry."""
    if _PLAIN_SHEBANG.fullmatch(python):
        header = f"#!{python} -IS\n"
    else:
        header = f"#!/bin/sh\n'''exec' {shlex.quote(python)} -IS \"$0\" \"$@\"\n' '''\n"
        if header.count("'''") != 2 or "\\" in header or "\n" in python:
            raise ValueError(f"this Python's path cannot be written into a launcher: {python!r}")
    return f"{header}import sys\nsys.path += {paths!r}\nfrom {module} import main\nsys.exit(main())\n"


def write_launchers(dest: str) -> None:
    """install.sh's launchers for the running Python, one per command but `keyring`
    (install.sh links that name to `aqora-keyring`), written atomically into `dest`."""
    paths = site_paths(sys.executable)
    os.makedirs(dest, exist_ok=True)
    for name, module in ENTRY_POINTS.items():
        if name != "keyring":
            _write(Path(dest, name), launcher_text(sys.executable, paths, module), 0o755)


def speed_up(dry_run: bool = False) -> list[Path]:
    """Rewrite this installation's console scripts of ours into launchers; the paths
    rewritten (or, with `dry_run`, that would be). Only in an environment a tool
    installer made for aqora-helper alone (uv tool, pipx: their receipt at its root), not
    in a venv of the user's, whose commands may rely on PYTHONPATH or `.pth` hooks that
    -I -S would drop. Nothing on Windows."""
    scripts = scripts_dir()
    if sys.platform == "win32" or not any((scripts.parent / n).is_file() for n in TOOL_RECEIPTS):
        return []
    found = _installer_scripts(scripts)
    if not found or dry_run:
        return [path for path, _, _ in found]
    paths_of: dict[str, list[str]] = {}
    done = []
    for path, python, module in found:
        try:
            if python not in paths_of:
                paths_of[python] = site_paths(python)
            text = launcher_text(python, paths_of[python], module)
            _write(path, text, stat.S_IMODE(os.stat(path).st_mode))
        except (OSError, ValueError, subprocess.SubprocessError):
            continue  # the console script stays as it was: slower, still right
        done.append(path)
    return done


def _installer_scripts(scripts: Path) -> list[tuple[Path, str, str]]:
    """(script, its Python, its module) for each console script of ours in `scripts`
    as an installer writes it: a regular file of this user, `#!<absolute path to an
    existing Python>` on its first line (or in the sh wrapper pip and uv write for a
    long or spaced path), one `from <our module> import main`."""
    found = []
    for name, module in ENTRY_POINTS.items():
        path = scripts / name
        text = own_script(path)
        if text is None:
            continue
        lines = text.split("\n")
        python = _interpreter(lines)
        if not _PYTHON.fullmatch(os.path.basename(python)) or not os.access(python, os.X_OK):
            continue  # a launcher already (`... -IS`), sh-wrapped, or not a Python script
        if lines.count(f"from {module} import main") == 1:
            found.append((path, python, module))
    return found


def _interpreter(lines: list[str]) -> str:
    """The Python an installer's script runs: its `#!` line's (pipx's may add -E), or,
    for a path too long or spaced for one, the `exec` line of the sh wrapper pip and uv
    then write ('' for anything else, launchers included: they pass -IS)."""
    if lines[0] != "#!/bin/sh":
        shebang = _SHEBANG.fullmatch(lines[0])
        return shebang.group(1) if shebang else ""
    if len(lines) < 3 or lines[2] != "' " + "'" * 3:
        return ""
    try:
        words = shlex.split(lines[1])
    except ValueError:
        return ""
    wrapped = len(words) == 4 and words[0] == "exec" and words[2:] == ["$0", "$@"]
    return words[1] if wrapped and os.path.isabs(words[1]) else ""


def _write(path: Path, text: str, mode: int) -> None:
    """Write `text` over `path` atomically, with `mode`."""
    from ..fast.atomicfile import replace_file

    replace_file(str(path), text.encode(), mode)


if __name__ == "__main__":  # install.sh: python -I -m aqora_helper.setup.launchers DEST
    try:
        write_launchers(sys.argv[1])
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        sys.exit(str(exc))
