"""doctor's pip and uv checks: when pip or uv is configured for an index on a served host,
it must name a keyring provider, and the `keyring` program it will run (the first on
PATH) must see aqora-helper's backend and answer for that index.

Every fix is a command that works when pasted.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..engine.datadir import data_dir
from ..engine.settings import Environment
from ..fast import platform_shell
from ..fast.clientprocess import run_client
from ..fast.hostnames import key_from_url
from ..fast.text import without_password
from . import keyringprogram
from .checks import MAX_CONFIG_BYTES, Check
from .files import SetupError, read_file
from .pipfiles import pip_files
from .uv import uv_config_file

KEYRING_TIMEOUT = 15.0
BACKEND = "AqoraKeyring"
_PROVIDER = re.compile(r"^\s*keyring[-_]provider\s*=", re.MULTILINE)
_PIP_URL = re.compile(r"^\s*(?:extra[-_])?index[-_]url\s*=\s*(\S+)", re.MULTILINE)
_PIP_INDEX_ONLY = re.compile(r"^\s*index[-_]url\s*=\s*(\S+)", re.MULTILINE)
_UV_INDEX_ONLY = re.compile(r"^\s*(?:index-url|default-index)\s*=\s*[\"']([^\"']+)", re.MULTILINE)
_UV_URL = re.compile(r"^\s*(?:url|index-url|extra-index-url)\s*=\s*[\"']([^\"']+)", re.MULTILINE)


def index_checks(served: dict[str, Environment]) -> list[Check]:
    """The pip and uv checks (served: host key -> its environment)."""
    return [
        _tool_check("pip", pip_files(), _pip_env_urls(), "PIP_KEYRING_PROVIDER", served),
        _tool_check("uv", _uv_files(), _uv_env_urls(), "UV_KEYRING_PROVIDER", served),
    ]


def _uv_files() -> list[Path]:
    if os.environ.get("UV_NO_CONFIG", "").strip().lower() not in ("", "0", "false", "no"):
        return []
    override = os.environ.get("UV_CONFIG_FILE")
    return [Path(override)] if override else [uv_config_file()]


def _pip_env_urls() -> list[str]:
    names = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
    return [u for n in names for u in os.environ.get(n, "").split()]


def _uv_env_urls() -> list[str]:
    names = ("UV_DEFAULT_INDEX", "UV_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL")
    words = [w for n in names for w in os.environ.get(n, "").split()]
    return [w.split("=", 1)[1] if "=" in w.split("://", 1)[0] else w for w in words]


def _tool_check(
    tool: str,
    files: list[Path],
    env_urls: list[str],
    provider_var: str,
    served: dict[str, Environment],
) -> Check:
    texts: dict[Path, str] = {}
    for path in files:
        try:
            found = read_file(path, MAX_CONFIG_BYTES)
        except SetupError:
            continue
        if found is not None:
            texts[path] = found[0].decode("utf-8", "replace")
    pattern = _PIP_URL if tool == "pip" else _UV_URL
    urls = env_urls + [u for text in texts.values() for u in pattern.findall(text)]
    ours = [(u, served[k[1]]) for u in urls if (k := key_from_url(u)) and k[1] in served]
    if not ours:
        return Check(
            "ok",
            tool,
            f"{tool} is not configured for an aqora index; nothing to check "
            f"('aqora-helper setup {tool} --index-url URL' sets one up)",
        )
    url, env = without_password(ours[0][0]), ours[0][1]  # shown and pasted: no password
    provider = bool(os.environ.get(provider_var)) or any(
        _PROVIDER.search(t) for t in texts.values()
    )
    if not provider:
        shown = ", ".join(str(p) for p in texts) or "the environment"
        return Check(
            "warn",
            tool,
            f"{url} is an aqora index but no keyring-provider is set ({shown})",
            platform_shell.command(
                "aqora-helper", "setup", tool, "--index-url", url, _mode(tool, texts, ours[0][0])
            ),
        )
    overridden = _pip_overrides(texts, url) if tool == "pip" else []
    if overridden:
        return Check(
            "warn",
            tool,
            f"'pip install' uses {'; '.join(overridden)} instead of the aqora index {url}",
            f"remove that setting there (or put {url} in it)",
        )
    checked = keyring_program_check(tool, url, env)
    if tool == "pip" and checked.status == "ok":
        return _public_installs_check(texts, ours[0][0]) or checked
    return checked


def _mode(tool: str, texts: dict[Path, str], url: str) -> str:
    """The setup option that keeps how `url` is configured now: `--replace` when it is
    the tool's index, `--extra` when it is beside it or serves no public packages (the
    one fix then mends both)."""
    from .indexprobe import NOT_PUBLIC, probe

    if url not in _only_index_urls(tool, texts) or probe(url).outcome == NOT_PUBLIC:
        return "--extra"
    return "--replace"


def _only_index_urls(tool: str, texts: dict[Path, str]) -> list[str]:
    """The URLs pip or uv use instead of PyPI (environment and config files)."""
    names: tuple[str, ...]
    if tool == "pip":
        names, pattern = ("PIP_INDEX_URL",), _PIP_INDEX_ONLY
    else:
        names, pattern = ("UV_DEFAULT_INDEX", "UV_INDEX_URL"), _UV_INDEX_ONLY
    found = [u for n in names for u in os.environ.get(n, "").split()]
    return found + [u for text in texts.values() for u in pattern.findall(text)]


def _public_installs_check(texts: dict[Path, str], url: str) -> Check | None:
    """A warning when the aqora index `url` is pip's only index (index-url, not an extra
    one) and serves no public packages: every other `pip install` would fail."""
    from .indexprobe import NOT_PUBLIC, probe

    if url not in _only_index_urls("pip", texts):
        return None
    verdict = probe(url)
    if verdict.outcome != NOT_PUBLIC:
        return None
    shown = without_password(url)
    return Check(
        "warn",
        "pip",
        f"{shown} is pip's only index and serves no public packages ({verdict.detail}): "
        "every other pip install fails",
        platform_shell.command("aqora-helper", "setup", "pip", "--index-url", shown, "--extra"),
    )


def _pip_overrides(texts: dict[Path, str], url: str) -> list[str]:
    """What overrides, for `pip install`, the pip config file naming `url` (see
    setup.pip.install_overrides)."""
    from .pip import install_overrides

    return [o for path, text in texts.items() if url in text for o in install_overrides(path, text)]


def keyring_program_check(tool: str, url: str, env: Environment) -> Check:
    """The `keyring` program first on PATH sees our backend and answers for `url`."""
    program = shutil.which("keyring")
    ours = _our_keyring()
    if program is None:
        return Check(
            "fail",
            tool,
            f"no 'keyring' program on PATH: {tool} cannot ask aqora-helper for {url}",
            _link_fix(ours, shutil.which("aqora-helper")),
        )
    backends = _run([program, "--list-backends"])
    if backends is None or BACKEND not in backends:
        return Check(
            "fail",
            tool,
            f"the 'keyring' program first on PATH ({program}) cannot see aqora-helper's "
            f"backend, so {tool} gets no token for {url}",
            _link_fix(ours, None),
        )
    answer = _run([program, "--mode", "creds", "get", url, env.username])
    if not answer or len(answer.splitlines()) < 2:
        return Check(
            "warn",
            tool,
            f"{program} sees aqora-helper's backend but gave no credentials for {url}",
            platform_shell.command("aqora-helper", "login", "--url", env.url),
        )
    found = keyringprogram.kind(program)
    if found != "ours":
        what = "keyring's own CLI" if found == "keyring" else "not aqora-helper's keyring program"
        return Check(
            "warn",
            tool,
            f"{program} answers for {url}, but it is {what}: {tool} waits for it on every "
            "lookup, about 15 times longer than for aqora-helper's",
            _ours_first_fix(tool, url, program, ours),
        )
    return Check("ok", tool, f"{program} answers for {url} (keyring-provider set)")


def _ours_first_fix(tool: str, url: str, program: str, ours: str) -> str:
    """Rewriting this installation's script (setup does it), else ours first on PATH."""
    if os.path.realpath(program) == os.path.realpath(keyringprogram.scripts_keyring()):
        return platform_shell.command("aqora-helper", "setup", tool, "--index-url", url)
    return _link_fix(ours, None)


def _our_keyring() -> str:
    """aqora-helper's own `keyring` program (install.sh links it as aqora-keyring)."""
    linked = shutil.which("aqora-keyring")
    if linked:
        return os.path.realpath(linked)
    return str(Path(sys.executable).parent / platform_shell.executable_name("aqora-keyring"))


def _link_fix(ours: str, next_to: str | None) -> str:
    """Make ours the `keyring` first on PATH: linked next to aqora-helper when that
    directory is on PATH and has no keyring, else in a directory put first on PATH (in
    the data directory), each in this platform's shell."""
    if next_to is not None:
        return platform_shell.link_program(ours, platform_shell.paths().dirname(next_to), "keyring")
    directory = str(data_dir() / "keyring-bin")
    return platform_shell.program_first_on_path(ours, directory, "keyring")


def _run(args: list[str]) -> str | None:
    """stdout of a bounded run, or None when it failed (never shown: it may hold a token)."""
    try:
        proc = run_client(args, timeout=KEYRING_TIMEOUT)  # no project folder around it
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None
