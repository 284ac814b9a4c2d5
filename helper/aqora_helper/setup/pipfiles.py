"""Where pip reads its config files, in its order (a later file's value wins).

As pip's `configuration.py` does (`pip config debug` lists them):

1. site-wide ("global"): `pip/pip.conf` in each folder of `XDG_CONFIG_DIRS` (default
   `/etc/xdg`), then `/etc/pip.conf` (macOS `/Library/Application Support/pip/pip.conf`,
   Windows `%PROGRAMDATA%\\pip\\pip.ini`);
2. user: the legacy `~/.pip/pip.conf` (Windows `~\\pip\\pip.ini`), then `pip_config_file()`;
   skipped when `PIP_CONFIG_FILE` names an existing file;
3. site: `pip.conf` in the prefix of the Python running pip; counted when a virtualenv is
   active (`$VIRTUAL_ENV/pip.conf`: its pip is the one that runs), else left out (which
   pip runs is unknown);
4. `PIP_CONFIG_FILE`. When it is `/dev/null`, pip reads no file at all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .common import appdata_dir, config_home

_BASENAME = "pip.ini" if sys.platform == "win32" else "pip.conf"


def pip_config_file() -> Path:
    """pip's user configuration file on this platform."""
    if sys.platform == "win32":
        return appdata_dir() / "pip" / "pip.ini"
    if sys.platform == "darwin":
        legacy = Path.home() / "Library" / "Application Support" / "pip"
        if legacy.is_dir():
            return legacy / "pip.conf"
        return Path.home() / ".config" / "pip" / "pip.conf"
    return config_home() / "pip" / "pip.conf"


def _site_config_dirs() -> list[Path]:
    if sys.platform == "win32":
        return [Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / "pip"]
    if sys.platform == "darwin":
        return [Path("/Library/Application Support/pip")]
    dirs = os.environ.get("XDG_CONFIG_DIRS", "")
    if not dirs.strip():
        dirs = "/etc/xdg"
    return [Path(os.path.expanduser(d)) / "pip" for d in dirs.split(os.pathsep)] + [Path("/etc")]


def pip_files() -> list[Path]:
    """Every config file pip reads (existing or not), in the order it reads them."""
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    files = [d / _BASENAME for d in _site_config_dirs()]
    if not (env_file and os.path.exists(env_file)):
        legacy = Path.home() / ("pip" if sys.platform == "win32" else ".pip") / _BASENAME
        files += [legacy, pip_config_file()]
    venv = os.environ.get("VIRTUAL_ENV", "").strip()
    if venv:
        files.append(Path(os.path.expanduser(venv)) / _BASENAME)
    if env_file:
        files.append(Path(env_file))
    return files
