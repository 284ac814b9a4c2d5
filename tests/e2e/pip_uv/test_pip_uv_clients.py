"""Real pip, uv, twine and poetry against a local PEP 503 index that accepts only access
tokens currently valid at the aqora stand-in (tests/servers/index_server.py).

No credential is in any URL or config file: the index answers 401, the client asks
keyring, and our backend (through the `keyring` program or imported) answers with the
token. This machine's pip configuration is neutralised (`PIP_CONFIG_FILE=/dev/null`, no
`PIP_FIND_LINKS`; `XDG_CONFIG_DIRS` pointed at an empty folder where a test reads the
user's own config file), and every package is installed into a fresh venv.

- pip, import mode: pip runs from the test venv, where aqora-helper and keyring are
  installed (like a user who installed aqora-helper into the environment pip runs
  from), installing into a fresh venv with `--prefix`.
- pip, subprocess mode: pip runs inside a fresh venv that has no keyring at all
  (`pip --python`), and finds the test venv's `keyring` program on PATH.
- pip (the fresh venv's bundled pip) and uv configured by `aqora-helper setup pip|uv`
  in the user's config files.
After the token goes stale (the stand-in rejects it and its expiry has passed), the next
install refreshes it transparently, once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from servers.index_server import IndexServer, build_wheel
from shared.pip_index import (
    USERNAME,
    assert_authenticated_by_keyring,
    fresh_venv,
    imported_version,
    make_stale,
    setup,
    user_config_env,
    uv_configured,
)
from support import BIN_DIR, client, describe, run_cmd


# --- the installers -------------------------------------------------------------------
def pip_import(env: dict[str, str], index: IndexServer, venv: Path, spec: str) -> None:
    proc = run_cmd(
        [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-input",
         "--disable-pip-version-check", "--keyring-provider", "import",
         "--index-url", index.simple_url, "--prefix", venv, spec],
        env, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)


def pip_subprocess(env: dict[str, str], index: IndexServer, venv: Path, spec: str) -> None:
    proc = run_cmd(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-v",
         "--no-cache-dir", "--no-input", "--disable-pip-version-check",
         "--keyring-provider", "subprocess", "--index-url", index.simple_url, spec],
        env, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    assert f"subprocess with executable {BIN_DIR}/keyring" in proc.stdout, describe(proc)


def pip_configured(env: dict[str, str], index: IndexServer, venv: Path, *args: str) -> None:
    proc = run_cmd(
        [venv / "bin" / "python", "-m", "pip", "install", "--no-cache-dir", "--no-input",
         "--disable-pip-version-check", *args],
        user_config_env(env), timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    # the index comes from the user's pip.conf (pip shows the URL's username as ****)
    assert f"Looking in indexes: http://****@127.0.0.1:{index.port}/simple/" in proc.stdout, (
        describe(proc)
    )


# --- pip and uv -----------------------------------------------------------------------
def test_pip_import_mode_installs_and_refreshes(aqora, index, pkg_env, tmp_path):
    pip_import(pkg_env, index, fresh_venv(tmp_path / "v1"), "tinypkg")
    assert imported_version(tmp_path / "v1", pkg_env) == "0.1"
    assert_authenticated_by_keyring(index)

    before = make_stale(aqora, pkg_env)
    index.clear_seen()
    pip_import(pkg_env, index, fresh_venv(tmp_path / "v2"), "tinypkg")
    assert imported_version(tmp_path / "v2", pkg_env) == "0.1"
    assert aqora.refresh_calls == before + 1
    assert_authenticated_by_keyring(index)


def test_pip_subprocess_mode_installs_and_refreshes(aqora, index, pkg_env, tmp_path):
    venv = fresh_venv(tmp_path / "v1")
    no_keyring = run_cmd([venv / "bin" / "python", "-c", "import keyring"], pkg_env)
    assert no_keyring.returncode != 0  # pip's own environment has no keyring at all
    pip_subprocess(pkg_env, index, venv, "tinypkg")
    assert imported_version(venv, pkg_env) == "0.1"
    assert_authenticated_by_keyring(index)

    before = make_stale(aqora, pkg_env)
    index.clear_seen()
    pip_subprocess(pkg_env, index, fresh_venv(tmp_path / "v2"), "tinypkg")
    assert imported_version(tmp_path / "v2", pkg_env) == "0.1"
    assert aqora.refresh_calls == before + 1
    assert_authenticated_by_keyring(index)


def test_pip_configured_by_setup_pip(aqora, index, pkg_env, tmp_path):
    """The fresh venv's own (bundled, possibly older) pip, configured only by
    `aqora-helper setup pip` in the user's pip.conf (subprocess mode, username in URL)."""
    setup("pip", user_config_env(pkg_env), index)
    conf = Path(pkg_env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    text = conf.read_text()
    assert "keyring-provider = subprocess" in text
    assert not any(aqora.is_valid_access_token(w) for w in text.split())
    venv = fresh_venv(tmp_path / "v1", with_pip=True)
    pip_configured(pkg_env, index, venv, "tinypkg")
    assert imported_version(venv, pkg_env) == "0.1"
    assert_authenticated_by_keyring(index)

    before = make_stale(aqora, pkg_env)
    index.clear_seen()
    pip_configured(pkg_env, index, venv, "--force-reinstall", "tinypkg")
    assert imported_version(venv, pkg_env) == "0.1"
    assert aqora.refresh_calls == before + 1
    assert_authenticated_by_keyring(index)


def test_uv_configured_by_setup_uv_installs_and_refreshes(aqora, index, pkg_env, tmp_path):
    setup("uv", user_config_env(pkg_env), index)
    venv = fresh_venv(tmp_path / "v1")
    uv_configured(pkg_env, index, venv, "tinypkg")
    assert imported_version(venv, pkg_env) == "0.1"
    assert_authenticated_by_keyring(index, after_401=False)

    before = make_stale(aqora, pkg_env)
    index.clear_seen()
    uv_configured(pkg_env, index, fresh_venv(tmp_path / "v2"), "tinypkg")
    assert imported_version(tmp_path / "v2", pkg_env) == "0.1"
    assert aqora.refresh_calls == before + 1
    assert_authenticated_by_keyring(index, after_401=False)


# --- twine ----------------------------------------------------------------------------
def test_twine_upload_authenticates_through_the_backend(aqora, index, pkg_env, tmp_path):
    wheel = build_wheel(tmp_path / "dist", "tinypkg", "0.2")
    proc = run_cmd(
        ["twine", "upload", "--non-interactive", "--disable-progress-bar",
         "--repository-url", index.upload_url, wheel],
        pkg_env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    posts = [s for s in index.accepted() if s.method == "POST"]
    assert [s.username for s in posts] == [USERNAME], index.seen
    assert index.uploads and index.uploads[0]["name"] == "tinypkg"
    # the upload is installable
    pip_import(pkg_env, index, fresh_venv(tmp_path / "v"), "tinypkg==0.2")
    assert imported_version(tmp_path / "v", pkg_env) == "0.2"


# --- poetry ---------------------------------------------------------------------------
@pytest.fixture
def poetry_bin() -> Path:
    """The pinned poetry of `.venv-clients/keyring` (built by tests/run, aqora-helper
    installed next to it, as `poetry self add` would)."""
    return client("keyring", "poetry")


def test_poetry_install_authenticates_through_the_backend(
    aqora, index, pkg_env, tmp_path, poetry_bin
):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["tinypkg"]\n\n'
        "[tool.poetry]\npackage-mode = false\n\n"
        f'[[tool.poetry.source]]\nname = "aqora"\nurl = "{index.simple_url}"\n'
        'priority = "primary"\n'
    )
    env = dict(
        pkg_env,
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_CACHE_DIR=str(tmp_path / "poetry-cache"),
        POETRY_CONFIG_DIR=str(tmp_path / "poetry-config"),
        POETRY_DATA_DIR=str(tmp_path / "poetry-data"),
    )
    proc = run_cmd([poetry_bin, "install", "--no-interaction"], env, cwd=project, timeout=300)
    assert proc.returncode == 0, describe(proc)
    assert imported_version(project / ".venv", env) == "0.1"
    assert any(s.username == USERNAME for s in index.accepted()), index.seen
    lock = (project / "poetry.lock").read_text()
    assert not any(aqora.is_valid_access_token(w.strip('"')) for w in lock.split())
