"""The `keyring` program pip and uv run is aqora-helper's on every install route the
README gives (install.sh, `uv tool install` of the clone or of the wheel, `pipx install`),
whatever order the packages were installed in: on the tool routes keyring is installed
again after aqora-helper (as uv's arbitrary order, or a keyring upgrade, leaves it), so
its own CLI is the environment's `bin/keyring`; `setup pip|uv` make it ours. Which
program pip and uv really executed is read from `strace -f -e trace=execve`, not only
that they authenticated. `doctor` warns about a `keyring` first on PATH that is not ours,
with the fix."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.index_server import IndexServer, build_wheel
from shared.packaging import build_wheel as build_our_wheel
from shared.packaging import source_copy
from support import BIN_DIR, REPO, describe, run_cmd, write_config

STRACE = shutil.which("strace")
OUR_ENTRY = "aqora_helper.doors.keyring_program"
ROUTES = ["install.sh", "uv tool install CLONE", "uv tool install WHEEL", "pipx install WHEEL"]
_EXECVE = re.compile(r'execve\("([^"]+)"')


def strace_works() -> bool:
    if STRACE is None:
        return False
    probe = subprocess.run([STRACE, "-f", "-qq", "-e", "trace=execve", "-o", os.devnull, "true"],
                           capture_output=True, timeout=30)  # fmt: skip
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not strace_works(), reason="needs strace, allowed to trace its children (ptrace)"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_our_wheel(tmp_path_factory.mktemp("build"))


@pytest.fixture
def index(aqora: AqoraServer, tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(aqora.is_valid_access_token) as srv:
        srv.add_file(build_wheel(tmp_path / "wheels", "tinypkg", "0.1"))
        yield srv


def route_env(user_env: dict[str, str], tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    """A user whose PATH holds the route's bin dir and the system's, nothing of the test
    venv; pip and uv read the user config files `setup` writes."""
    drop = ("PIP_CONFIG_FILE", "UV_NO_CONFIG", "PIP_FIND_LINKS", "VIRTUAL_ENV")
    env = {k: v for k, v in user_env.items() if k not in drop}
    empty = tmp_path / "no-system-config"
    empty.mkdir(exist_ok=True)
    env.update(
        PATH=f"{bin_dir}:/usr/bin:/bin",
        XDG_CONFIG_DIRS=str(empty),
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def installed_keyring_version(python: Path, env: dict[str, str]) -> str:
    code = "import importlib.metadata as m; print(m.version('keyring'))"
    return run_cmd([python, "-I", "-c", code], env).stdout.strip()


def install(route: str, tmp_path: Path, env: dict[str, str], wheel: Path) -> Path:
    """Install aqora-helper by `route` into `tmp_path`, linking its commands into the
    bin dir on env's PATH; on the tool routes, reinstall keyring afterwards. Returns the
    environment's `bin/keyring`."""
    bin_dir = Path(env["PATH"].split(":")[0])
    python = os.path.realpath(sys.executable)
    uv = str(Path(BIN_DIR) / "uv")
    if route == "install.sh":
        installer = dict(env, PIP_CACHE_DIR=str(tmp_path / "pip-cache"))
        if "PIP_FIND_LINKS" in os.environ:
            installer["PIP_FIND_LINKS"] = os.environ["PIP_FIND_LINKS"]
        proc = run_cmd(["sh", str(REPO / "install.sh"), "--prefix", str(tmp_path / "venv"),
                        "--bin-dir", str(bin_dir), "--python", python], installer, timeout=900)  # fmt: skip
        assert proc.returncode == 0, describe(proc)
        return tmp_path / "venv" / "bin" / "keyring"
    if route.startswith("uv tool"):
        what = source_copy(tmp_path / "clone") if "CLONE" in route else wheel
        tools = dict(env, UV_TOOL_DIR=str(tmp_path / "tools"), UV_TOOL_BIN_DIR=str(bin_dir))
        proc = run_cmd([uv, "tool", "install", "--no-config", "--python", python, str(what)],
                       tools, timeout=900)  # fmt: skip
        assert proc.returncode == 0, describe(proc)
        venv = tmp_path / "tools" / "aqora-helper"
        version = installed_keyring_version(venv / "bin" / "python", env)
        again = run_cmd([uv, "pip", "install", "--no-config", "--python", str(venv / "bin" / "python"),
                         "--reinstall-package", "keyring", "--no-deps", f"keyring=={version}"],
                        env, timeout=600)  # fmt: skip
        assert again.returncode == 0, describe(again)
        return venv / "bin" / "keyring"
    pipx = str(Path(REPO) / ".venv-clients" / "plain" / "bin" / "pipx")
    homes = dict(env, PIPX_HOME=str(tmp_path / "pipx-home"), PIPX_BIN_DIR=str(bin_dir))
    if "PIP_FIND_LINKS" in os.environ:
        homes["PIP_FIND_LINKS"] = os.environ["PIP_FIND_LINKS"]
    proc = run_cmd([pipx, "install", "--python", python, str(wheel)], homes, timeout=900)
    assert proc.returncode == 0, describe(proc)
    venv = tmp_path / "pipx-home" / "venvs" / "aqora-helper"
    version = installed_keyring_version(venv / "bin" / "python", env)
    again = run_cmd([pipx, "runpip", "aqora-helper", "install", "--force-reinstall", "--no-deps",
                     f"keyring=={version}"], homes, timeout=600)  # fmt: skip
    assert again.returncode == 0, describe(again)
    return venv / "bin" / "keyring"


def entry_of(path: str) -> str:
    """What the program at `path` runs: ours, keyring's own CLI, or something else."""
    text = Path(os.path.realpath(path)).read_text(errors="replace")
    return "ours" if OUR_ENTRY in text else "keyring.cli" if "keyring.cli" in text else text[:80]


