"""Everything the server sends is untrusted (issue #11, classes 3, 8 and 9).

3. Tokens the server issues are checked against RFC 6750's token syntax before they are
   stored, cached or printed: a token holding shell or header syntax never runs a command
   under `eval` in real bash nor adds a header in real curl; the `env` format is quoted.
   A refresh answer with a bad access token still stores the rotated refresh token.
8. Every API call has a total deadline (a server dripping one byte every interval, or a
   host name resolving to many black-holed addresses, cannot hold the helper or its
   refresh lock), a size cap (a 50 MB or gzip-bomb answer costs no memory), and
   `expiresIn` is range-checked without losing the rotated refresh token.
9. Server text that echoes a secret is redacted (and stripped of control characters)
   wherever it is shown: stderr, docker's stdout, `status --json`, the debug log.

Origins: tests/e2e/test_sec_server.py; issue #11 loose ends
(tests/e2e/test_sec_followups.py); red team of the fixes (tests/e2e/test_redteam.py).
"""

from __future__ import annotations

import calendar
import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aqora_helper.engine.settings import Timeouts
from aqora_helper.fast.errors import AqoraHelperError
from servers.aqora import AqoraServer
from shared.official_cli import (
    FAKE_AQORA,
    OTHER,
    PAST,
    credentials_path,
    entry,
    official_login,
    write_credentials,
)
from support import (
    TRACEBACK_MARKERS,
    assert_clean_failure,
    assert_two_line_error,
    describe,
    keyring_secret,
    login_args,
    make_cached_token_stale,
    own_refresh_token,
    run_cmd,
    stored_refresh_token,
    token_cache_file,
    write_config,
)

MAX_EXPIRES_IN = 7 * 24 * 3600  # the helper's documented upper bound for expiresIn


def helper(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env, input=stdin)


def bash(env: dict[str, str], script: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["bash", "-c", script], env)


