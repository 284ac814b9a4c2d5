"""`aqora-helper setup pip --extra` keeps the extra indexes pip reads from a site-wide
config file (`pip/pip.conf` in a folder of `XDG_CONFIG_DIRS`, here a temporary one; the
machine's /etc/pip.conf is left alone): the user-level `extra-index-url` setup writes
would otherwise hide them (pip's later level wins). The real pip then downloads from
both extra indexes, the site-wide one and ours (which takes the token through keyring),
and `--remove` gives back the user's file byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

from servers.index_server import IndexServer, build_wheel
from shared.pip_index import (
    USERNAME,
    fresh_venv,
    setup,
    user_config_env,
)
from support import describe, run_cmd

USER_CONF = b"[global]\ntimeout = 60\n"


def pip_config_list(env: dict[str, str]) -> str:
    proc = run_cmd([sys.executable, "-m", "pip", "config", "list"], env)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout


def test_setup_pip_extra_keeps_the_site_wide_extra_index(index, pkg_env, tmp_path):
    env = user_config_env(pkg_env)
    with IndexServer(lambda t: t == "site-token") as site, IndexServer(lambda t: False) as main:
        site.add_file(build_wheel(tmp_path / "site-wheels", "sitepkg", "0.2"))
        site_url = f"http://u:site-token@{site.hostport}/simple/"
        site_dir = tmp_path / "xdg-site"
        (site_dir / "pip").mkdir(parents=True)
        (site_dir / "pip" / "pip.conf").write_text(f"[global]\nextra-index-url = {site_url}\n")
        env["XDG_CONFIG_DIRS"] = str(site_dir)
        user_file = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
        user_file.parent.mkdir(parents=True)
        user_file.write_bytes(USER_CONF)

        setup("pip", env, index, "--extra")
        ours = index.simple_url.replace("://", f"://{USERNAME}@")
        assert f"global.extra-index-url='{site_url} {ours}'" in pip_config_list(env)

        venv = fresh_venv(tmp_path / "venv", with_pip=True)
        proc = run_cmd(
            [venv / "bin" / "python", "-m", "pip", "download", "--no-cache-dir", "--no-input",
             "--disable-pip-version-check", "--no-deps", "-d", tmp_path / "dl",
             "--index-url", f"{main.url}/simple/", "tinypkg", "sitepkg"],
            env, timeout=180,
        )  # fmt: skip
        assert proc.returncode == 0, describe(proc)
        got = sorted(p.name.split("-")[0] for p in (tmp_path / "dl").iterdir())
        assert got == ["sitepkg", "tinypkg"], describe(proc)
        assert any(s.accepted for s in site.seen), site.seen
        assert {s.username for s in index.accepted()} == {USERNAME}, index.seen

    proc = run_cmd(["aqora-helper", "setup", "pip", "--remove"], env)
    assert proc.returncode == 0, describe(proc)
    assert user_file.read_bytes() == USER_CONF
    assert f"global.extra-index-url='{site_url}'" in pip_config_list(env)
