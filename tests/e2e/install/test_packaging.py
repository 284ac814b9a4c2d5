"""The package as pipx / uv tool users get it: `python -m build` gives an sdist and a wheel
that pass `twine check`, the wheel holds the package only, every program is a console
script, and `uv tool install` of the wheel gives a setup where pip and uv authenticate
against an aqora index (through the tool's own `keyring` program) with nothing else
installed; the front doors' --version and --help.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import aqora_helper
from servers.aqora import AqoraServer
from servers.index_server import IndexServer, build_wheel
from shared.wheelhouse import offline
from support import BIN_DIR, REPO, describe, run_cmd, write_config

PROGRAMS = {
    "aqora-helper": "aqora_helper.__main__:main",
    "git-credential-aqora": "aqora_helper.doors.git:main",
    "docker-credential-aqora": "aqora_helper.doors.docker:main",
    "aqora-keyring": "aqora_helper.doors.keyring_program:main",
    "keyring": "aqora_helper.doors.keyring_program:main",
}


pytestmark = pytest.mark.xdist_group("packaging")  # one worker builds `dist` once


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """sdist + wheel built from a copy of the clone (the clone itself stays untouched);
    setuptools comes from the wheelhouse."""
    root = tmp_path_factory.mktemp("build")
    src = root / "src"
    shutil.copytree(
        REPO, src, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info")
    )
    env = offline(dict(os.environ), wheelhouse)
    env.update(PIP_CONFIG_FILE="/dev/null", PIP_CACHE_DIR=str(root / "pip-cache"))
    proc = run_cmd(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", root / "dist", src],
        env,
        timeout=600,
    )
    assert proc.returncode == 0, describe(proc)
    return root / "dist"


def only(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    proc = run_cmd(
        [Path(BIN_DIR) / "twine", "check", "--strict", *dist.iterdir()], dict(os.environ)
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.count("PASSED") == 2, describe(proc)
    version = aqora_helper.__version__
    assert only(dist, "*.whl").name == f"aqora_helper-{version}-py3-none-any.whl"
    assert only(dist, "*.tar.gz").name == f"aqora_helper-{version}.tar.gz"


def test_wheel_holds_the_package_only_and_every_program(dist: Path) -> None:
    version = aqora_helper.__version__
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        names = wheel.namelist()
        entry_points = wheel.read(f"aqora_helper-{version}.dist-info/entry_points.txt").decode()
        metadata = wheel.read(f"aqora_helper-{version}.dist-info/METADATA").decode()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"aqora_helper", f"aqora_helper-{version}.dist-info"}, tops
    assert "aqora_helper/py.typed" in names
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(entry_points)
    assert dict(parser["console_scripts"]) == PROGRAMS
    assert dict(parser["keyring.backends"]) == {"aqora": "aqora_helper.doors.keyring_backend"}
    assert f"Version: {version}\n" in metadata


# --- uv tool install of the wheel ----------------------------------------------------------
@pytest.fixture
def index(aqora: AqoraServer, tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(aqora.is_valid_access_token) as srv:
        srv.add_file(build_wheel(tmp_path / "wheels", "tinypkg", "0.1"))
        yield srv


def test_uv_tool_install_gives_pip_and_uv_a_working_keyring(
    aqora: AqoraServer,
    index: IndexServer,
    dist: Path,
    user_env: dict[str, str],
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    uv = Path(BIN_DIR) / "uv"
    tool_bin = tmp_path / "tool-bin"
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    empty = tmp_path / "no-system-config"
    empty.mkdir()
    env.update(
        PATH=f"{tool_bin}:/usr/bin:/bin",  # nothing from the test venv: no other keyring
        UV_TOOL_DIR=str(tmp_path / "tools"),
        UV_TOOL_BIN_DIR=str(tool_bin),
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        XDG_CONFIG_DIRS=str(empty),
    )
    installed = run_cmd(
        [uv, "tool", "install", "--no-config", "--python", os.path.realpath(sys.executable),
         "--no-index", "--find-links", wheelhouse, only(dist, "*.whl")],
        env, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, describe(installed)
    assert sorted(p.name for p in tool_bin.iterdir()) == sorted(PROGRAMS)
    version = run_cmd([tool_bin / "aqora-helper", "--version"], env)
    assert version.stdout == f"aqora-helper {aqora_helper.__version__}\n", describe(version)

    api_host = aqora.url.split("://", 1)[1]
    write_config(
        env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{api_host}", "127.0.0.1:{index.port}"]\n',
    )
    login = run_cmd(
        ["aqora-helper", "login", "--interactive", "--username", "alice", "--password-stdin"],
        env, input="pw\n",
    )  # fmt: skip
    assert login.returncode == 0, describe(login)
    for tool in ("pip", "uv"):
        proc = run_cmd(["aqora-helper", "setup", tool, "--index-url", index.simple_url, "--replace"], env)
        assert proc.returncode == 0, describe(proc)
        assert "no 'keyring' program on PATH" not in proc.stderr, describe(proc)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    pip = run_cmd(
        [venv / "bin" / "python", "-m", "pip", "install", "--no-cache-dir", "--no-input",
         "--disable-pip-version-check", "tinypkg"],
        env, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, describe(pip)
    assert index.accepted(), index.seen
    index.seen.clear()
    uv_pip = run_cmd(
        [uv, "pip", "install", "--no-cache", "--reinstall", "--python", venv / "bin" / "python",
         "tinypkg"],
        env, timeout=300,
    )  # fmt: skip
    assert uv_pip.returncode == 0, describe(uv_pip)
    assert index.accepted(), index.seen


# --- the front doors' --help and --version ---------------------------------------------------
@pytest.mark.parametrize(
    ("program", "args", "expected"),
    [
        ("git-credential-aqora", ["--version"], "git-credential-aqora (aqora-helper) {v}\n"),
        ("docker-credential-aqora", ["version"], "docker-credential-aqora (aqora-helper) v{v}\n"),
        ("docker-credential-aqora", ["--version"], "docker-credential-aqora (aqora-helper) v{v}\n"),
        ("docker-credential-aqora", ["-v"], "docker-credential-aqora (aqora-helper) v{v}\n"),
        ("aqora-helper", ["--version"], "aqora-helper {v}\n"),
    ],
)
def test_versions(program: str, args: list[str], expected: str, user_env) -> None:
    proc = run_cmd([Path(BIN_DIR) / program, *args], user_env)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == expected.format(v=aqora_helper.__version__)


@pytest.mark.parametrize("program", ["git-credential-aqora", "docker-credential-aqora"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_front_door_help_prints_usage(program: str, flag: str, user_env) -> None:
    proc = run_cmd([Path(BIN_DIR) / program, flag], user_env)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.lower().startswith(f"usage: {program} "), describe(proc)
    assert "aqora-helper setup" in proc.stdout and proc.stderr == ""
