"""A site-wide `[install] index-url` beats the `[global]` one `setup pip` writes in the
user file (pip merges its files, then `[install]` wins for `pip install`, whatever the
file): `setup pip` and `doctor` say so in one warning line. The real pip agrees."""

from __future__ import annotations

import sys
from pathlib import Path

from support import describe, run_cmd, write_config

INDEX = "https://127.0.0.1:9/simple/"
SITE_INDEX = "https://site.example/simple/"


def test_setup_pip_and_doctor_warn_about_an_install_section_elsewhere(user_env, tmp_path):
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    site = tmp_path / "xdg-site" / "pip" / "pip.conf"
    site.parent.mkdir(parents=True)
    site.write_text(f"[install]\nindex-url = {SITE_INDEX}\n")
    env["XDG_CONFIG_DIRS"] = str(site.parent.parent)
    setup = run_cmd(["aqora-helper", "setup", "pip", "--index-url", INDEX, "--replace"], env)
    assert setup.returncode == 0, describe(setup)
    warned = [ln for ln in setup.stderr.splitlines() if f"{site} [install] index-url" in ln]
    assert len(warned) == 1 and "warning: 'pip install' uses" in warned[0], describe(setup)
    assert "remove it there" in warned[0]
    # pip itself: `pip install` reads the site-wide [install] value, not ours
    shown = run_cmd([sys.executable, "-m", "pip", "config", "list"], env)
    assert f"install.index-url='{SITE_INDEX}'" in shown.stdout, describe(shown)
    user_file = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    assert "global.index-url='https://aqora@127.0.0.1:9/simple/'" in shown.stdout, describe(shown)
    doctor = run_cmd(["aqora-helper", "doctor"], env)
    lines = [ln for ln in doctor.stdout.splitlines() if "'pip install' uses" in ln]
    assert len(lines) == 1 and lines[0].lstrip().startswith("warn"), describe(doctor)
    assert f"{site} [install] index-url" in lines[0], describe(doctor)
    # an [install] value naming something else than what setup wrote is no override
    site.write_text(f"[install]\nextra-index-url = {SITE_INDEX}\n")
    again = run_cmd(["aqora-helper", "setup", "pip", "--index-url", INDEX, "--replace"], env)
    assert again.returncode == 0 and "'pip install' uses" not in again.stderr, describe(again)
    assert user_file.is_file()


def test_a_venvs_own_file_read_after_the_user_file_is_an_override(user_env, tmp_path):
    """pip's "site" level (`$VIRTUAL_ENV/pip.conf`) comes after the user file: its
    `[global] index-url` wins there."""
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pip.conf").write_text(f"[global]\nindex-url = {SITE_INDEX}\n")
    env["VIRTUAL_ENV"] = str(venv)
    env["XDG_CONFIG_DIRS"] = str(tmp_path / "no-site")
    setup = run_cmd(["aqora-helper", "setup", "pip", "--index-url", INDEX, "--replace"], env)
    assert setup.returncode == 0, describe(setup)
    assert f"{venv / 'pip.conf'} [global] index-url" in setup.stderr, describe(setup)


def test_doctor_reads_every_file_pip_reads(aqora, user_env, tmp_path):
    """An aqora index named in the active venv's pip.conf (pip's site level) without a
    keyring provider: doctor sees it there (it read only two files of pip's before)."""
    port = aqora.url.rsplit(":", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{port}"]\n',
    )
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    venv = tmp_path / "venv"
    venv.mkdir()
    index = f"http://127.0.0.1:{port}/simple/"
    (venv / "pip.conf").write_text(f"[global]\nindex-url = {index}\n")
    env["VIRTUAL_ENV"] = str(venv)
    env["XDG_CONFIG_DIRS"] = str(tmp_path / "no-site")
    doctor = run_cmd(["aqora-helper", "doctor"], env)
    lines = [ln for ln in doctor.stdout.splitlines() if ln.split()[1:2] == ["pip:"]]
    assert len(lines) == 1 and lines[0].startswith("warn"), describe(doctor)
    assert f"{index} is an aqora index but no keyring-provider is set" in lines[0]
    assert str(venv / "pip.conf") in lines[0], describe(doctor)
