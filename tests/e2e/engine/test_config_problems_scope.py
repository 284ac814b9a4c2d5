"""A configuration problem is reported only for requests it concerns: with a missing
`AQORA_HELPER_CONFIG` file or a config file that does not load, a request for a host no
configuration could serve gets the plain "not served" answer (git: nothing; Docker: not
found; keyring: none; the Python API: the request goes out untouched) without the
problem on stderr; a host the broken file names (or aqora.io, the built-in default)
still gets the error with its hint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

import aqora_helper
from support import describe, run_cmd, use_env, write_config

BROKEN = 'url = "https://aqora.example"\n[environments."https://aqora.example"]\nhosts = ["registry.aqora.example", oops\n'
KEYRING_GET = (
    "import keyring, sys; c = keyring.get_credential(sys.argv[1], None); "
    "print('none' if c is None else 'found')"
)


@pytest.fixture(params=["missing AQORA_HELPER_CONFIG", "config file not TOML"])
def broken(request, user_env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], str]:
    """An environment whose config does not load; the host it concerns."""
    if request.param == "missing AQORA_HELPER_CONFIG":
        return dict(user_env, AQORA_HELPER_CONFIG=str(tmp_path / "no-such.toml")), "aqora.io"
    write_config(user_env, BROKEN)
    return user_env, "registry.aqora.example"


def git_get(env: dict[str, str], host: str):
    return run_cmd(["git-credential-aqora", "get"], env, input=f"protocol=https\nhost={host}\n\n")


def test_git_stays_silent_for_a_host_aqora_does_not_serve(broken) -> None:
    env, concerned = broken
    other = git_get(env, "github.com")
    assert (other.returncode, other.stdout, other.stderr) == (0, "", ""), describe(other)
    mine = git_get(env, concerned)
    assert mine.returncode == 1 and "aqora-helper:" in mine.stderr, describe(mine)
    assert "config" in mine.stderr.lower(), describe(mine)


def test_docker_answers_not_found_for_another_registry(broken) -> None:
    env, concerned = broken
    other = run_cmd(["docker-credential-aqora", "get"], env, input="ghcr.io")
    assert other.returncode == 1, describe(other)
    assert other.stdout.strip() == "credentials not found in native keychain", describe(other)
    assert other.stderr == "", describe(other)
    mine = run_cmd(["docker-credential-aqora", "get"], env, input=concerned)
    assert mine.returncode == 1 and "config" in (mine.stdout + mine.stderr).lower(), describe(mine)


def test_keyring_lookups_for_another_index_stay_silent(broken) -> None:
    env, _ = broken
    proc = run_cmd([sys.executable, "-c", KEYRING_GET, "https://pypi.org/simple/"], env)
    assert proc.returncode == 0 and proc.stdout.strip() == "none", describe(proc)
    assert proc.stderr == "", describe(proc)


def test_the_python_api_lets_other_requests_go_out_untouched(broken, monkeypatch) -> None:
    env, concerned = broken
    use_env(monkeypatch, env)
    auth = aqora_helper.AqoraAuth()
    prepared = requests.Request("GET", "https://example.org/x", auth=auth).prepare()
    assert "Authorization" not in prepared.headers
    with pytest.raises(aqora_helper.AqoraHelperError) as raised:
        requests.Request("GET", f"https://{concerned}/x", auth=auth).prepare()
    assert "config" in str(raised.value).lower() or "config" in (raised.value.hint or "").lower()


def test_a_host_of_the_last_good_configuration_still_hears_of_the_problem(
    user_env, warm, tmp_path
) -> None:
    """Served (and indexed) until the config file went away: its requests get the error."""
    env = dict(user_env, AQORA_HELPER_CONFIG=str(tmp_path / "moved-away.toml"))
    proc = run_cmd(["git-credential-aqora", "get"], env, input=f"protocol=http\nhost={warm}\n\n")
    assert proc.returncode == 1 and "AQORA_HELPER_CONFIG" in proc.stderr, describe(proc)
    other = git_get(env, "github.com")
    assert (other.returncode, other.stdout, other.stderr) == (0, "", ""), describe(other)