@pytest.fixture
def logged_in(aqora: AqoraServer, user_env: dict[str, str], login) -> dict[str, str]:
    """alice logged in, `aqora` the default environment, the cached token stale (so the
    next call refreshes)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    return user_env


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    seen: list[list[tuple[str, str]]]

    def do_GET(self) -> None:
        self.seen.append(list(self.headers.items()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[tuple[str, list[list[tuple[str, str]]]]]:
    """A local HTTP server recording the headers of every request: (url, seen)."""
    seen: list[list[tuple[str, str]]] = []
    handler = type("Handler", (_EchoHandler,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------- class 3

EVIL = (
    "$(touch {mark})x{id}",
    "`touch {mark}`x{id}",
    "x{id};touch {mark}",
    "x{id}\ntouch {mark}",
    "x{id}\r\nX-Injected: yes",
    'x{id}" ; touch {mark}; "',
    "x{id}'$(touch {mark})'",
    "x{id}\u00e9\u202e",
    "x{id}" + "a" * 5000,
    "=x{id}",
)


def evil(template: str, mark: Path) -> str:
    return template.replace("{mark}", str(mark))


@pytest.mark.parametrize("kind", ["access", "refresh"])
@pytest.mark.parametrize("template", EVIL)
def test_refreshed_token_with_shell_or_header_syntax_runs_nothing(
    aqora, logged_in, tmp_path, echo_server, kind, template
):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    env = logged_in
    stored = stored_refresh_token(env, aqora.url)
    mark = tmp_path / "pwned"
    aqora.set_token_text(**{kind: evil(template, mark)})

    ran = bash(env, 'eval "$(aqora-helper token --format env)"; echo "token=$AQORA_TOKEN"')
    assert not mark.exists(), describe(ran)
    assert "Unexpected answer from" in ran.stderr, describe(ran)
    assert not any(marker in ran.stderr for marker in TRACEBACK_MARKERS), describe(ran)
    # The refused answer changed nothing we hold, but for the rotated refresh token that
    # came with a refused access token (the server rotated: dropping it loses the session).
    if kind == "refresh":
        assert stored_refresh_token(env, aqora.url) == stored
    else:
        assert stored_refresh_token(env, aqora.url) in aqora.valid_refresh_tokens() - {stored}
    assert json.loads(token_cache_file(env, aqora.url).read_text())["expires_at"] == 1_000_000

    url, seen = echo_server
    header_file = tmp_path / "header"
    made = bash(env, f"aqora-helper token --format header > {header_file}")
    assert made.returncode == 1, describe(made)
    curl = bash(env, f'curl -sf -H @{header_file} {url} && curl -sf -H "$(cat {header_file})" {url}')
    assert curl.returncode == 0, describe(curl)
    for headers in seen:
        assert [n for n, _ in headers if n.lower() not in ("host", "user-agent", "accept")] == []
    assert not mark.exists()


@pytest.mark.parametrize("kind", ["access", "refresh", "web"])
def test_login_refuses_a_token_with_shell_syntax(aqora, user_env, tmp_path, kind):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    mark = tmp_path / "pwned"
    aqora.set_token_text(**{kind: f"$(touch {mark})x{{id}}"})
    proc = run_cmd(login_args(aqora.url), user_env, input="pw\n")
    assert_clean_failure(proc, "Unexpected answer from")
    assert keyring_secret(user_env, aqora.url) is None
    assert not token_cache_file(user_env, aqora.url).exists()
    assert not mark.exists()


def test_official_cli_token_with_shell_syntax_runs_nothing(aqora, user_env, tmp_path):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    bin_dir = tmp_path / "aqora-bin"
    bin_dir.mkdir()
    program = bin_dir / "aqora"
    program.write_text(FAKE_AQORA.format(python=sys.executable, log=str(tmp_path / "log")))
    program.chmod(0o755)
    mark = tmp_path / "pwned"
    env = {
        **user_env,
        "PATH": f"{bin_dir}{os.pathsep}{user_env['PATH']}",
        "FAKE_AQORA_TOKEN": f"$(touch${{IFS}}{mark})x",  # no whitespace, still a command
    }
    write_config(env, f'url = "{aqora.url}"\n')
    ran = bash(env, 'eval "$(aqora-helper token --format env)"')
    assert not mark.exists(), describe(ran)
    assert "error: " in ran.stderr, describe(ran)


def test_official_credentials_file_token_with_shell_syntax_runs_nothing(aqora, user_env, tmp_path):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    issued = official_login(aqora)
    mark = tmp_path / "pwned"
    bad = dict(entry(issued, "2099-01-01T00:00:00Z"), access_token=f"$(touch {mark})x")
    write_credentials(credentials_path(user_env), aqora.url, bad)
    write_config(user_env, f'url = "{aqora.url}"\n')
    ran = bash(user_env, 'eval "$(aqora-helper token --format env)"')
    assert not mark.exists(), describe(ran)
    assert "error: " in ran.stderr, describe(ran)


def test_official_credentials_refresh_refuses_a_bad_token(aqora, user_env, tmp_path):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, PAST))
    before = path.read_bytes()
    mark = tmp_path / "pwned"
    aqora.set_token_text(access=f"$(touch {mark})x{{id}}")
    write_config(user_env, f'url = "{aqora.url}"\n')
    ran = bash(user_env, 'eval "$(aqora-helper token --format env)"')
    assert not mark.exists(), describe(ran)
    assert "Unexpected answer from" in ran.stderr, describe(ran)
    # Only the rotated refresh token was written back (the server rotated).
    rotated = json.loads(path.read_text())
    kept = json.loads(before)
    mine = rotated["credentials"][aqora.url + "/"]
    assert mine["refresh_token"] in aqora.valid_refresh_tokens() - {issued.refresh_token}
    kept["credentials"][aqora.url + "/"]["refresh_token"] = mine["refresh_token"]
    assert rotated == kept


# A valid RFC 6750 token using every allowed punctuation mark, starting with `~/` (which
# bash expands to $HOME in an unquoted assignment).
ODD_BUT_VALID = "~/{id}.A-Z_a~z+0/9=="


def test_every_format_carries_an_odd_valid_token_exactly(aqora, logged_in, tmp_path, echo_server):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    env = logged_in
    aqora.set_token_text(access=ODD_BUT_VALID)
    url, seen = echo_server
    header_file = tmp_path / "header"
    for path in ("refresh", "cache"):  # the engine, then the fast path
        issued: set[str] = set()

        def fresh() -> None:
            if path == "refresh":
                make_cached_token_stale(env, aqora.url)

        def valid(token: str) -> str:
            assert token.startswith("~/") and aqora.is_valid_access_token(token), token
            issued.add(token)
            return token

        fresh()
        plain = helper(env, "token")
        assert plain.returncode == 0 and plain.stdout.endswith("\n"), describe(plain)
        valid(plain.stdout[:-1])

        fresh()
        as_json = helper(env, "token", "--format", "json")
        assert as_json.returncode == 0, describe(as_json)
        valid(json.loads(as_json.stdout)["access_token"])

        fresh()
        ran = bash(env, 'eval "$(aqora-helper token --format env)" && printf %s "$AQORA_TOKEN"')
        assert ran.returncode == 0, describe(ran)
        valid(ran.stdout)

        seen.clear()
        fresh()
        made = bash(env, f"aqora-helper token --format header > {header_file}")
        assert made.returncode == 0, describe(made)
        curl = bash(env, f"curl -sf -H @{header_file} {url}")
        assert curl.returncode == 0, describe(curl)
        fresh()
        curl = bash(env, f'curl -sf -H "$(aqora-helper token --format header)" {url}')
        assert curl.returncode == 0, describe(curl)
        assert len(seen) == 2
        for headers in seen:
            extra = [(n, v) for n, v in headers if n.lower() not in ("host", "user-agent", "accept")]
            assert len(extra) == 1 and extra[0][0] == "Authorization", extra
            scheme, _, token = extra[0][1].partition(" ")
            assert scheme == "Bearer"
            valid(token)
        assert len(issued) == (1 if path == "cache" else 5)


# ---------------------------------------------------------------------------- class 8


@pytest.mark.serial  # timing-sensitive: runs alone
def test_a_dripping_answer_is_cut_at_the_total_deadline(aqora, logged_in):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    env = logged_in
    write_config(env, f'url = "{aqora.url}"\n[timeouts]\nconnect = 1\nread = 2\n')
    aqora.drip_interval = 0.5  # a ~300 byte answer takes minutes; every read is quick
    aqora.set_fault("drip", ops={"oauth2Refresh"})
    for _ in range(2):  # the second call is not stuck behind the first one's lock
        try:
            proc = run_cmd(["aqora-helper", "token"], env, timeout=40)
        except subprocess.TimeoutExpired:
            pytest.fail("a dripping server held aqora-helper past any deadline")
        assert_clean_failure(proc, "Cannot reach", "no complete answer within 3 s")
    assert aqora.refresh_calls == 2
    assert aqora.drips_done == 0


def run_measured(args: list[str], env: dict[str, str]) -> tuple[int, str, int]:
    """(exit code, stderr, peak RSS in KiB) of a command, from its own rusage."""
    child = subprocess.Popen(
        args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    stderr = child.stderr.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, stderr, usage.ru_maxrss


@pytest.mark.parametrize("mode", ["huge", "huge-declared", "huge-gzip"])
def test_a_huge_answer_is_refused_without_reading_it(aqora, logged_in, mode):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    env = logged_in
    aqora.set_fault("500", ops={"oauth2Refresh"})
    code, _, baseline = run_measured(["aqora-helper", "token"], env)
    assert code == 1
    aqora.huge_bytes = 50 * 1024 * 1024
    aqora.set_fault(mode, ops={"oauth2Refresh"})
    code, stderr, peak = run_measured(["aqora-helper", "token"], env)
    assert code == 1, stderr
    assert stderr.startswith("error: Unexpected answer from"), stderr
    assert "1 MiB" in stderr or "gzip" in stderr, stderr
    assert peak < baseline + 20 * 1024, (peak, baseline)
    assert aqora.huge_sent < 16 * 1024 * 1024
    # The refused answer changed nothing: the session still refreshes.
    aqora.set_fault(None)
    proc = helper(env, "token")
    assert proc.returncode == 0 and aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)


EXPIRES_IN = ("1e30", "1e400", "-1e400", "-5", "0", '"3600"', "null", "NaN", "1" + "0" * 5000, "3600.5")


def _epoch(rfc3339: str) -> int:
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


@pytest.mark.parametrize("literal", EXPIRES_IN, ids=lambda v: v[:12])
def test_a_bad_expires_in_keeps_the_rotated_session(aqora, logged_in, literal):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    env = logged_in
    aqora.set_expires_in_literal(literal)
    before = time.time()
    proc = helper(env, "token", "--format", "json")
    assert proc.returncode == 0, describe(proc)
    answer = json.loads(proc.stdout)
    assert aqora.is_valid_access_token(answer["access_token"])
    assert before - 1 <= _epoch(answer["expires_at"]) <= time.time() + MAX_EXPIRES_IN
    # The rotated refresh token was kept (the server already revoked the old one).
    assert stored_refresh_token(env, aqora.url) in aqora.valid_refresh_tokens()

    status = helper(env, "status", "--json")
    assert status.returncode == 0, describe(status)
    report = json.loads(status.stdout)["environments"][0]
    assert report["logged_in"] and report["account"] == "alice", describe(status)

    aqora.set_expires_in_literal(None)
    make_cached_token_stale(env, aqora.url)
    again = helper(env, "token")
    assert again.returncode == 0 and aqora.is_valid_access_token(again.stdout.strip())
    assert aqora.reuse_detected == 0


def test_a_bad_expires_in_at_login_still_stores_the_session(aqora, user_env):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    aqora.set_expires_in_literal("1e400")
    proc = run_cmd(login_args(aqora.url), user_env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()
    status = helper(user_env, "token", "--format", "json")
    assert status.returncode == 0, describe(status)
    assert _epoch(json.loads(status.stdout)["expires_at"]) <= time.time() + MAX_EXPIRES_IN


def test_a_bad_expires_in_keeps_the_official_session(aqora, user_env):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, PAST))
    aqora.set_expires_in_literal("1e30")
    proc = run_cmd(["aqora-helper", "token", "--url", aqora.url], user_env)
    assert proc.returncode == 0, describe(proc)
    written = json.loads(path.read_text())["credentials"][aqora.url + "/"]
    assert written["refresh_token"] in aqora.valid_refresh_tokens()
    assert written["access_token"] == proc.stdout.strip()


# ---------------------------------------------------------------------------- class 9


def leaks(text: str, secrets: set[str]) -> list[str]:
    """Secrets (or any 12-character piece of one) found in `text`."""
    found = []
    for secret in secrets:
        pieces = {secret[i : i + 12] for i in range(max(1, len(secret) - 11))}
        if any(piece in text for piece in pieces):
            found.append(secret[:8] + "…")
    return found


CONTROL = ("\x1b", "\r", "\x07")


def test_secrets_echoed_by_the_server_are_never_shown(aqora, logged_in, tmp_path):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    env = logged_in
    log_file = tmp_path / "debug.log"
    debug = dict(env, AQORA_HELPER_LOG="debug", AQORA_HELPER_LOG_FILE=str(log_file))
    stored = stored_refresh_token(env, aqora.url)
    aqora.set_fault("echo-secrets", ops={"oauth2Refresh"})
    host = aqora.url.split("://", 1)[1]

    token = helper(debug, "token")
    assert_clean_failure(token, "Unexpected answer from", "<redacted")
    docker = run_cmd(["docker-credential-aqora", "get"], env, input=host)
    assert docker.returncode == 1 and "Unexpected answer" in docker.stdout, describe(docker)
    status = helper(env, "status", "--json")
    error = json.loads(status.stdout)["environments"][0]["error"]
    assert "got invalid value" in error["message"], describe(status)
    stderr_log = helper(dict(env, AQORA_HELPER_LOG="debug"), "token")

    shown = {
        "token stderr": token.stderr,
        "docker stdout+stderr": docker.stdout + docker.stderr,
        "status --json": status.stdout + status.stderr,
        "debug log file": log_file.read_text(),
        "debug log on stderr": stderr_log.stderr,
    }
    secrets = aqora.issued_tokens() | {stored}
    for where, text in shown.items():
        assert leaks(text, secrets) == [], f"{where}: {text}"
        assert not any(c in text for c in CONTROL), f"{where}: {text!r}"
    # the session is stored and the server answers garbage: logged in, no token, exit 1
    reported = json.loads(status.stdout)["environments"][0]
    assert status.returncode == 1 and reported["token_fingerprint"] is None, describe(status)
    assert stored_refresh_token(env, aqora.url) == stored


@pytest.mark.parametrize("op", ["loginUser", "oauth2Authorize", "oauth2Token"])
def test_login_secrets_echoed_by_the_server_are_never_shown(aqora, user_env, tmp_path, op):
    """Origin: issue #11, classes 3, 8 and 9 (was tests/e2e/test_sec_server.py)."""
    password = "correct-horse-battery-staple"
    aqora.add_user("bob", password)
    log_file = tmp_path / "debug.log"
    env = dict(user_env, AQORA_HELPER_LOG="debug", AQORA_HELPER_LOG_FILE=str(log_file))
    aqora.set_fault("echo-secrets", ops={op})
    args = [a if a != "alice" else "bob" for a in login_args(aqora.url)]
    proc = run_cmd(args, env, input=password + "\n")
    assert_clean_failure(proc)
    secrets = aqora.issued_tokens() | {password}
    for text in (proc.stderr, log_file.read_text()):
        assert leaks(text, secrets) == [], text
        assert not any(c in text for c in CONTROL), repr(text)


