"""logout, status (plain and --json) and doctor; none of them ever prints a token."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aqora_helper.setup.checks import effective_helpers
from servers.aqora import AqoraServer
from support import (
    base_url,
    clear_keyring_session,
    describe,
    keyring_secret,
    login_args,
    run_cmd,
    token_cache_file,
    write_config,
)


@pytest.fixture(autouse=True)
def _no_leftover_session(aqora, user_env):
    clear_keyring_session(user_env, aqora.url)


STATUS_KEYS = {
    "url",
    "default",
    "selected",
    "logged_in",
    "source",
    "storage",
    "account",
    "expires_at",
    "token_fingerprint",
    "hosts",
    "error",
}
DOCTOR_LINE = re.compile(r"^((ok|warn|fail) {2,}[a-z]+: .+|      fix: .+)$")


def helper(user_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], user_env)


def assert_no_secret(aqora: AqoraServer, *procs: subprocess.CompletedProcess[str]) -> None:
    secrets = aqora.issued_tokens()
    assert secrets
    for proc in procs:
        for secret in secrets:
            assert secret not in proc.stdout + proc.stderr, describe(proc)


def status_json(user_env: dict[str, str], *args: str) -> tuple[int, dict]:
    proc = helper(user_env, "status", "--json", *args)
    return proc.returncode, json.loads(proc.stdout)


def sessions_list(user_env: dict[str, str]) -> list[str]:
    path = Path(user_env["XDG_DATA_HOME"]) / "aqora-helper" / "sessions.json"
    return json.loads(path.read_text()) if path.exists() else []


# ------------------------------------------------------------------------------ status


def test_status_not_logged_in(aqora, user_env):
    proc = helper(user_env, "status", "--url", aqora.url)
    assert proc.returncode == 1, describe(proc)
    assert "not logged in" in proc.stdout
    assert f"hint:    Run 'aqora-helper login --url {aqora.url}/'" in proc.stdout
    code, body = status_json(user_env, "--url", aqora.url)
    assert code == 1
    assert body["version"] == 1 and body["selected"] == aqora.url + "/"
    [env] = body["environments"]
    assert set(env) == STATUS_KEYS
    assert env["logged_in"] is False and env["source"] is None
    assert env["error"]["message"].startswith("Not logged in")
    assert env["hosts"] == [aqora.url.split("://")[1]]


def test_status_logged_in_plain_and_json(aqora, user_env, login):
    login()
    token = helper(user_env, "token", "--url", aqora.url).stdout.strip()
    proc = helper(user_env, "status", "--url", aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert "status:  logged in as alice" in proc.stdout
    assert "source:  keyring (keyring.backends.SecretService.Keyring)" in proc.stdout
    assert re.search(r"token:   sha256:[0-9a-f]{12}, expires \d{4}-\d\d-\d\dT", proc.stdout)
    code, body = status_json(user_env, "--url", aqora.url)
    assert code == 0
    [env] = body["environments"]
    assert env == {
        "url": aqora.url + "/",
        "default": True,
        "selected": True,
        "logged_in": True,
        "source": "keyring",
        "storage": "keyring.backends.SecretService.Keyring",
        "account": "alice",
        "expires_at": env["expires_at"],
        "token_fingerprint": env["token_fingerprint"],
        "hosts": [aqora.url.split("://")[1]],
        "error": None,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", env["expires_at"])
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", env["token_fingerprint"])
    assert token not in json.dumps(body)
    assert_no_secret(aqora, proc)


def test_status_offline_skips_the_viewer_query(aqora, user_env, login):
    login()
    before = aqora.op_counts["viewer"]
    code, body = status_json(user_env, "--url", aqora.url, "--offline")
    assert code == 0
    assert body["environments"][0]["account"] is None
    assert body["environments"][0]["logged_in"] is True
    plain = helper(user_env, "status", "--url", aqora.url, "--offline")
    assert "account not checked: --offline" in plain.stdout
    assert aqora.op_counts["viewer"] == before


def test_status_lists_every_known_environment(aqora, user_env, login):
    write_config(
        user_env,
        f'url = "{aqora.url}"\n'
        '[environments."https://other.example"]\nhosts = ["other.example", "git.other.example"]\n',
    )
    login()
    code, body = status_json(user_env)
    assert code == 0  # the default environment is logged in
    by_url = {env["url"]: env for env in body["environments"]}
    assert set(by_url) == {aqora.url + "/", "https://other.example/"}
    assert by_url[aqora.url + "/"]["logged_in"] and by_url[aqora.url + "/"]["default"]
    other = by_url["https://other.example/"]
    assert not other["logged_in"] and not other["default"] and not other["selected"]
    assert other["hosts"] == ["other.example", "git.other.example"]
    code, body = status_json(user_env, "--url", "https://other.example")
    assert code == 1 and body["selected"] == "https://other.example/"
    assert {e["url"] for e in body["environments"] if e["selected"]} == {"https://other.example/"}


def test_status_sources_env_and_insecure_file(aqora, user_env, login):
    login("--insecure-storage")
    code, body = status_json(user_env, "--url", aqora.url)
    assert code == 0
    env = body["environments"][0]
    assert env["source"] == "insecure file" and env["storage"].endswith(".json")
    token = helper(user_env, "token", "--url", aqora.url).stdout.strip()
    with_env = {**user_env, "AQORA_TOKEN": token, "AQORA_URL": aqora.url}
    proc = helper(with_env, "status", "--json")
    env = json.loads(proc.stdout)["environments"][0]
    assert (env["source"], env["storage"], env["account"]) == ("env", "AQORA_TOKEN", "alice")
    assert env["expires_at"] is None
    assert token not in proc.stdout


def test_status_revoked_session(aqora, user_env, login):
    login()
    aqora.revoke_sessions()
    proc = helper(user_env, "status", "--url", aqora.url)
    assert proc.returncode == 1, describe(proc)
    assert "expired or was revoked" in proc.stdout
    assert "Log in again" in proc.stdout
    assert_no_secret(aqora, proc)


# ------------------------------------------------------------------------------ logout


def test_logout_removes_session_and_cache_and_is_idempotent(aqora, user_env, login):
    login()
    assert helper(user_env, "token", "--url", aqora.url).returncode == 0
    assert token_cache_file(user_env, aqora.url).exists()
    proc = helper(user_env, "logout", "--url", aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert (
        f"Logged out of {aqora.url}/: removed the session in the OS keyring and the cached "
        "access token." in proc.stderr
    )
    assert keyring_secret(user_env, aqora.url) is None
    assert not token_cache_file(user_env, aqora.url).exists()
    assert base_url(aqora.url) not in sessions_list(user_env)
    assert helper(user_env, "status", "--url", aqora.url).returncode == 1
    assert "Not logged in" in helper(user_env, "token", "--url", aqora.url).stderr
    again = helper(user_env, "logout", "--url", aqora.url)
    assert again.returncode == 0
    assert "nothing to remove" in again.stderr
    assert_no_secret(aqora, proc, again)


def test_logout_insecure_file(aqora, user_env, login):
    login("--insecure-storage")
    insecure = Path(user_env["XDG_DATA_HOME"]) / "aqora-helper" / "insecure"
    assert list(insecure.iterdir())
    proc = helper(user_env, "logout", "--url", aqora.url)
    assert "removed the session in the insecure file" in proc.stderr, describe(proc)
    assert list(insecure.iterdir()) == []


@pytest.fixture
def second_aqora(user_env) -> Iterator[AqoraServer]:
    server = AqoraServer().start()
    clear_keyring_session(user_env, server.url)
    try:
        yield server
    finally:
        server.stop()


def test_logout_all(aqora, second_aqora, user_env, login):
    login()
    second = run_cmd(
        login_args(second_aqora.url),
        user_env,
        input="pw\n",
    )
    assert second.returncode == 0, describe(second)
    assert set(sessions_list(user_env)) == {base_url(aqora.url), base_url(second_aqora.url)}
    bad = helper(user_env, "logout", "--all", "--url", aqora.url)
    assert bad.returncode == 2
    proc = helper(user_env, "logout", "--all")
    assert proc.returncode == 0, describe(proc)
    assert proc.stderr.count("Logged out of") == 2
    assert sessions_list(user_env) == []
    assert keyring_secret(user_env, aqora.url) is None
    assert keyring_secret(user_env, second_aqora.url) is None


def test_logout_never_touches_the_official_session(aqora, user_env, login):
    login()
    credentials = Path(user_env["XDG_DATA_HOME"]) / "aqora" / "credentials.json"
    credentials.parent.mkdir(parents=True)
    entry = {
        "client_id": "localhost-x",
        "access_token": "aqat_official",
        "refresh_token": "aqrt_official",
        "expires_at": "2099-01-01T00:00:00Z",
    }
    credentials.write_text(json.dumps({"credentials": {base_url(aqora.url): entry}}, indent=2))
    before = credentials.read_bytes()
    proc = helper(user_env, "logout", "--url", aqora.url)
    assert "official aqora CLI's session" in proc.stderr and "untouched" in proc.stderr
    assert credentials.read_bytes() == before
    assert "aqat_official" not in proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ doctor


def doctor(user_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = helper(user_env, "doctor", *args)
    for line in proc.stdout.splitlines():
        assert DOCTOR_LINE.match(line), describe(proc)
    return proc


def test_doctor_healthy(aqora, user_env, login):
    login()
    proc = doctor(user_env, "--url", aqora.url)
    assert proc.returncode == 0, describe(proc)
    out = proc.stdout
    assert re.search(r"^ok    config: no config file \(.*\): defaults", out, re.M)
    assert re.search(
        r"^ok    keyring: keyring\.backends\.SecretService\.Keyring answers", out, re.M
    )
    assert re.search(r"^ok    api: .*/graphql answered HTTP 200", out, re.M)
    assert re.search(r"^ok    clock: within \d+ s of the server", out, re.M)
    assert re.search(r"^ok    session: usable: alice via keyring", out, re.M)
    assert "fail" not in out
    assert_no_secret(aqora, proc)


def test_doctor_not_logged_in_and_server_down(aqora, user_env):
    proc = doctor(user_env, "--url", aqora.url)
    assert proc.returncode == 1, describe(proc)
    assert re.search(r"^fail  session: Not logged in to", proc.stdout, re.M)
    assert re.search(r"^      fix: aqora-helper login --url ", proc.stdout, re.M)
    aqora.stop()
    down = doctor(user_env, "--url", aqora.url)
    assert down.returncode == 1
    assert re.search(r"^fail  api: .*connection failed", down.stdout, re.M)
    assert re.search(r"^warn  clock: not checked", down.stdout, re.M)


def test_doctor_invalid_config(user_env):
    path = write_config(user_env, "refresh_skew = -5\n")
    proc = doctor(user_env)
    assert proc.returncode == 1
    assert f"fail  config: Config file {path}: key 'refresh_skew'" in proc.stdout
    assert "      fix: Fix 'refresh_skew'" in proc.stdout


def test_doctor_no_keyring(aqora, user_env):
    env = {k: v for k, v in user_env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    proc = doctor(env, "--url", aqora.url)
    assert proc.returncode == 1
    assert re.search(r"^fail  keyring: No usable OS keyring", proc.stdout, re.M)


def test_doctor_git_integration_and_conflict(aqora, user_env, login):
    login()
    host = aqora.url.split("://")[1]
    setup = helper(user_env, "setup", "git", "--url", aqora.url)
    assert setup.returncode == 0, describe(setup)
    proc = doctor(user_env, "--url", aqora.url)
    assert f"ok    git: aqora answers first for https://{host}, http://{host}" in proc.stdout
    gitconfig = Path(user_env["HOME"]) / ".gitconfig"
    gitconfig.write_text(f'[credential "http://{host}"]\n\thelper = store\n\thelper = aqora\n')
    proc = doctor(user_env, "--url", aqora.url)
    assert proc.returncode == 1
    assert f"fail  git: credential helper(s) store answer before aqora for http://{host}" in (
        proc.stdout
    )
    assert f"warn  git: aqora is not a credential helper for https://{host}" in proc.stdout


def test_doctor_docker_static_auths_conflict(aqora, user_env, login):
    login()
    host = aqora.url.split("://")[1]
    config = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(
        json.dumps(
            {"credHelpers": {host: "aqora"}, "auths": {f"https://{host}/v1/": {"auth": "eA=="}}}
        )
    )
    proc = doctor(user_env, "--url", aqora.url)
    assert proc.returncode == 1
    assert f"ok    docker: credHelpers use aqora for {host}" in proc.stdout
    assert f"fail  docker: static credentials for {host} in 'auths'" in proc.stdout
    config.write_text(json.dumps({"credHelpers": {host: "desktop"}}))
    proc = doctor(user_env, "--url", aqora.url)
    assert f"fail  docker: credHelpers sends {host} to docker-credential-desktop" in proc.stdout


class _SkewedHandler(BaseHTTPRequestHandler):
    """A GraphQL endpoint whose Date header is two hours in the past."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        import time

        return formatdate(time.time() - 7200, usegmt=True)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"data": None, "errors": [{"message": "Session Not Found"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_doctor_clock_skew(user_env):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SkewedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proc = doctor(user_env, "--url", f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 1
    assert re.search(r"^ok    api: ", proc.stdout, re.M)
    assert re.search(
        r"^fail  clock: the local clock is 720\d s ahead of the server", proc.stdout, re.M
    )
    assert "timedatectl" in proc.stdout


@pytest.mark.parametrize(
    ("entries", "url", "expected"),
    [
        ([("", "cache"), ("https://h", "aqora")], "https://h", ["cache", "aqora"]),
        ([("", "cache"), ("https://h", ""), ("https://h", "aqora")], "https://h", ["aqora"]),
        ([("http://h", "store")], "https://h", []),
        ([("https://h:8443", "store")], "https://h", []),
        ([("https://h:443/", "store")], "https://h", ["store"]),
        ([("https://*.example.com", "x")], "https://git.example.com", ["x"]),
        ([("https://*.example.com", "x")], "https://example.com", []),
        ([("h", "x")], "https://h", ["x"]),
        ([("https://h/org", "x")], "https://h", []),
        ([("https://user@h", "x")], "https://h", []),
        ([("https://H", "x")], "https://h", ["x"]),
    ],
)
def test_git_helper_list_is_computed_as_git_does(entries, url, expected):
    scheme, _, hostport = url.partition("://")
    assert effective_helpers(entries, scheme, hostport) == expected
