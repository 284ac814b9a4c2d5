"""Which `keyring` program pip and uv run, and making it aqora-helper's.

pip's and uv's subprocess mode run the first `keyring` on PATH. Ours (`aqora-keyring`,
the package's `keyring` console script, install.sh's launcher) answers a served host
itself; keyring's own CLI gives the same answer through our backend, some 15 times
slower (its backend discovery). In an environment holding both packages, both write
`bin/keyring`, and the installer's order decides which one stays: pip installs keyring
first, so ours wins; uv installs in any order (keyring's won every `uv tool install` of
the wheel tried; astral-sh/uv#16892), and upgrading keyring alone writes its script again.

`claim()` turns a `keyring` script of keyring's own in this installation's scripts
folder into ours: the same file with our entry point on its import line, which is what
the installer writes for our console script (so the package's RECORD still matches).
It touches nothing else: not a `keyring` of another installation, not a file of
another user, not a file it does not recognise. `setup pip|uv` call it; `doctor` warns
when the `keyring` first on PATH is still not ours.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from ..fast import platform_shell

OUR_ENTRY = "aqora_helper.doors.keyring_program"
THEIR_IMPORT = "from keyring.cli import main"
OUR_IMPORT = f"from {OUR_ENTRY} import main"
MAX_SCRIPT = 64 * 1024


def kind(program: str) -> str:
    """`ours`, `keyring` (keyring's own CLI) or `other`, read from the file `program`
    resolves to (a console script or launcher names its entry point)."""
    try:
        with open(os.path.realpath(program), "rb") as handle:
            text = handle.read(MAX_SCRIPT).decode("utf-8", "replace")
    except OSError:
        return "other"
    if OUR_ENTRY in text:
        return "ours"
    return "keyring" if "keyring.cli" in text else "other"


def scripts_keyring() -> Path:
    """The `keyring` script of this installation (the environment running us;
    `keyring.exe` on Windows)."""
    return scripts_dir() / platform_shell.executable_name("keyring")


def scripts_dir() -> Path:
    """This installation's scripts folder: the running interpreter's own (a -I -S
    launcher runs no `site`, so `sysconfig` would name the base Python's folder)."""
    return Path(sys.executable).parent


def claim(dry_run: bool = False) -> Path | None:
    """Make this installation's `keyring` script ours when it is keyring's own console
    script; the path rewritten (or, with `dry_run`, that would be), else None."""
    path = scripts_keyring()
    text = _their_script(path)
    if text is None:
        return None
    if not dry_run:
        new = "\n".join(OUR_IMPORT if line == THEIR_IMPORT else line for line in text.split("\n"))
        _replace(path, new.encode())
    return path


def own_script(path: Path) -> str | None:
    """The text of `path` when it may be a script an installer wrote for this user: a
    regular file (never through a symlink) of this user, at most MAX_SCRIPT, UTF-8."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_SCRIPT:
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _their_script(path: Path) -> str | None:
    """The text of `path` when it is keyring's console script as an installer writes it:
    an `own_script` with a `#!` first line and one `from keyring.cli import main`."""
    text = own_script(path)
    if text is None or not text.startswith("#!") or text.split("\n").count(THEIR_IMPORT) != 1:
        return None
    return text


def _replace(path: Path, data: bytes) -> None:
    """Write `data` over `path` atomically, with the same mode."""
    from ..fast.atomicfile import replace_file

    replace_file(str(path), data, stat.S_IMODE(os.stat(path).st_mode))


def first_on_path() -> str | None:
    """The `keyring` program pip and uv would run (the first on PATH)."""
    return shutil.which("keyring")
