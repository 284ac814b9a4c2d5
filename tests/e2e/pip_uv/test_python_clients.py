"""Every Python packaging client of the client matrix (docs/clients.md) against the token-checking
index (tests/servers/index_server.py: simple pages, and the legacy upload API that twine,
`uv publish`, `hatch publish` and `poetry publish` use), each configured the way the
docs say, with the index confirming that a currently valid token was presented.

The clients come from `.venv-clients/` (built by tests/run): `keyring/` holds hatch,
poetry and twine with aqora-helper installed next to them (they import keyring);
`plain/` holds pdm, pipenv, pipx and pre-commit, which have no keyring and use the
`keyring` program on PATH (ours, from the test venv). uv is the test venv's. Every
client's caches and config go under the test's temporary HOME.
"""

from __future__ import annotations

import os
from pathlib import Path

from servers.index_server import IndexServer, build_wheel
from shared.pip_index import (
    USERNAME,
    assert_authenticated_by_keyring,
    imported_version,
    setup,
    user_config_env,
)
from support import BIN_DIR, client, describe, run_cmd


def env_for(base: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The user's own config files are read; uv's caches stay in the test's HOME."""
    env = user_config_env(base)
    env["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_TOOL_DIR"] = str(tmp_path / "uv-tools")
    env["UV_TOOL_BIN_DIR"] = str(tmp_path / "uv-tool-bin")
    return env


def ok(proc):  # type: ignore[no-untyped-def]
    assert proc.returncode == 0, describe(proc)
    return proc


def project(path: Path, *deps: str) -> Path:
    path.mkdir()
    (path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        f"dependencies = {list(deps)!r}\n".replace("'", '"')
    )
    return path


def uploaded(srv: IndexServer, name: str) -> None:
    posts = [s for s in srv.accepted() if s.method == "POST"]
    assert posts and {s.username for s in posts} <= {USERNAME}, srv.seen
    assert any(u.get("name") == name for u in srv.uploads), srv.uploads


# --- uv ---------------------------------------------------------------------------------
def test_uv_project_commands_tool_and_publish_with_setup_uv(index, pkg_env, tmp_path):
    env = env_for(pkg_env, tmp_path)
    setup("uv", env, index, "--publish-url", index.upload_url)
    proj = project(tmp_path / "proj")
    ok(run_cmd(["uv", "add", "--no-cache", "tinypkg"], env, cwd=proj, timeout=180))
    ok(run_cmd(["uv", "sync", "--no-cache", "--reinstall"], env, cwd=proj, timeout=180))
    assert imported_version(proj / ".venv", env) == "0.1"
    assert "@" not in (proj / "uv.lock").read_text().split("[[package]]", 1)[1].split("\n")[3]
    assert_authenticated_by_keyring(index, after_401=False)

    # `uv tool install --index-url OTHER` uses OTHER, not the index setup wrote
    with IndexServer(lambda t: t == "other-token") as other:
        other.add_file(build_wheel(tmp_path / "w2", "tinypkg", "0.9"))
        index.clear_seen()
        proc = run_cmd(
            ["uv", "tool", "install", "--no-cache",
             "--index-url", f"http://u:other-token@{other.hostport}/simple/", "tinypkg"],
            env, timeout=180,
        )  # fmt: skip
        assert any(s.accepted for s in other.seen), describe(proc)
        assert not index.seen, index.seen

    wheel = build_wheel(tmp_path / "dist", "uvpub", "1.0")
    ok(run_cmd(["uv", "publish", "--no-cache", str(wheel)], env, timeout=180))
    uploaded(index, "uvpub")


# --- twine, hatch, poetry (keyring imported, aqora-helper installed next to them) --------
def test_twine_upload(index, pkg_env, tmp_path):
    wheel = build_wheel(tmp_path / "dist", "twinepub", "1.0")
    ok(run_cmd(
        [client("keyring", "twine"), "upload", "--non-interactive", "--disable-progress-bar",
         "--repository-url", index.upload_url, wheel],
        pkg_env, timeout=180,
    ))  # fmt: skip
    uploaded(index, "twinepub")


def test_hatch_publish_with_username(index, pkg_env, tmp_path):
    wheel = build_wheel(tmp_path / "dist", "hatchpub", "1.0")
    env = dict(pkg_env, HATCH_DATA_DIR=str(tmp_path / "hatch-data"),
               HATCH_CACHE_DIR=str(tmp_path / "hatch-cache"))  # fmt: skip
    ok(run_cmd(
        [client("keyring", "hatch"), "publish", "--no-prompt", "-u", USERNAME,
         "-r", index.upload_url, str(wheel)],
        env, timeout=180,
    ))  # fmt: skip
    uploaded(index, "hatchpub")


def test_poetry_install_and_publish(aqora, index, pkg_env, tmp_path):
    poetry = client("keyring", "poetry")
    proj = project(tmp_path / "proj", "tinypkg")
    with (proj / "pyproject.toml").open("a") as f:
        f.write(
            '\n[tool.poetry]\npackages = [{include = "demo"}]\n\n'
            f'[[tool.poetry.source]]\nname = "aqora"\nurl = "{index.simple_url}"\n'
            'priority = "primary"\n\n'
            '[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n'
        )
    (proj / "demo").mkdir()
    (proj / "demo" / "__init__.py").write_text("")
    env = dict(
        pkg_env,
        POETRY_VIRTUALENVS_IN_PROJECT="true",
        POETRY_CACHE_DIR=str(tmp_path / "poetry-cache"),
        POETRY_CONFIG_DIR=str(tmp_path / "poetry-config"),
        POETRY_DATA_DIR=str(tmp_path / "poetry-data"),
    )
    ok(run_cmd([poetry, "install", "--no-interaction", "--no-root"], env, cwd=proj, timeout=300))
    assert imported_version(proj / ".venv", env) == "0.1"
    ok(run_cmd([poetry, "config", "repositories.aqora", index.upload_url], env, cwd=proj))
    ok(run_cmd([poetry, "publish", "--build", "-r", "aqora", "--no-interaction"],
               env, cwd=proj, timeout=300))  # fmt: skip
    uploaded(index, "demo")


# --- pdm, pipenv, pipx (the `keyring` program on PATH) ------------------------------------
def plain_env(base: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = env_for(base, tmp_path)
    assert os.path.exists(os.path.join(BIN_DIR, "keyring"))  # ours, first on PATH
    return env


def test_pdm_install(index, pkg_env, tmp_path):
    env = dict(plain_env(pkg_env, tmp_path), PDM_HOME=str(tmp_path / "pdm-home"),
               PDM_CACHE_DIR=str(tmp_path / "pdm-cache"), PDM_CHECK_UPDATE="false")  # fmt: skip
    proj = project(tmp_path / "proj", "tinypkg")
    with (proj / "pyproject.toml").open("a") as f:
        f.write(
            f'\n[[tool.pdm.source]]\nname = "aqora"\nurl = "http://{USERNAME}@{index.hostport}/simple/"\n'
        )
    ok(run_cmd([client("plain", "pdm"), "install", "--no-self"], env, cwd=proj, timeout=300))
    assert imported_version(proj / ".venv", env) == "0.1"
    assert any(s.username == USERNAME for s in index.accepted()), index.seen
    assert USERNAME + "@" not in (proj / "pdm.lock").read_text()


def test_pipenv_install_with_subprocess_keyring(index, pkg_env, tmp_path):
    env = dict(plain_env(pkg_env, tmp_path), PIPENV_KEYRING_PROVIDER="subprocess",
               PIPENV_VENV_IN_PROJECT="1", PIPENV_CACHE_DIR=str(tmp_path / "pipenv-cache"),
               PIPENV_NOSPIN="1", PIPENV_YES="1")  # fmt: skip
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Pipfile").write_text(
        f'[[source]]\nname = "aqora"\nurl = "http://{USERNAME}@{index.hostport}/simple/"\n'
        'verify_ssl = false\n\n[packages]\ntinypkg = "*"\n'
    )
    ok(run_cmd([client("plain", "pipenv"), "install"], env, cwd=proj, timeout=300))
    assert imported_version(proj / ".venv", env) == "0.1"
    assert any(s.username == USERNAME for s in index.accepted()), index.seen


def test_pipx_install_with_setup_pip_and_uv(index, pkg_env, tmp_path):
    env = dict(plain_env(pkg_env, tmp_path), PIPX_HOME=str(tmp_path / "pipx-home"),
               PIPX_BIN_DIR=str(tmp_path / "pipx-bin"))  # fmt: skip
    setup("pip", env, index)  # pipx's own pip, when no uv is on PATH
    setup("uv", env, index)  # pipx hands the install to uv when uv is on PATH (here)
    proc = run_cmd(
        [client("plain", "pipx"), "install", "--index-url",
         f"http://{USERNAME}@{index.hostport}/simple/", "tinypkg"],
        env, timeout=300,
    )  # fmt: skip
    # tinypkg has no console script: pipx installs it, then refuses the app-less package
    assert any(s.username == USERNAME and "/files/" in s.path for s in index.accepted()), describe(
        proc
    )
