"""The browser login end to end against the stand-in; the test plays the browser."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from support import (
    TRACEBACK_MARKERS,
    clear_keyring_session,
    keyring_secret,
    stored_refresh_token,
    token_cache_file,
    write_config,
)


@pytest.fixture(autouse=True)
def _no_leftover_session(aqora, user_env):
    clear_keyring_session(user_env, aqora.url)


BROWSER_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")


class Login:
    """`aqora-helper login` running in the background, its stderr read line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(a) for a in args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for_line(self, needle: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if needle in line:
                return line
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} in {self.seen}")

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        assert self.proc.stdout is not None
        stdout = self.proc.stdout.read()
        self.reader.join(timeout=5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, stdout, "".join(self.seen)


@pytest.fixture
def headless_env(user_env: dict[str, str]) -> dict[str, str]:
    """A user environment with no graphical session and no BROWSER."""
    return {k: v for k, v in user_env.items() if k not in BROWSER_VARS}


def start_login(aqora, env: dict[str, str], *extra: str) -> Login:
    return Login(["aqora-helper", "login", "--url", aqora.url, *extra], env)


def assert_nothing_stored(aqora, user_env: dict[str, str]) -> None:
    assert keyring_secret(user_env, aqora.url) is None
    assert not token_cache_file(user_env, aqora.url).exists()
    data = Path(user_env["XDG_DATA_HOME"]) / "aqora-helper"
    assert not (data / "insecure").exists() or not any((data / "insecure").iterdir())
    sessions = data / "sessions.json"
    assert not sessions.exists() or aqora.url not in sessions.read_text()
    assert aqora.valid_refresh_tokens() == set()


def assert_clean_exit(code: int, stderr: str, expected_code: int = 1) -> None:
    assert code == expected_code, stderr
    assert not any(marker in stderr for marker in TRACEBACK_MARKERS), stderr
    assert "error: " in stderr and "hint: " in stderr, stderr


def wait_until(predicate, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_login_stores_the_session_and_prints_the_url_with_no_browser(aqora, headless_env, run):
    login = start_login(aqora, headless_env, "--no-browser")
    auth_url = aqora.wait_for_authorization()
    login.wait_for_line(auth_url)  # printed at once, before the approval
    aqora.approve(auth_url)
    code, stdout, stderr = login.finish()
    assert code == 0, stderr
    assert stdout == ""
    assert f"Logged in to {aqora.url}/" in stderr and "OS keyring" in stderr

    parts = urlsplit(auth_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == aqora.url + "/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == f"localhost-{socket.gethostname()}"
    assert len(query["state"]) == 22  # 16 bytes, base64url without padding
    assert query["redirect_uri"].startswith(aqora.url + "/oauth2/sub/")
    assert len(query["redirect_uri"].rsplit("/", 1)[1]) == 43  # 32-byte Ed25519 key

    refresh = stored_refresh_token(headless_env, aqora.url)
    assert refresh in aqora.valid_refresh_tokens()
    token = run(["aqora-helper", "token", "--url", aqora.url], headless_env)
    assert token.returncode == 0, token.stderr
    assert aqora.user_for_access_token(token.stdout.strip()) == "alice"
    assert aqora.refresh_calls == 0
    for secret in (refresh, token.stdout.strip()):
        assert secret not in stderr


def test_headless_prints_the_url_at_once_without_opening_anything(aqora, headless_env):
    login = start_login(aqora, headless_env)
    auth_url = aqora.wait_for_authorization()
    login.wait_for_line(auth_url, timeout=4)  # well before the 5 s of a real browser
    aqora.approve(auth_url)
    code, _, stderr = login.finish()
    assert code == 0, stderr
    assert "Opening the browser" not in stderr


def test_the_browser_is_opened_and_approves(aqora, headless_env, tmp_path):
    seen = tmp_path / "browser-url"
    browser = tmp_path / "fake-browser"
    browser.write_text(
        f"#!{sys.executable}\n"
        "import sys, time, urllib.error, urllib.request\n"
        f"open({str(seen)!r}, 'w').write(sys.argv[1])\n"
        "opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
        "for _ in range(200):\n"
        "    request = urllib.request.Request(sys.argv[1], headers={'X-Test-User': 'alice'})\n"
        "    try:\n"
        "        opener.open(request, timeout=5)\n"
        "        break\n"
        "    except urllib.error.HTTPError as exc:\n"
        "        if exc.code != 404:\n"
        "            raise\n"
        "        time.sleep(0.05)\n"
    )
    browser.chmod(0o755)
    env = {**headless_env, "BROWSER": str(browser)}
    code, _, stderr = start_login(aqora, env).finish()
    assert code == 0, stderr
    assert "Opening the browser" in stderr
    assert seen.read_text().startswith(aqora.url + "/oauth2/authorize?")
    assert "If the browser did not open" not in stderr  # approved well within 5 s
    assert stored_refresh_token(env, aqora.url) in aqora.valid_refresh_tokens()


def fake_browser(tmp_path: Path, exit_code: int) -> Path:
    """A browser that opens nothing and exits with `exit_code`."""
    browser = tmp_path / "silent-browser"
    browser.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    browser.chmod(0o755)
    return browser


@pytest.mark.parametrize(("exit_code", "at_most"), [(1, 4.0), (0, 9.0)])
@pytest.mark.serial  # timing-sensitive: runs alone
def test_the_url_is_printed_when_the_browser_fails_or_after_5_s(
    aqora, headless_env, tmp_path, exit_code, at_most
):
    env = {**headless_env, "BROWSER": str(fake_browser(tmp_path, exit_code))}
    started = time.monotonic()
    login = start_login(aqora, env)
    auth_url = aqora.wait_for_authorization()
    login.wait_for_line("If the browser did not open", timeout=at_most + 5)
    login.wait_for_line(auth_url, timeout=2)
    elapsed = time.monotonic() - started
    assert elapsed < at_most
    if exit_code == 0:
        assert elapsed >= 5.0  # a browser that seems to work gets 5 s first
    aqora.approve(auth_url)
    code, _, stderr = login.finish()
    assert code == 0, stderr


def test_a_bad_signature_is_refused_and_nothing_is_stored(aqora, headless_env):
    # The helper signs with a key other than the one in the redirect URI.
    script = (
        "import sys\n"
        "from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey\n"
        "import aqora_helper.engine.browser_login as flow\n"
        "flow.sign = lambda key, data: Ed25519PrivateKey.generate().sign(data)\n"
        "from aqora_helper.cli.app import run\n"
        "sys.exit(run(sys.argv[1:]))\n"
    )
    login = Login(
        [sys.executable, "-c", script, "login", "--no-browser", "--url", aqora.url], headless_env
    )
    code, _, stderr = login.finish()
    assert_clean_exit(code, stderr)
    assert "refused the browser login: Invalid signature" in stderr
    assert aqora.pending_authorizations() == []
    assert_nothing_stored(aqora, headless_env)


def test_a_denied_login_ends_cleanly(aqora, headless_env):
    login = start_login(aqora, headless_env, "--no-browser")
    aqora.deny(aqora.wait_for_authorization(), "The user said no")
    code, _, stderr = login.finish()
    assert_clean_exit(code, stderr)
    assert "refused the browser login: The user said no" in stderr
    assert_nothing_stored(aqora, headless_env)


@pytest.mark.serial  # timing-sensitive: runs alone
def test_the_wait_is_bounded_by_timeouts_login(aqora, headless_env):
    write_config(headless_env, "[timeouts]\nlogin = 2\n")
    started = time.monotonic()
    login = start_login(aqora, headless_env, "--no-browser")
    auth_url = aqora.wait_for_authorization()
    code, _, stderr = login.finish()
    assert time.monotonic() - started < 15
    assert_clean_exit(code, stderr)
    assert "not approved within 2 s" in stderr
    assert "timeouts.login" in stderr
    wait_until(lambda: aqora.pending_authorizations() == [])
    with pytest.raises(KeyError):
        aqora.approve(auth_url)
    assert_nothing_stored(aqora, headless_env)


@pytest.mark.serial  # timing-sensitive: runs alone
def test_ctrl_c_while_waiting_leaves_nothing(aqora, headless_env):
    login = start_login(aqora, headless_env, "--no-browser")
    auth_url = aqora.wait_for_authorization()
    login.wait_for_line("Waiting up to")
    login.proc.send_signal(signal.SIGINT)
    code, _, stderr = login.finish()
    assert code == 130, stderr
    assert "Login cancelled: nothing was stored." in stderr
    assert not any(marker in stderr for marker in TRACEBACK_MARKERS), stderr
    wait_until(lambda: aqora.pending_authorizations() == [])
    with pytest.raises(KeyError):
        aqora.approve(auth_url)
    assert_nothing_stored(aqora, headless_env)


def test_no_keyring_fails_before_anything_is_opened(aqora, headless_env):
    env = {k: v for k, v in headless_env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    code, _, stderr = start_login(aqora, env, "--no-browser").finish()
    assert_clean_exit(code, stderr)
    assert "keyring" in stderr.lower()
    assert "oauth2/authorize" not in stderr
    assert aqora.pending_authorizations() == []


def test_insecure_storage_with_the_browser_flow(aqora, headless_env):
    login = start_login(aqora, headless_env, "--no-browser", "--insecure-storage")
    aqora.approve(aqora.wait_for_authorization())
    code, _, stderr = login.finish()
    assert code == 0, stderr
    files = list((Path(headless_env["XDG_DATA_HOME"]) / "aqora-helper" / "insecure").iterdir())
    assert len(files) == 1
    assert json.loads(files[0].read_text())["refresh_token"] in aqora.valid_refresh_tokens()
    assert keyring_secret(headless_env, aqora.url) is None
