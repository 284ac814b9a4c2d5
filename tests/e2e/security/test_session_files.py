"""Issue #11 loose ends, played with the real programs:

1. A refresh answer whose access token is invalid but whose rotated refresh token is
   valid: the rotated token is stored (own session, official CLI's credentials.json),
   then the two-line error; the next call works without a new login or reuse.
2. Insecure and recovery session files hold their environment URL and serve no other
   environment; legacy files without one only under an unambiguous name; one that
   others can read is made 0600 and reported, never lost.
3. Any unusable refresh lock path is the standard two-line error on every entry point.
4. credentials.json that is a FIFO or a directory: a clear error, never a hang.
5. Ctrl-C during a refresh: the message does not claim that nothing changed.
6. Docker clients with TLS verification off for a served non-loopback registry (skopeo
   `--tls-verify=false`, registries.conf `insecure = true`, daemon.json
   `insecure-registries`) get no token: they would send it over plain http.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from shared.official_cli import (
    OTHER,
    PAST,
    credentials_path,
    entry,
    official_login,
    write_credentials,
)
from shared.tls_off_registry import needs_outside, tokens_sent
from support import (
    TRACEBACK_MARKERS,
    assert_clean_failure,
    clear_keyring_session,
    describe,
    keyring_secret,
    make_cached_token_stale,
    run_cmd,
    stored_refresh_token,
    token_cache_file,
    write_config,
)

Proc = subprocess.CompletedProcess[str]


def helper(env: dict[str, str], *args: str, timeout: float = 60) -> Proc:
    return run_cmd(["aqora-helper", *args], env, timeout=timeout)


def bash(env: dict[str, str], script: str) -> Proc:
    return run_cmd(["bash", "-c", script], env)


def data_root(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "aqora-helper"


def session_file(env: dict[str, str], url: str, kind: str = "insecure") -> Path:
    """The insecure or recovery file of `url` (same name as its token cache file)."""
    return data_root(env) / kind / (token_cache_file(env, url).stem + ".json")


def own_refresh_token(env: dict[str, str], url: str, storage: str) -> str | None:
    if storage == "keyring":
        return stored_refresh_token(env, url)
    return str(json.loads(session_file(env, url).read_text())["refresh_token"])


def two_line_error(proc: Proc, *expected: str) -> None:
    assert_clean_failure(proc, *expected)
    assert len(proc.stderr.splitlines()) == 2, describe(proc)


@pytest.fixture
def second_aqora(user_env: dict[str, str]) -> Iterator[AqoraServer]:
    server = AqoraServer().start()
    clear_keyring_session(user_env, server.url)
    try:
        yield server
    finally:
        server.stop()


# --- 1. persist the rotated refresh token, then refuse the access token --------------


@pytest.mark.parametrize("storage", ["keyring", "insecure"])
def test_a_bad_access_token_still_stores_the_rotated_session(
    aqora, user_env, login, tmp_path, storage
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login(*(["--insecure-storage"] if storage == "insecure" else []))
    make_cached_token_stale(user_env, aqora.url)
    before = own_refresh_token(user_env, aqora.url, storage)
    mark = tmp_path / "pwned"
    aqora.set_token_text(access=f"$(touch {mark})x{{id}}")

    ran = bash(user_env, 'eval "$(aqora-helper token --format env)"')
    assert not mark.exists(), describe(ran)
    assert ran.stderr.startswith("error: Unexpected answer from"), describe(ran)
    assert "access token" in ran.stderr and len(ran.stderr.splitlines()) == 2, describe(ran)
    bad = [t for t in aqora.issued_tokens() if str(mark) in t]
    assert len(bad) == 1 and bad[0] not in ran.stderr
    cache = token_cache_file(user_env, aqora.url).read_text()
    assert bad[0] not in cache and json.loads(cache)["expires_at"] == 1_000_000
    rotated = own_refresh_token(user_env, aqora.url, storage)
    assert rotated != before and rotated in aqora.valid_refresh_tokens()

    aqora.set_token_text()  # the server is fixed
    later = helper(user_env, "token")
    assert later.returncode == 0 and aqora.is_valid_access_token(later.stdout.strip())
    assert aqora.refresh_calls == 2 and aqora.reuse_detected == 0
    assert aqora.op_counts["loginUser"] == 1  # no new login


def test_a_bad_refresh_token_is_refused_whole(aqora, user_env, login, tmp_path):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    before = stored_refresh_token(user_env, aqora.url)
    aqora.set_token_text(access="$(id)x{id}", refresh="$(id)y{id}")
    two_line_error(helper(user_env, "token"), "Unexpected answer from")
    assert stored_refresh_token(user_env, aqora.url) == before  # nothing could be kept


def test_official_cli_refresh_with_a_bad_access_token_keeps_the_rotated_token(
    aqora, user_env, tmp_path
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, PAST))
    write_config(user_env, f'url = "{aqora.url}"\n')
    mark = tmp_path / "pwned"
    aqora.set_token_text(access=f"$(touch {mark})x{{id}}")

    ran = bash(user_env, 'eval "$(aqora-helper token --format env)"')
    assert not mark.exists(), describe(ran)
    assert ran.stderr.startswith("error: Unexpected answer from"), describe(ran)
    assert len(ran.stderr.splitlines()) == 2, describe(ran)
    written = json.loads(path.read_text())["credentials"]
    mine = written[aqora.url + "/"]
    assert mine["refresh_token"] != issued.refresh_token
    assert mine["refresh_token"] in aqora.valid_refresh_tokens()
    assert (mine["access_token"], mine["expires_at"]) == (issued.access_token, PAST)
    assert written["https://aqora.io/"] == OTHER
    assert str(mark) not in path.read_text()
    assert keyring_secret(user_env, aqora.url) is None  # never copied into our storage

    aqora.set_token_text()
    later = helper(user_env, "token")
    assert later.returncode == 0 and aqora.is_valid_access_token(later.stdout.strip())
    assert json.loads(path.read_text())["credentials"][aqora.url + "/"]["access_token"] == (
        later.stdout.strip()
    )
    assert aqora.reuse_detected == 0


# --- 2. session files hold their URL -----------------------------------------------------


def test_insecure_and_recovery_files_name_their_environment(aqora, user_env, login, tmp_path):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    body = json.loads(session_file(user_env, aqora.url).read_text())
    assert body["url"] == aqora.url + "/"
    assert body["refresh_token"] in aqora.valid_refresh_tokens()


@pytest.mark.parametrize("kind", ["insecure", "recovery"])
def test_a_session_file_of_another_environment_is_never_used(
    aqora, second_aqora, user_env, login, kind
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    theirs = session_file(user_env, aqora.url)
    planted = session_file(user_env, second_aqora.url, kind)
    planted.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    planted.write_bytes(theirs.read_bytes())
    planted.chmod(0o600)

    proc = helper(user_env, "token", "--url", second_aqora.url)
    two_line_error(proc, f"Not logged in to {second_aqora.url}/")
    assert second_aqora.refresh_calls == 0  # the other environment's token never went there
    assert keyring_secret(user_env, second_aqora.url) is None
    assert planted.read_bytes() == theirs.read_bytes()  # ignored, not destroyed


@pytest.mark.parametrize("kind", ["insecure", "recovery"])
def test_a_legacy_file_under_an_ambiguous_name_is_ignored(aqora, user_env, login, kind):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    path = session_file(user_env, aqora.url)
    body = json.loads(path.read_text())
    del body["url"]  # as an earlier version wrote it
    path.unlink()
    legacy = session_file(user_env, aqora.url, kind)
    legacy.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    legacy.write_text(json.dumps(body))
    legacy.chmod(0o600)
    make_cached_token_stale(user_env, aqora.url)
    # `http_127.0.0.1_PORT` was also an earlier version's name for `http://127.0.0.1_PORT/`
    two_line_error(helper(user_env, "token", "--url", aqora.url), "Not logged in")
    assert aqora.refresh_calls == 0
    assert legacy.exists()


def test_an_exposed_insecure_session_file_is_tightened_and_reported_once(
    aqora, user_env, login
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login("--insecure-storage")
    path = session_file(user_env, aqora.url)
    path.chmod(0o644)
    make_cached_token_stale(user_env, aqora.url)
    proc = helper(user_env, "token")
    assert proc.returncode == 0 and aqora.is_valid_access_token(proc.stdout.strip())
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, describe(proc)
    assert lines[0].startswith("aqora-helper: warning: ") and str(path) in lines[0]
    assert "mode 644" in lines[0] and "now 0600" in lines[0]
    assert lines[1].startswith("aqora-helper: hint: ")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert own_refresh_token(user_env, aqora.url, "insecure") in aqora.valid_refresh_tokens()
    make_cached_token_stale(user_env, aqora.url)
    again = helper(user_env, "token")
    assert again.returncode == 0 and again.stderr == "", describe(again)


def test_a_fifo_as_the_insecure_session_file_never_blocks(aqora, user_env, login):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    path = session_file(user_env, aqora.url)
    path.unlink()
    os.mkfifo(path, 0o600)
    make_cached_token_stale(user_env, aqora.url)
    two_line_error(helper(user_env, "token", "--url", aqora.url, timeout=30), "not a regular")


# --- 3. the refresh lock on every entry point -----------------------------------------


def lock_file(env: dict[str, str], url: str) -> Path:
    root = Path(env["XDG_CACHE_HOME"]) / "aqora-helper"
    return root / "locks" / (token_cache_file(env, url).stem + ".lock")


@pytest.mark.parametrize("problem", ["directory", "dangling symlink"])
def test_a_broken_lock_path_is_two_lines_without_the_fast_path(aqora, user_env, login, problem):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    path = lock_file(user_env, aqora.url)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    if problem == "directory":
        path.mkdir()
    else:
        path.symlink_to(path.parent / "nowhere")
    index = Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper" / "hosts.json"
    host = aqora.url.split("://", 1)[1]
    for argv, stdin in (
        (["aqora-helper", "token"], None),
        (["aqora-helper", "logout"], None),
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n\n"),
    ):
        index.unlink(missing_ok=True)  # no current index: the engine takes the lock itself
        proc = run_cmd(argv, user_env, input=stdin)
        text = proc.stdout + proc.stderr
        assert not any(marker in text for marker in TRACEBACK_MARKERS), describe(proc)
        assert "internal error" not in text and str(path) in proc.stderr, describe(proc)
        if argv[0] == "aqora-helper":
            two_line_error(proc, "Refusing to use")
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()


# --- 4. the official CLI's credentials.json never blocks --------------------------------


@pytest.mark.parametrize("planted", ["fifo", "directory"])
def test_a_credentials_json_that_is_not_a_file_is_a_clear_error(aqora, user_env, planted):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    path = credentials_path(user_env)
    path.parent.mkdir(parents=True)
    if planted == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.mkdir()
    proc = helper(user_env, "token", timeout=30)  # a hang raises here
    two_line_error(proc, "credentials file", "not a regular file")
    status = helper(user_env, "status", timeout=30)
    assert not any(marker in status.stderr for marker in TRACEBACK_MARKERS), describe(status)


# --- 5. Ctrl-C during a refresh -------------------------------------------------------


@pytest.mark.serial  # timing-sensitive: runs alone
def test_ctrl_c_during_a_refresh_says_the_session_is_safe(aqora, user_env, login):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    before = stored_refresh_token(user_env, aqora.url)
    victims: list[subprocess.Popen[str]] = []
    aqora.refresh_hook = lambda: victims[0].send_signal(signal.SIGINT)  # server has rotated
    victims.append(
        subprocess.Popen(
            ["aqora-helper", "token"],
            env=user_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    out, err = victims[0].communicate(timeout=60)
    aqora.refresh_hook = None
    assert victims[0].returncode == 130 and out == "", err
    assert err.splitlines()[0] == "error: interrupted", err
    assert "nothing was changed" not in err and "session is safe" in err, err
    rotated = stored_refresh_token(user_env, aqora.url)
    assert rotated != before and rotated in aqora.valid_refresh_tokens()
    later = helper(user_env, "token")
    assert later.returncode == 0 and aqora.reuse_detected == 0, describe(later)


# --- 6. no token for a registry reached without TLS verification -------------------------


@needs_outside
@pytest.mark.parametrize("insecure_by", ["--tls-verify=false", "registries.conf", "flag file"])
def test_skopeo_without_tls_verification_gets_no_token(
    aqora, served_outside, plain_registry, tmp_path, insecure_by
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    env, hostport = served_outside
    _, seen = plain_registry
    conf = f'[[registry]]\nlocation = "{hostport}"\ninsecure = true\n'
    global_options: list[str] = []
    inspect_options: list[str] = []
    if insecure_by == "--tls-verify=false":
        inspect_options = ["--tls-verify=false"]
    elif insecure_by == "registries.conf":
        user_conf = Path(env["XDG_CONFIG_HOME"]) / "containers" / "registries.conf"
        user_conf.parent.mkdir(parents=True, exist_ok=True)  # setup wrote a drop-in there
        user_conf.write_text(conf)
    else:
        (tmp_path / "registries.conf").write_text(conf)
        global_options = ["--registries-conf", str(tmp_path / "registries.conf")]
    ref = f"docker://{hostport}/demo/app:1"
    argv = ["skopeo", *global_options, "inspect", "--raw", *inspect_options, ref]
    proc = run_cmd(argv, env, timeout=120)
    assert proc.returncode != 0, describe(proc)
    assert tokens_sent(seen, aqora) == [], describe(proc)
    assert "without TLS verification" in proc.stderr, describe(proc)


@needs_outside
def test_skopeo_with_tls_verification_still_gets_the_token(aqora, served_outside, plain_registry):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    env, hostport = served_outside
    _, seen = plain_registry
    proc = run_cmd(["skopeo", "inspect", "--raw", f"docker://{hostport}/demo/app:1"], env)
    assert proc.returncode != 0 and "tls" in proc.stderr.lower(), describe(proc)
    assert "without TLS verification" not in proc.stderr, describe(proc)
    assert tokens_sent(seen, aqora) == []  # https only: the plain-http server got nothing
    get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert get.returncode == 0, describe(get)
    assert aqora.is_valid_access_token(json.loads(get.stdout)["Secret"])


@needs_outside
@pytest.mark.parametrize("entry_text", ["{hostport}", "{host}", "{net}"])
def test_docker_insecure_registries_get_no_token(aqora, served_outside, entry_text):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    env, hostport = served_outside
    host = hostport.rsplit(":", 1)[0]
    listed = entry_text.format(hostport=hostport, host=host, net=host + "/24")
    daemon = Path(env["XDG_CONFIG_HOME"]) / "docker" / "daemon.json"  # rootless Docker's
    daemon.parent.mkdir(parents=True, exist_ok=True)
    daemon.write_text(json.dumps({"insecure-registries": [listed]}))
    get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert get.returncode == 1 and "without TLS verification" in get.stdout, describe(get)
    assert str(daemon) in get.stdout
    assert not any(t in get.stdout + get.stderr for t in aqora.issued_tokens())
    daemon.write_text(json.dumps({"insecure-registries": ["other.example:5000", "10.0.0.0/8"]}))
    again = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert again.returncode == 0, describe(again)
