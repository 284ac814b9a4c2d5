"""install.sh over a whole life, in a fresh HOME with the real Secret Service: upgrades
from a changed copy of the clone, failed upgrades that keep the old install, installs
after `setup pip|uv` pointed pip and uv at an aqora index, uninstalls that undo every
setup and log out, and half-built installs.

Each test installs from its own copy of the clone (`clone`); pip's cache is one private
folder for the run (never the real HOME's), so only the first install downloads.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.index_server import IndexServer, build_wheel
from shared.install import PYTHON, helper, install, online, prefix
from support import (
    describe,
    run_cmd,
    stored_refresh_token,
    token_cache_file,
    write_config,
)


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def set_version(clone: Path, version: str) -> None:
    init = clone / "helper" / "aqora_helper" / "__init__.py"
    text = init.read_text()
    init.write_text(text.replace('__version__ = "', f'__version__ = "{version}"  # was "', 1))


# --- upgrades --------------------------------------------------------------------------
def test_upgrade_picks_up_changed_and_removed_modules_and_a_failed_one_keeps_the_old(
    aqora: AqoraServer, clone: Path, env: dict[str, str]
) -> None:
    extra = clone / "helper" / "aqora_helper" / "extra_module.py"
    extra.write_text('"""Present in the first install only."""\n')
    set_version(clone, "0.0.1")
    (clone / "build" / "lib" / "aqora_helper").mkdir(parents=True)  # stale build output
    (clone / "build" / "lib" / "aqora_helper" / "stale_module.py").write_text("")
    before = tree(clone)
    first = install(clone, env)
    assert first.returncode == 0, describe(first)
    assert "installed aqora-helper 0.0.1" in first.stdout, describe(first)
    venv_py = prefix(env) / "bin" / "python"
    probe = "import aqora_helper.extra_module"
    assert run_cmd([venv_py, "-c", probe], env).returncode == 0
    stale = run_cmd([venv_py, "-c", "import aqora_helper.stale_module"], env)
    assert stale.returncode != 0, "stale build/ output was installed"

    extra.unlink()
    set_version(clone, "0.0.2")
    second = install(clone, env)
    assert second.returncode == 0, describe(second)
    assert "upgraded aqora-helper 0.0.1 -> aqora-helper 0.0.2" in second.stdout, describe(second)
    assert helper(env, "--version").stdout == "aqora-helper 0.0.2\n"
    assert run_cmd([venv_py, "-c", probe], env).returncode != 0, "a removed module survived"
    assert tree(clone) == before - {"helper/aqora_helper/extra_module.py"}  # nothing written
    installed = tree(Path(env["XDG_DATA_HOME"]))

    # An upgrade whose pip step fails: the index is unreachable, then the source is broken.
    set_version(clone, "0.0.3")
    unreachable = install(clone, online(env), "--index-url", "http://127.0.0.1:9/simple/")
    (clone / "pyproject.toml").write_text("[project\n")
    broken = install(clone, env)
    for failed in (unreachable, broken):
        assert failed.returncode == 1, describe(failed)
        assert "error: pip could not install aqora-helper" in failed.stderr, describe(failed)
        assert "hint: " in failed.stderr
        assert "previous install" in failed.stderr and "is unchanged" in failed.stderr
        assert "Done." not in failed.stdout
    assert "127.0.0.1:9" in unreachable.stderr  # the explicit index was used
    assert tree(Path(env["XDG_DATA_HOME"])) == installed  # no half-built venv left
    for name in ("aqora-helper", "git-credential-aqora", "docker-credential-aqora"):
        proc = run_cmd([Path(env["HOME"]) / ".local/bin" / name, "--version"], env)
        assert proc.returncode == 0 and "0.0.2" in proc.stdout, describe(proc)

    # Uninstall, keeping the session.
    write_config(env, f'url = "{aqora.url}"\n')
    login = helper(env, "login", "--interactive", "--username", "alice", "--password-stdin",
                   stdin="pw\n")  # fmt: skip
    assert login.returncode == 0, describe(login)
    removed = install(clone, env, "--uninstall", "--keep-sessions")
    assert removed.returncode == 0, describe(removed)
    assert stored_refresh_token(env, aqora.url) is not None
    assert "sessions kept" in removed.stdout
    assert "left: your sessions (kept)" in removed.stdout, describe(removed)
    assert not prefix(env).exists() and not prefix(env).is_symlink()


# --- setups, sessions and uninstall -------------------------------------------------------
@pytest.fixture
def index(aqora: AqoraServer, tmp_path: Path) -> Iterator[IndexServer]:
    """An aqora index that does not mirror PyPI (no setuptools, no dependencies)."""
    with IndexServer(aqora.is_valid_access_token) as srv:
        srv.add_file(build_wheel(tmp_path / "wheels", "tinypkg", "0.1"))
        yield srv


USER_FILES = {  # the user's own config before any setup (setup must give these back)
    ".gitconfig": b"[user]\n\tname = Alice\n",
    ".docker/config.json": b'{\n  "auths": {}\n}\n',
    ".config/pip/pip.conf": b"[global]\ntimeout = 60\n",
    ".config/uv/uv.toml": b"native-tls = true\n",
}


def test_install_after_setup_pip_uv_then_uninstall_undoes_every_setup_and_logs_out(
    aqora: AqoraServer, index: IndexServer, clone: Path, env: dict[str, str]
) -> None:
    home = Path(env["HOME"])
    for name, data in USER_FILES.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(data)
    first = install(clone, env)
    assert first.returncode == 0, describe(first)
    api_host = aqora.url.split("://", 1)[1]
    write_config(
        env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{api_host}", "127.0.0.1:{index.port}"]\n',
    )
    login = helper(env, "login", "--interactive", "--username", "alice", "--password-stdin",
                   stdin="pw\n")  # fmt: skip
    assert login.returncode == 0, describe(login)
    live = {k: v for k, v in env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    for args in (["git"], ["docker"], ["pip", "--index-url", index.simple_url, "--replace"],
                 ["uv", "--index-url", index.simple_url, "--replace"]):  # fmt: skip
        proc = helper(live, "setup", *args)
        assert proc.returncode == 0, describe(proc)
    assert "aqora" in (home / ".docker/config.json").read_text()
    token = helper(env, "token").stdout.strip()
    assert token and token_cache_file(env, aqora.url).exists()
    # pip now reads the aqora index, which has no setuptools: install.sh must not use it.
    listed = run_cmd([PYTHON, "-m", "pip", "config", "list"], live)
    assert index.simple_url.split("://")[1] in listed.stdout, describe(listed)

    # pip may ask an index here (not only the wheelhouse): any https one is refused at once
    # (a dead proxy), the aqora index on 127.0.0.1 is reached if pip.conf were read.
    asking = dict(online(live), PIP_FIND_LINKS=env["PIP_FIND_LINKS"], PIP_RETRIES="0")
    asking.update(HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="127.0.0.1,localhost")
    again = install(clone, asking)
    assert again.returncode == 0, describe(again)
    assert "reinstalled aqora-helper" in again.stdout
    assert not index.seen, "install.sh asked the aqora index"

    removed = install(clone, live, "--uninstall")
    assert removed.returncode == 0, describe(removed)
    out = removed.stdout + removed.stderr
    for name, data in USER_FILES.items():
        assert (home / name).read_bytes() == data, f"{name} not restored\n{out}"
    assert stored_refresh_token(env, aqora.url) is None, out
    assert not token_cache_file(env, aqora.url).exists()
    assert not any(aqora.is_valid_access_token(w) for w in out.split())
    assert "Logged out of" in out
    assert not (home / ".local" / "bin").exists(), out
    assert not prefix(env).exists() and not prefix(env).is_symlink()
    assert not prefix(env).parent.exists(), out  # logged out: an empty session list is not kept
    assert "aqora-helper's data" not in out, out
    assert "removed " in out and "aqora-helper is uninstalled." in out
    git = run_cmd(["git", "config", "--global", "--get-regexp", "credential"], env)
    assert "aqora" not in git.stdout
    clients = [home / ".gitconfig", *(home / ".docker").rglob("*"), *(home / ".config").rglob("*")]
    pointing = [
        str(path)
        for path in clients
        if path.is_file() and "aqora-helper" not in path.parts and b"aqora" in path.read_bytes()
    ]
    assert pointing == [], out  # no client config left naming aqora (containers' drop-in too)


@pytest.mark.parametrize("layout", ["older-install-sh", "interrupted-build"])
def test_uninstall_removes_a_half_built_install(
    layout: str, clone: Path, env: dict[str, str]
) -> None:
    venv = prefix(env) if layout == "older-install-sh" else Path(f"{prefix(env)}.b")
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (venv / "aqora-helper-created-dirs").write_text("\n")  # written first by install.sh
    if layout == "interrupted-build":  # the link was switched, the venv has no package
        prefix(env).symlink_to(venv.name)
    bin_dir = Path(env["HOME"]) / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "aqora-helper").symlink_to(prefix(env) / "launchers" / "aqora-helper")
    (bin_dir / "other").symlink_to("/bin/true")
    removed = install(clone, env, "--uninstall")
    assert removed.returncode == 0, describe(removed)
    assert "does not run" in removed.stdout, describe(removed)
    assert not venv.exists() and not prefix(env).is_symlink() and not prefix(env).exists()
    assert not (bin_dir / "aqora-helper").is_symlink()
    assert (bin_dir / "other").is_symlink()


def test_uninstall_leaves_a_venv_install_sh_did_not_make(clone: Path, env: dict[str, str]):
    venv = prefix(env)
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    removed = install(clone, env, "--uninstall")
    assert removed.returncode == 0, describe(removed)
    assert f"left: {venv} (not a venv install.sh made" in removed.stdout, describe(removed)
    assert (venv / "pyvenv.cfg").exists()
    again = install(clone, env)
    assert again.returncode == 1 and "is not an aqora-helper venv" in again.stderr


def test_install_refuses_a_prefix_that_is_not_a_venv(clone: Path, env: dict[str, str], tmp_path):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "data").write_text("keep")
    proc = install(clone, env, "--prefix", str(target))
    assert proc.returncode == 1, describe(proc)
    assert proc.stderr.startswith("error: ") and "\nhint: " in proc.stderr
    assert (target / "data").read_text() == "keep"
    assert tree(target) == {"data"}