def keyring_programs_run(argv: list[str], env: dict[str, str], log: Path) -> list[str]:
    """Run `argv` under strace; the `keyring` programs it (or its children) executed."""
    proc = run_cmd([STRACE, "-f", "-qq", "-e", "trace=execve", "-o", str(log), *argv], env,
                   timeout=300)  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    paths = _EXECVE.findall(log.read_text())
    return [p for p in paths if os.path.basename(p) == "keyring" and os.path.exists(p)]


@pytest.mark.parametrize("route", ROUTES)
def test_pip_and_uv_run_our_keyring_program_after_each_route(
    route: str, aqora: AqoraServer, index: IndexServer, wheel: Path,
    user_env: dict[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    env = route_env(user_env, tmp_path, tmp_path / "bin")
    venv_keyring = install(route, tmp_path, env, wheel)
    if route != "install.sh":  # the order uv may choose, or a keyring upgrade, left theirs
        assert entry_of(str(venv_keyring)) == "keyring.cli"
    write_config(env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
                      f'hosts = ["{aqora.url.split("://")[1]}", "127.0.0.1:{index.port}"]\n')  # fmt: skip
    login = run_cmd(["aqora-helper", "login", "--interactive", "--username", "alice",
                     "--password-stdin"], env, input="pw\n")  # fmt: skip
    assert login.returncode == 0, describe(login)
    for tool in ("pip", "uv"):
        setup = run_cmd(["aqora-helper", "setup", tool, "--index-url", index.simple_url, "--replace"], env)
        assert setup.returncode == 0, describe(setup)
        assert "is not aqora-helper's" not in setup.stderr, describe(setup)
    assert entry_of(shutil.which("keyring", path=env["PATH"]) or "") == "ours"
    # every command of ours now starts as install.sh's launchers do: python -I -S
    for name in ("aqora-helper", "git-credential-aqora", "docker-credential-aqora", "keyring"):
        found = shutil.which(name, path=env["PATH"]) or name
        first = Path(os.path.realpath(found)).read_text().split("\n")[:2]  # sh's exec: 2nd
        assert first[0].endswith(" -IS") or " -IS " in first[1], (route, name, first)
    host = aqora.url.split("://")[1]
    got = run_cmd(["git-credential-aqora", "get"], env, input=f"protocol=http\nhost={host}\n\n")
    assert got.returncode == 0 and "password=" in got.stdout, describe(got)

    target = tmp_path / "target"
    subprocess.run([sys.executable, "-m", "venv", target], check=True, timeout=300)
    pip = [str(target / "bin" / "python"), "-m", "pip", "download", "--no-cache-dir", "--no-deps",
           "--no-input", "-d", str(tmp_path / "downloads"), "tinypkg"]  # fmt: skip
    uv = [str(Path(BIN_DIR) / "uv"), "pip", "install", "--no-cache", "--reinstall",
          "--python", str(target / "bin" / "python"), "tinypkg"]  # fmt: skip
    for name, argv in (("pip", pip), ("uv", uv)):
        index.seen.clear()
        ran = keyring_programs_run(argv, env, tmp_path / f"{name}.strace")
        assert ran, f"{name} ran no keyring program"
        assert {entry_of(p) for p in ran} == {"ours"}, (name, ran)
        assert index.accepted(), (name, index.seen)


def test_doctor_warns_about_keyring_own_cli_first_on_path(aqora, user_env, login, tmp_path):
    login()
    index_url = f"{aqora.url}/simple/"
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    setup = run_cmd(["aqora-helper", "setup", "pip", "--index-url", index_url, "--extra"], env)
    assert setup.returncode == 0, describe(setup)
    theirs = tmp_path / "their-bin"
    theirs.mkdir()
    cli = theirs / "keyring"  # keyring's console script, as an installer writes it
    cli.write_text(f"#!{sys.executable}\nimport sys\nfrom keyring.cli import main\nsys.exit(main())\n")
    cli.chmod(0o755)
    shadowed = dict(env, PATH=f"{theirs}{os.pathsep}{env['PATH']}")
    proc = run_cmd(["aqora-helper", "doctor"], shadowed)
    line = re.search(rf"^warn +pip: {re.escape(str(cli))} answers for .*keyring's own CLI.*$",
                     proc.stdout, re.M)  # fmt: skip
    assert line, describe(proc)
    fix = re.search(r"^ +fix: +(.+)$", proc.stdout[line.end():], re.M)
    assert fix and "ln -sf" in fix.group(1) and "aqora-keyring" in fix.group(1), describe(proc)
    after = run_cmd(["sh", "-c", f"{fix.group(1)} && aqora-helper doctor"], shadowed)
    assert re.search(r"^ok +pip: ", after.stdout, re.M), describe(after)
    warned = run_cmd(["aqora-helper", "setup", "pip", "--index-url", index_url, "--extra"], shadowed)
    assert f"({cli}) is not aqora-helper's" in warned.stderr + warned.stdout, describe(warned)


def test_a_launcher_started_setup_edits_its_own_installation(tmp_path: Path) -> None:
    """Under -I -S (every launcher) `site` never runs, so `sysconfig` names the base
    Python's scripts folder: setup must take the folder of the interpreter itself, or
    it would rewrite another installation's `keyring` (found by an attacker review)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    code = (f"import sys; sys.path += {[p for p in sys.path if p]!r}; from aqora_helper.setup import keyringprogram; "
            "print(keyringprogram.scripts_dir())")  # fmt: skip
    out = subprocess.run([str(venv / "bin" / "python"), "-I", "-S", "-c", code],
                         capture_output=True, text=True, check=True, timeout=60).stdout  # fmt: skip
    assert out.strip() == str(venv / "bin")
