"""The four setups report alike: a preview before writing (`will change FILE:` and each
change), then `wrote:` / `removed:` / `unchanged:`; `--dry-run` writes nothing; `--url`
picks the environment; `--remove` deletes the empty folders setup created, and only
those; a password in a URL shown is masked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import config_path, describe, run_cmd, write_config

INDEX = "https://pypi.aqora.example/simple/"
TWO_ENVIRONMENTS = (
    'url = "https://aqora.example"\n'
    '[environments."https://aqora.example"]\n'
    'hosts = ["aqora.example", "pypi.aqora.example"]\nusername = "bob"\n'
    '[environments."https://staging.example"]\n'
    'hosts = ["staging.example", "registry.staging.example"]\nusername = "alice"\n'
)


def client_env(user_env: dict[str, str]) -> dict[str, str]:
    """A user whose pip, uv and docker read their default user config files."""
    drop = ("PIP_CONFIG_FILE", "UV_NO_CONFIG", "DOCKER_CONFIG")
    return {k: v for k, v in user_env.items() if k not in drop}


def setup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = run_cmd(["aqora-helper", "setup", *args], env)
    assert proc.returncode == 0, describe(proc)
    return proc


def files(home: Path) -> dict[str, bytes | None]:
    """Every file and folder under `home` but the caches (a folder maps to None)."""
    return {
        str(p.relative_to(home)): None if p.is_dir() else p.read_bytes()
        for p in sorted(home.rglob("*"))
        if ".cache" not in p.parts
    }


SETUPS = {
    "git": (["git"], ".gitconfig"),
    "docker": (["docker"], ".docker/config.json"),
    "pip": (["pip", "--index-url", INDEX, "--replace"], ".config/pip/pip.conf"),
    "uv": (["uv", "--index-url", INDEX, "--replace"], ".config/uv/uv.toml"),
}


@pytest.mark.parametrize("tool", list(SETUPS))
def test_preview_then_the_same_words_in_all_four(tool, user_env):
    """Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py)."""
    write_config(user_env, TWO_ENVIRONMENTS)
    env = client_env(user_env)
    home = Path(env["HOME"])
    args, name = SETUPS[tool]
    path = home / name

    first = setup(env, *args)
    lines = first.stdout.splitlines()
    header = lines.index(f"will change {path} (a new file):")
    assert lines[header + 1].startswith("  "), describe(first)  # the changes, indented
    assert lines.index(f"wrote: {path}") > header + 1
    assert path.exists()

    again = setup(env, *args)
    assert f"unchanged: {path} (" in again.stdout and "will change" not in again.stdout

    removed = setup(env, tool, "--remove")
    assert f"removed: {path} (" in removed.stdout, describe(removed)
    assert not path.exists()
    nothing = setup(env, tool, "--remove")
    assert f"unchanged: {path} (" in nothing.stdout, describe(nothing)


@pytest.mark.parametrize("tool", list(SETUPS))
def test_dry_run_shows_the_changes_and_writes_nothing(tool, user_env):
    """Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py)."""
    env = client_env(user_env)
    home = Path(env["HOME"])
    args, name = SETUPS[tool]
    if tool == "docker":
        args = [*args, "registry.new.example"]  # a new host: the config would change too
    before = files(home)

    proc = setup(env, *args, "--dry-run")
    assert f"would change {home / name}" in proc.stdout, describe(proc)
    assert f"dry run: {home / name} not written" in proc.stdout
    assert files(home) == before  # not the client's file, not config.toml, no folder
    if tool in ("docker", "pip", "uv"):
        assert "config: would add" in proc.stderr, describe(proc)

    setup(env, *args)
    written = files(home)
    proc = setup(env, tool, "--remove", "--dry-run")
    assert "would change" in proc.stdout and "not written" in proc.stdout, describe(proc)
    assert files(home) == written


@pytest.mark.parametrize("tool", ["pip", "uv", "docker"])
def test_remove_deletes_only_the_empty_folders_setup_created(tool, user_env):
    """Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py)."""
    env = client_env(user_env)
    home = Path(env["HOME"])
    write_config(user_env, TWO_ENVIRONMENTS)  # ~/.config exists before setup
    args, name = SETUPS[tool]
    folder = (home / name).parent
    assert not folder.exists()

    setup(env, *args)
    assert folder.is_dir()
    setup(env, tool, "--remove")
    assert not folder.exists()
    assert (home / ".config").is_dir()  # existed before: kept

    setup(env, *args)
    mine = folder / "mine.txt"
    mine.write_text("the user's\n")  # the folder is not empty any more
    setup(env, tool, "--remove")
    assert not (home / name).exists() and mine.read_text() == "the user's\n"

    mine.unlink()  # a folder that existed before setup is never removed
    setup(env, *args)
    setup(env, tool, "--remove")
    assert folder.is_dir()


def test_remove_deletes_every_folder_it_created_up_the_tree(user_env):
    """Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py)."""
    env = client_env(user_env)
    home = Path(env["HOME"])
    env["XDG_CONFIG_HOME"] = str(home / "deep" / "config")  # neither folder exists
    proc = setup(env, "uv", "--index-url", "https://aqora.io/simple/", "--replace")  # served
    assert "[created,dirs=3]" in (home / "deep" / "config" / "uv" / "uv.toml").read_text()
    assert f"create the folder {home / 'deep'}" in proc.stdout
    setup(env, "uv", "--remove")
    assert not (home / "deep").exists()


def test_url_picks_the_environment_in_all_four(user_env):
    """Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py)."""
    path = write_config(user_env, TWO_ENVIRONMENTS)
    env = client_env(user_env)
    home = Path(env["HOME"])
    staging = ["--url", "https://staging.example"]

    git = setup(env, "git", *staging)
    assert "credential.https://staging.example.helper" in git.stdout
    assert "aqora.example" not in git.stdout
    docker = setup(env, "docker", *staging)
    assert "credHelpers['staging.example']" in docker.stdout
    assert "aqora.example" not in docker.stdout
    pip = setup(
        env, "pip", "--index-url", "https://pypi.staging.example/simple/", "--replace", *staging
    )
    assert "index-url = https://alice@pypi.staging.example/simple/" in pip.stdout, describe(pip)
    assert "pypi.staging.example" in path.read_text()
    uv = setup(
        env, "uv", "--index-url", "https://pypi.staging.example/simple/", "--replace", *staging
    )
    assert "config: added" not in uv.stderr  # served by staging now
    assert (home / ".config" / "uv" / "uv.toml").exists()
    refused = run_cmd(["aqora-helper", "setup", "uv", "--index-url", INDEX, *staging], env)
    assert refused.returncode == 1 and "already served by https://aqora.example/" in (
        refused.stderr
    )


def test_a_password_in_a_url_shown_is_masked(user_env):
    """Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py)."""
    write_config(user_env, TWO_ENVIRONMENTS)
    env = client_env(user_env)
    pip_conf = Path(env["HOME"]) / ".config" / "pip" / "pip.conf"
    pip_conf.parent.mkdir(parents=True)
    pip_conf.write_text("[global]\nindex-url = https://me:s3cret@mirror.example/simple/\n")
    proc = setup(env, "pip", "--index-url", INDEX, "--replace")
    assert "s3cret" not in proc.stdout + proc.stderr, describe(proc)
    assert "https://me:***@mirror.example/simple/" in proc.stdout
    removed = setup(env, "pip", "--remove")
    assert "s3cret" not in removed.stdout + removed.stderr
    assert pip_conf.read_text().endswith("index-url = https://me:s3cret@mirror.example/simple/\n")


def test_config_toml_folder_is_not_the_clients(user_env):
    """`setup` adding a host creates aqora-helper's own config.toml (kept by --remove).

    Origin: the user-study review of setup's report (was tests/e2e/test_people_setup_report.py).
    """
    env = client_env(user_env)
    setup(env, "docker", "registry.new.example")
    assert config_path(user_env).exists()
    setup(env, "docker", "--remove")
    assert "registry.new.example" in config_path(user_env).read_text()
