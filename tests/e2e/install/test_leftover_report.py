"""`install.sh --uninstall`'s leftover report finds pip's and uv's config files by asking
the installed package (setup/pipfiles.py, setup/uv.py: the one place that knows them),
before its venv is removed; a half-built install that cannot answer says so."""

from __future__ import annotations

import subprocess
from pathlib import Path

from shared.install import PYTHON, helper, install, prefix
from support import REPO, describe

BLOCK = "# >>> aqora-helper setup"


def test_a_broken_install_reports_the_blocks_where_the_package_says(
    clone: Path,
    env: dict[str, str],
) -> None:
    """The install's own launcher fails (setups cannot be undone): the blocks `setup pip`
    and `setup uv` wrote are reported at the paths the package uses, also when
    XDG_CONFIG_HOME is relative (ignored by the package's rule, as by platformdirs)."""
    first = install(clone, env)
    assert first.returncode == 0, describe(first)
    live = {k: v for k, v in env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    for tool in ("pip", "uv"):
        proc = helper(live, "setup", tool, "--index-url", "https://127.0.0.1:9/simple/", "--replace")
        assert proc.returncode == 0, describe(proc)
    home = Path(env["HOME"])
    written = [home / ".config" / "pip" / "pip.conf", home / ".config" / "uv" / "uv.toml"]
    assert all(BLOCK in path.read_text() for path in written)
    venv = prefix(env).resolve()
    (venv / "bin" / "aqora-helper").write_text("#!/bin/sh\nexit 1\n")
    removed = install(clone, dict(live, XDG_CONFIG_HOME="relative-config"), "--uninstall")
    assert removed.returncode == 0, describe(removed)
    assert "does not run" in removed.stdout, describe(removed)
    for tool, path in zip(("pip", "uv"), written, strict=True):
        assert f"left: {path} has aqora-helper's {tool} block" in removed.stdout, describe(removed)
    assert "could not say where" not in removed.stdout
    assert not venv.exists()


def test_a_half_built_install_says_the_client_files_were_not_checked(
    clone: Path,
    env: dict[str, str],
) -> None:
    venv = Path(f"{prefix(env)}.b")
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (venv / "aqora-helper-created-dirs").write_text("\n")  # written first by install.sh
    prefix(env).symlink_to(venv.name)  # the link was switched, the venv has no package
    removed = install(clone, env, "--uninstall")
    assert removed.returncode == 0, describe(removed)
    assert "left: maybe aqora-helper's blocks in pip's and uv's config" in removed.stdout
    assert "'# >>> aqora-helper setup' markers" in removed.stdout, describe(removed)
    assert not venv.exists()


def test_install_sh_knows_no_client_config_path() -> None:
    """No second copy of where pip and uv keep their config: the package is asked."""
    text = (REPO / "install.sh").read_text()
    assert '"pip.conf"' not in text and '"uv.toml"' not in text
