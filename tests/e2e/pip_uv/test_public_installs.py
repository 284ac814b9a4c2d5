"""After `setup pip|uv` for an aqora index that does not mirror PyPI, installing a public
package still works: pip's setup asks for a choice rather than replacing PyPI (and
changes nothing until given one), `--extra` keeps PyPI, uv's setup adds the index beside
PyPI by itself, and an index that serves public packages replaces PyPI as asked. An open
local index stands in for PyPI (pip.conf's index-url, uv's UV_DEFAULT_INDEX); `doctor`
flags pip set up with the private index as its only one.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.index_server import IndexServer, build_wheel
from shared.pip_index import USERNAME, fresh_venv, user_config_env
from support import describe, run_cmd

PYPI_CONF = "[global]\nindex-url = {pypi}\n"  # the user's pip.conf: PyPI (its stand-in)


@pytest.fixture
def pypi(tmp_path: Path) -> Iterator[IndexServer]:
    """An open index serving `publicpkg`: PyPI's stand-in."""
    with IndexServer(lambda token: False, public=True) as srv:
        srv.add_file(build_wheel(tmp_path / "public-wheels", "publicpkg", "1.0"))
        yield srv


def setup(env: dict[str, str], tool: str, index: IndexServer, *choice: str):
    return run_cmd(
        ["aqora-helper", "setup", tool, "--index-url", index.simple_url, *choice], env
    )


def pip_download(env: dict[str, str], venv: Path, dest: Path, *names: str):
    return run_cmd(
        [venv / "bin" / "python", "-m", "pip", "download", "--no-cache-dir", "--no-input",
         "--disable-pip-version-check", "--no-deps", "-d", dest, *names],
        env, timeout=180,
    )  # fmt: skip


def test_pip_asks_for_a_choice_then_extra_keeps_public_installs(index, pypi, pkg_env, tmp_path):
    env = user_config_env(pkg_env)
    conf = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(PYPI_CONF.format(pypi=pypi.simple_url))
    before = conf.read_bytes()

    asked = setup(env, "pip", index)
    assert asked.returncode == 1, describe(asked)
    first, second = asked.stderr.strip().splitlines()[-2:]
    assert re.match(r"error: .*/simple/ serves no public packages \(it has no page for", first)
    assert "would break every other pip install" in first
    assert "--extra" in second and "--replace" in second and "Traceback" not in asked.stderr
    assert conf.read_bytes() == before  # nothing written until the user chooses

    chosen = setup(env, "pip", index, "--extra")
    assert chosen.returncode == 0, describe(chosen)
    venv = fresh_venv(tmp_path / "venv", with_pip=True)
    got = pip_download(env, venv, tmp_path / "dl", "publicpkg", "tinypkg")
    assert got.returncode == 0, describe(got)
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "dl").iterdir()) == [
        "publicpkg", "tinypkg",
    ]  # fmt: skip
    assert {s.username for s in index.accepted()} == {USERNAME}, index.seen

    doctor = run_cmd(["aqora-helper", "doctor"], env)
    assert re.search(r"^ok +pip: ", doctor.stdout, re.M), describe(doctor)

    # What the question prevents: with --replace, PyPI is gone for pip.
    replaced = setup(env, "pip", index, "--replace")
    assert replaced.returncode == 0, describe(replaced)
    lost = pip_download(env, venv, tmp_path / "dl2", "publicpkg")
    assert lost.returncode != 0 and "No matching distribution" in lost.stderr, describe(lost)
    doctor = run_cmd(["aqora-helper", "doctor"], env)
    line = re.search(r"^warn +pip: (.*)\n +fix: (.*)$", doctor.stdout, re.M)
    assert line, describe(doctor)
    assert "is pip's only index and serves no public packages" in line.group(1)
    fixed = run_cmd(line.group(2).split(), env)  # the fix line, as pasted
    assert fixed.returncode == 0, describe(fixed)
    again = pip_download(env, venv, tmp_path / "dl3", "publicpkg", "tinypkg")
    assert again.returncode == 0, describe(again)


def test_uv_adds_a_private_index_beside_pypi(index, pypi, pkg_env, tmp_path):
    env = dict(user_config_env(pkg_env), UV_DEFAULT_INDEX=pypi.simple_url)
    proc = setup(env, "uv", index)
    assert proc.returncode == 0, describe(proc)
    assert "serves no public packages" in proc.stderr and "added beside PyPI" in proc.stderr
    text = (Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml").read_text()
    assert "default = true" not in text and "index-url" not in text, text
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", venv], env=env, check=True, timeout=60)
    got = run_cmd(
        ["uv", "pip", "install", "--no-cache", "--python", venv / "bin" / "python",
         "publicpkg", "tinypkg"],
        env, timeout=180,
    )  # fmt: skip
    assert got.returncode == 0, describe(got)
    assert index.accepted() and any(s.path.startswith("/simple/publicpkg") for s in pypi.seen)


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_an_index_serving_public_packages_replaces_pypi(index, pkg_env, tmp_path, tool):
    index.add_file(build_wheel(tmp_path / "mirror", "pip", "99.0"))  # it mirrors PyPI
    env = user_config_env(pkg_env)
    proc = setup(env, tool, index)
    assert proc.returncode == 0, describe(proc)
    assert "serves public packages too (it serves 'pip'): it replaces PyPI" in proc.stderr
    name = "pip/pip.conf" if tool == "pip" else "uv/uv.toml"
    text = (Path(env["XDG_CONFIG_HOME"]) / name).read_text()
    assert re.search(r"^index-url = ", text, re.M), text