# --------------------------------------------------------------------------------------
# Class 8 variant: the total deadline only watches sockets once they are connected
# (`_watched` runs after `_new_conn` returns), so the connect phase is bounded per
# address, not in total. Whoever answers DNS for the API host (a spoofer, a hostile
# resolver) returns many black-holed addresses: each costs a full connect timeout while
# the helper holds the refresh lock (defaults: 5 s each, against a 20 s total). Here a
# loopback listener with a full backlog black-holes SYNs; getaddrinfo returns it 5 times.


@pytest.fixture
def black_hole() -> Iterator[int]:
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    port = hole.getsockname()[1]
    fillers = []
    for _ in range(3):  # fill the accept queue: later SYNs are dropped, connect() hangs
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.2)
    yield port
    for filler in fillers:
        filler.close()
    hole.close()


@pytest.mark.serial  # timing-sensitive: runs alone
def test_api_call_total_deadline_covers_connecting_to_many_addresses(
    black_hole: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from aqora_helper.engine.api import Api

    real = socket.getaddrinfo

    def many(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "api.black-hole.test":
            return real("127.0.0.1", black_hole, socket.AF_INET, socket.SOCK_STREAM) * 5
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", many)
    api = Api(f"https://api.black-hole.test:{black_hole}/", Timeouts(connect=1, read=1))
    started = time.monotonic()
    with pytest.raises(AqoraHelperError):
        api.refresh("localhost-test", None, "aqrt_probe_0123456789abcdef")
    elapsed = time.monotonic() - started
    assert elapsed < api.total + 1.5, f"took {elapsed:.1f} s against a {api.total:g} s bound"


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
    assert_two_line_error(helper(user_env, "token"), "Unexpected answer from")
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
