"""`setup docker HOST...` and `setup pip|uv --index-url URL` add hosts not yet served to
the environment's `hosts` in config.toml, edited in place (tomlkit), saying so."""

from __future__ import annotations

import json
import subprocess

from support import base_url, config_path, describe, run_cmd, write_config


def helper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env)


def test_setup_docker_host_without_config_then_get_answers(aqora, user_env, login, tmp_path):
    """Origin: the user-study review of setup hosts (was tests/e2e/test_people_setup_hosts.py)."""
    login()
    url = base_url(aqora.url)
    assert not config_path(user_env).exists()
    proc = helper(user_env, "setup", "docker", "registry.example:5000")
    assert proc.returncode == 0, describe(proc)
    path = config_path(user_env)
    assert (
        f'config: added registry.example:5000 to hosts of [environments."{url}"] in {path}'
        in proc.stderr
    )
    host = url.split("://")[1].rstrip("/")
    assert f'hosts = ["{host}", "registry.example:5000"]' in path.read_text()
    docker = json.loads((tmp_path / "home" / ".docker" / "config.json").read_text())
    assert docker["credHelpers"] == {"registry.example:5000": "aqora"}
    get = run_cmd(["docker-credential-aqora", "get"], user_env, input="registry.example:5000")
    assert get.returncode == 0, describe(get)
    assert json.loads(get.stdout)["Secret"] in aqora.issued_tokens()
    again = helper(user_env, "setup", "docker", "registry.example:5000")
    assert again.returncode == 0 and "config: added" not in again.stderr


def test_setup_pip_adds_the_index_host_keeping_comments(aqora, user_env, login, tmp_path):
    """Origin: the user-study review of setup hosts (was tests/e2e/test_people_setup_hosts.py)."""
    login()
    original = (
        "# my settings\n"
        f'url = "{aqora.url}"   # the stand-in\n'
        "\n"
        f'[environments."{aqora.url}"]\n'
        "# who we are\n"
        'username = "aqora"\n'
    )
    path = write_config(user_env, original)
    pip_conf = tmp_path / "pip.conf"
    proc = helper(
        user_env,
        "setup",
        "pip",
        "--index-url",
        "https://pypi.example/simple/",
        "--replace",
        "--file",
        str(pip_conf),
    )
    assert proc.returncode == 0, describe(proc)
    assert "config: added pypi.example to hosts of" in proc.stderr
    text = path.read_text()
    host = aqora.url.split("://")[1]
    assert text.startswith(original), text  # every byte kept, the key appended in place
    assert f'hosts = ["{host}", "pypi.example"]' in text
    assert "is not a served host" not in proc.stderr
    status = json.loads(helper(user_env, "status", "--json", "--offline").stdout)
    hosts = {e["url"]: e["hosts"] for e in status["environments"]}[base_url(aqora.url)]
    assert hosts == [host, "pypi.example"]
    uv = helper(
        user_env,
        "setup",
        "uv",
        "--index-url",
        "https://pypi.example/simple/",
        "--replace",
        "--file",
        str(tmp_path / "uv.toml"),
    )
    assert uv.returncode == 0 and "config: added" not in uv.stderr, describe(uv)


def test_a_host_of_another_environment_is_refused_and_nothing_changes(aqora, user_env):
    """Origin: the user-study review of setup hosts (was tests/e2e/test_people_setup_hosts.py)."""
    original = (
        f'[environments."{aqora.url}"]\nhosts = ["{aqora.url.split("://")[1]}"]\n'
        '[environments."https://other.example"]\nhosts = ["registry.other.example"]\n'
    )
    path = write_config(user_env, original)
    proc = helper(user_env, "setup", "docker", "--url", aqora.url, "registry.other.example")
    assert proc.returncode == 1, describe(proc)
    assert "error: registry.other.example is already served by https://other.example/" in (
        proc.stderr
    )
    assert path.read_text() == original
    bad = helper(user_env, "setup", "docker", "https://x.example/path")
    assert bad.returncode == 1 and "Invalid host" in bad.stderr
    assert path.read_text() == original


def test_setup_warns_when_the_program_clients_run_is_not_on_path(user_env, tmp_path):
    """Origin: the user-study review of setup hosts (was tests/e2e/test_people_setup_hosts.py)."""
    from support import BIN_DIR

    bare = tmp_path / "bare-bin"
    bare.mkdir()
    (bare / "aqora-helper").symlink_to(f"{BIN_DIR}/aqora-helper")
    path = [str(bare), *(p for p in user_env["PATH"].split(":") if p != BIN_DIR)]
    env = dict(user_env, PATH=":".join(path))
    for args, program in (
        (["git"], "git-credential-aqora"),
        (["docker", "aqora.io"], "docker-credential-aqora"),
        (["pip", "--index-url", "https://aqora.io/simple/", "--replace"], "keyring"),
        (["uv", "--index-url", "https://aqora.io/simple/", "--replace"], "keyring"),
    ):
        proc = helper(env, "setup", *args)
        assert proc.returncode == 0, describe(proc)
        assert f"'{program}'" in proc.stderr and "PATH" in proc.stderr, describe(proc)
