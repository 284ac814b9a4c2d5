"""Every hint is something the user can do: the CLI is driven into as many distinct
user-facing failures as are cheap to reach, and each one exits as the exit codes in
docs/reference.md say, prints exactly `error: ...` / `hint: ...` on stderr (nothing on stdout, no
traceback), and its hint names a command, a flag, a file or a setting to change."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from support import (
    base_url,
    config_path,
    describe,
    login_args,
    make_cached_token_stale,
    run_cmd,
    write_config,
)

USAGE, FAILURE = 2, 1
# something to do: a quoted command, a --flag, a file path, an environment variable, a
# config key ('timeouts.x', [table]) or a plain instruction naming what to change
ACTIONABLE = re.compile(
    r"'(aqora-helper|aqora|git|docker|podman|gnome-keyring-daemon|timedatectl) [^']*'"
    r"|(?<![\w-])--[a-z][a-z-]+|(?<![\w.])/[\w.-]+/|\bAQORA_[A-Z_]+\b|'timeouts\.[a-z]+'"
)
DOCTOR_ONLY = re.compile(r"^hint: Run 'aqora-helper doctor'")


def helper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env)


def assert_two_lines(proc: subprocess.CompletedProcess[str], code: int, *expected: str) -> str:
    """The documented exit, `error:` then `hint:` on stderr and nothing else; the hint."""
    assert proc.returncode == code, describe(proc)
    assert proc.stdout == "", describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    lines = proc.stderr.rstrip("\n").split("\n")
    assert len(lines) == 2, describe(proc)
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), describe(proc)
    hint = lines[1]
    assert ACTIONABLE.search(hint), f"hint names nothing to do: {hint}\n{describe(proc)}"
    assert not DOCTOR_ONLY.match(hint), f"generic hint: {hint}\n{describe(proc)}"
    for text in expected:
        assert text in proc.stderr, describe(proc)
    return hint


# (id, argv, exit, text the error or hint must name, config.toml text or None)
OFFLINE_CASES = [
    ("bad-url", ["--url", "not-a-url", "status"], USAGE, "https://", None),
    ("http-non-loopback", ["token", "--url", "http://example.com"], FAILURE,
     "--allow-insecure-host", None),
    ("unknown-option", ["status", "--bogus"], USAGE, "aqora-helper status --help", None),
    ("unknown-command", ["nosuchcmd"], USAGE, "aqora-helper --help", None),
    ("bad-format", ["token", "--format", "yaml"], USAGE, "'plain', 'json', 'env', 'header'", None),
    ("bad-min-ttl", ["token", "--min-ttl", "9x"], USAGE, "'9x' is not a duration", None),
    ("too-long-min-ttl", ["token", "--min-ttl", "9d"], USAGE, "'9d' is longer than 7 days",
     None),
    ("interactive-no-username", ["login", "--interactive", "--url", "http://127.0.0.1:9"],
     FAILURE, "--username", None),
    ("bad-config-key", ["token"], FAILURE, "Remove or rename 'bogus'", "bogus = 1\n"),
    ("bad-config-value", ["token"], FAILURE, "refresh_skew", "refresh_skew = -5\n"),
    ("bad-environment-url", ["token"], FAILURE, "ftp://x", '[environments."ftp://x"]\n'),
    ("host-in-two-environments", ["token"], FAILURE, "remove 'h.example'",
     '[environments."https://a.example"]\nhosts = ["h.example"]\n'
     '[environments."https://b.example"]\nhosts = ["h.example"]\n'),
    ("setup-pip-no-index-url", ["setup", "pip"], USAGE, "--index-url", None),
    ("setup-uv-no-index-url", ["setup", "uv"], USAGE, "--index-url", None),
    ("setup-pip-file-in-missing-dir", ["setup", "pip", "--index-url",
     "https://aqora.io/simple/", "--file", "/nonexistent/dir/pip.conf"], USAGE,
     "/nonexistent/dir", None),
    ("setup-docker-bad-host", ["setup", "docker", "bad host!"], FAILURE, "registry.example.com",
     None),
    ("exec-no-command", ["exec"], USAGE, "aqora-helper exec", None),
    ("interactive-with-a-value", ["login", "--interactive", "true"], USAGE,
     "aqora-helper login --help", None),
    ("global-and-local", ["setup", "git", "--global", "--local"], USAGE, "exclusive", None),
    ("setup-pip-bad-index-url", ["setup", "pip", "--index-url", "ftp://x/simple/"], USAGE,
     "--index-url https://", None),
    ("setup-docker-unknown-environment", ["setup", "docker", "--url", "https://nowhere.example"],
     FAILURE, "aqora-helper status", None),
    ("config-not-toml", ["token"], FAILURE, "Fix the syntax", "url = \n"),
    ("config-bad-choice", ["token"], FAILURE, "'auto', 'bearer' or 'basic'",
     '[environments."https://aqora.io"]\ngit_auth = "x"\n'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "code", "text", "config"),
    [pytest.param(*case[1:], id=case[0]) for case in OFFLINE_CASES],
)
def test_input_failures(user_env, argv, code, text, config):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    if config is not None:
        write_config(user_env, config)
    assert_two_lines(helper(user_env, *argv), code, text)


def test_missing_config_file_named_by_env(user_env, tmp_path):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    missing = tmp_path / "nowhere" / "config.toml"
    proc = helper(dict(user_env, AQORA_HELPER_CONFIG=str(missing)), "status")
    assert_two_lines(proc, FAILURE, str(missing), "unset AQORA_HELPER_CONFIG")


def test_bad_aqora_url(user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = helper(dict(user_env, AQORA_URL="not-a-url"), "token")
    assert_two_lines(proc, USAGE, "AQORA_URL")


def test_bad_publish_url_changes_nothing(user_env, tmp_path):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    args = ["--index-url", "https://pypi.new.example/simple/", "--publish-url", "notaurl"]
    proc = helper(user_env, "setup", "uv", *args, "--file", str(tmp_path / "uv.toml"))
    assert_two_lines(proc, USAGE, "--publish-url https://")
    assert "Invalid publish URL 'notaurl'" in proc.stderr, describe(proc)
    assert not config_path(user_env).exists() and not (tmp_path / "uv.toml").exists()


def test_broken_docker_config(user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    docker = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    docker.parent.mkdir(parents=True)
    for text in ('{"credHelpers": {"a": "x", "a": "y"}}', '{"credHelpers": []}', "{"):
        docker.write_text(text)
        proc = helper(user_env, "setup", "docker", "registry.example")
        assert_two_lines(proc, FAILURE, str(docker))
        assert docker.read_text() == text  # bad input changes nothing
    for text in ('{"credsStore": "a", "credsStore": "b"}', '{"credsStore": 5}'):
        docker.write_text(text)
        proc = helper(user_env, "setup", "docker", "--creds-store")
        assert_two_lines(proc, FAILURE, str(docker))
        assert docker.read_text() == text
    assert not config_path(user_env).exists()


def test_not_logged_in(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    url = base_url(aqora.url)
    proc = helper(user_env, "token", "--url", aqora.url)
    assert_two_lines(proc, FAILURE, f"aqora-helper login --url {url}")


def test_not_logged_in_here_but_elsewhere(aqora, user_env, login):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    login()
    proc = helper(user_env, "token", "--url", "https://aqora.io")
    hint = assert_two_lines(proc, FAILURE, base_url(aqora.url))
    assert f"'aqora-helper token --url {base_url(aqora.url)}'" in hint


@pytest.mark.parametrize("mode", ["500", "hang"])
def test_server_failing_for_a_refresh(aqora, user_env, login, mode):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    write_config(user_env, "[timeouts]\nconnect = 1\nread = 2\n")
    login()
    make_cached_token_stale(user_env, aqora.url)
    aqora.set_fault(mode)
    proc = helper(user_env, "token", "--url", aqora.url)
    aqora.set_fault(None)
    assert_two_lines(proc, FAILURE, aqora.url.split("://")[1])


def test_wrong_password(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = run_cmd(login_args(aqora.url), user_env, input="wrong\n")
    assert_two_lines(proc, FAILURE, "Invalid username or password")


def test_no_password_on_stdin(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = run_cmd(login_args(aqora.url), user_env, input="")
    assert_two_lines(proc, FAILURE, "--password-stdin")


def test_session_revoked(aqora, user_env, login):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    login()
    make_cached_token_stale(user_env, aqora.url)
    aqora.set_fault("unauthorized")
    proc = helper(user_env, "token", "--url", aqora.url)
    aqora.set_fault(None)
    assert_two_lines(proc, FAILURE, f"'aqora-helper login --url {base_url(aqora.url)}'")


def test_keyring_unavailable(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    env = dict(user_env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = run_cmd(login_args(aqora.url), env, input="pw\n")
    assert_two_lines(proc, FAILURE, "--insecure-storage", "AQORA_TOKEN")


def test_exec_command_not_found(aqora, user_env, login):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    login()
    proc = helper(user_env, "exec", "--url", aqora.url, "--", "/nonexistent/cmd")
    assert proc.returncode == 127, describe(proc)
    assert "Traceback" not in proc.stderr


def test_logout_when_logged_out_is_harmless(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = helper(user_env, "logout", "--url", aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert "Traceback" not in proc.stderr and "error:" not in proc.stderr
    assert "nothing to remove" in proc.stderr, describe(proc)


def test_token_json_failure_is_two_lines_too(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = helper(user_env, "token", "--format", "json", "--url", aqora.url)
    assert_two_lines(proc, FAILURE, "aqora-helper login")  # no JSON on stdout


def test_exec_not_logged_in(aqora, user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = helper(user_env, "exec", "--url", aqora.url, "--", "true")
    assert_two_lines(proc, FAILURE, f"aqora-helper login --url {base_url(aqora.url)}")


def test_min_ttl_longer_than_tokens_live(aqora, user_env, login):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    login()
    proc = helper(user_env, "token", "--url", aqora.url, "--min-ttl", "7d")
    assert_two_lines(proc, FAILURE, "--min-ttl")


def test_login_server_down(user_env):
    """Origin: the user-study review of hints (was tests/e2e/test_people_hints.py)."""
    proc = helper(user_env, "login", "--url", "http://127.0.0.1:1", "--no-browser")
    assert_two_lines(proc, FAILURE, "--url")
