"""Commands printed for the user (doctor's fixes, hints), in the shell of the platform
this runs on: POSIX sh on Linux and macOS, PowerShell on Windows. Every printed command
that quotes a word, chains commands, links a file or changes PATH is built here, so a
hint is never `ln -s` or `export PATH=` on Windows. Stdlib only (any layer may use it).
"""

import re
import shlex
import sys
from types import ModuleType

_PLAIN_POWERSHELL = re.compile(r"[A-Za-z0-9_./:\\=+-][A-Za-z0-9_./:\\=+@-]*")  # no quotes needed


def powershell() -> bool:
    """True when printed commands are for PowerShell (Windows)."""
    return sys.platform == "win32"


def quote(word: str) -> str:
    """`word` as one argument of a command in this platform's shell."""
    if not powershell():
        return shlex.quote(word)
    if _PLAIN_POWERSHELL.fullmatch(word):
        return word
    return "'" + word.replace("'", "''") + "'"


def command(*words: str) -> str:
    """A command line of these words, each quoted as needed."""
    return " ".join(quote(word) for word in words)


def chain(commands: list[str]) -> str:
    """Commands run one after the other (`&&` in sh; `;` in PowerShell 5, which has no `&&`)."""
    return (" ; " if powershell() else " && ").join(commands)


def paths() -> ModuleType:
    """The path module of this platform's file names (ntpath on Windows: a Windows path
    is split and joined as one wherever the hint is computed)."""
    import ntpath
    import posixpath

    return ntpath if powershell() else posixpath


def executable_name(name: str) -> str:
    """A program's file name on this platform (`keyring.exe` on Windows)."""
    return name + ".exe" if powershell() else name


def link_program(target: str, directory: str, name: str) -> str:
    """Put the program `target` in `directory` under `name`: a symlink in sh; a copy in
    PowerShell (a console script's .exe runs from anywhere; a symlink needs admin rights)."""
    if powershell():
        return command(
            "Copy-Item", "-Force", target, paths().join(directory, executable_name(name))
        )
    return command("ln", "-sf", target, paths().join(directory, name))


def make_directory(directory: str) -> str:
    """Create `directory` and its parents (no error when it exists)."""
    if powershell():
        return command("New-Item", "-ItemType", "Directory", "-Force", directory) + " | Out-Null"
    return command("mkdir", "-p", directory)


def prepend_path(directory: str) -> str:
    """Put `directory` first on PATH for this shell session."""
    if powershell():
        return f"$env:Path = {quote(directory + ';')} + $env:Path"
    return f'export PATH={quote(directory)}:"$PATH"'


def remove_tree(paths: list[str]) -> str:
    """Delete these files and folders."""
    if powershell():
        return command("Remove-Item", "-Recurse", "-Force", *paths)
    return command("rm", "-r", *paths)


def program_first_on_path(target: str, directory: str, name: str) -> str:
    """Make `target` the `name` program found first on PATH, from `directory` (created)."""
    return chain(
        [make_directory(directory), link_program(target, directory, name), prepend_path(directory)]
    )
