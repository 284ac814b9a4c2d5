"""No secret outside the one place that must print it: debug logs, stderr, files under
HOME (except the access-token cache) never contain a token the stand-in issued; the
official CLI's stderr relayed in an error is redacted of tokens (also ones it never
wrote) and stripped of terminal escapes; a URL's password is never shown by the error
refusing it, nor a static token left in an index URL by doctor; AQORA_TOKEN goes only to
the configured default environment; no core dump of a process holding a refresh token;
logout makes git's storing helpers forget our tokens.

Origins: tests/e2e/test_secrets.py; red team of the issue #11 fixes
(tests/e2e/test_redteam.py) and round 4 (tests/e2e/test_redteam_round4.py); issue #11,
classes 5, 10 and 12 (tests/e2e/test_sec_inputs.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.git_server import GitServer
from support import (
    assert_clean_failure,
    describe,
    files_containing,
    login_args,
    make_cached_token_stale,
    run_cmd,
    write_config,
)


def test_debug_log_and_files_never_contain_a_token(aqora, user_env, login, tmp_path):
    port = aqora.url.rsplit(":", 1)[1]
    host = f"127.0.0.1:{port}"
    write_config(user_env, f'url = "{aqora.url}"\n[timeouts]\nread = 1\n')
    log_file = tmp_path / "debug.log"
    env = dict(user_env, AQORA_HELPER_LOG="debug")
    file_env = dict(env, AQORA_HELPER_LOG_FILE=str(log_file))
    stderr_seen: list[str] = []

    def step(args, environment, stdin=None, ok=True):
        proc = run_cmd(args, environment, input=stdin)
        stderr_seen.append(proc.stderr)
        if ok:
            assert proc.returncode == 0, describe(proc)
        return proc

    step(
        login_args(aqora.url),
        env,
        "pw\n",
    )
    for environment in (env, file_env):
        make_cached_token_stale(user_env, aqora.url)
        step(["aqora-helper", "token"], environment)
        make_cached_token_stale(user_env, aqora.url)
        git = step(["git-credential-aqora", "get"], environment, f"protocol=http\nhost={host}\n")
        assert "password=" in git.stdout
        make_cached_token_stale(user_env, aqora.url)
        docker = step(["docker-credential-aqora", "get"], environment, host)
        assert aqora.is_valid_access_token(json.loads(docker.stdout)["Secret"])
        make_cached_token_stale(user_env, aqora.url)
        aqora.set_fault("500", ops={"oauth2Refresh"})
        step(["aqora-helper", "token"], environment, ok=False)
        aqora.set_fault(None)
    step(["aqora-helper", "token", "--format", "json"], file_env)

    issued = aqora.issued_tokens() | {"pw"}
    assert len(issued) > 5
    everything = "\n".join(stderr_seen) + log_file.read_text()
    assert "refreshing" in everything and "POST" in everything  # the log did log
    leaked = sorted(t[:12] for t in issued if len(t) > 4 and t in everything)
    assert leaked == [], f"secrets in stderr/log: {leaked}"
    cache = Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper" / "tokens"
    assert files_containing(Path(user_env["HOME"]), issued - {"pw"}, skip=(cache,)) == []
    assert files_containing(tmp_path, issued - {"pw"}, skip=(cache,)) == []


# --------------------------------------------------------------------------------------
# Class 9 variants through the official CLI's `aqora auth token`: on failure its stderr
# is relayed (an excerpt) into our error message. The excerpt is redacted of registered
# secrets but (a) never stripped of control characters, and docker's error line on stdout
# only collapses whitespace, so terminal escapes reach the docker client's output; and
# (b) in program mode credentials.json is never read, so the official session's refresh
# token is not registered: when the official CLI prints a server error that echoes it
# ("Variable ... got invalid value ..."), it reaches our stderr / docker's stdout.

FAKE_AQORA = """#!{python}
import sys
args = sys.argv[1:]
if "--help" in args:
    print("Usage: aqora auth token [OPTIONS]")
    sys.exit(0)
sys.stderr.write({stderr!r})
sys.exit(3)
"""


OFFICIAL_REFRESH = "aqrt_officialSecretRefreshToken0123456789"


def fake_official(user_env: dict[str, str], tmp_path: Path, stderr: str) -> dict[str, str]:
    bin_dir = tmp_path / "aqora-bin"
    bin_dir.mkdir()
    program = bin_dir / "aqora"
    program.write_text(FAKE_AQORA.format(python=sys.executable, stderr=stderr))
    program.chmod(0o755)
    home = tmp_path / "aqora-home"
    home.mkdir()
    return {
        **user_env,
        "PATH": f"{bin_dir}{os.pathsep}{user_env['PATH']}",
        "AQORA_CONFIG_HOME": str(home),
    }


def write_official_credentials(env: dict[str, str], url: str) -> None:
    entry = {
        "client_id": "localhost-test",
        "client_secret": None,
        "access_token": "aqat_officialAccessToken0123456789",
        "refresh_token": OFFICIAL_REFRESH,
        "expires_at": "2000-01-01T00:00:00Z",
    }
    path = Path(env["AQORA_CONFIG_HOME"]) / "credentials.json"
    path.write_text(json.dumps({"credentials": {url.rstrip("/") + "/": entry}}, indent=2))
    path.chmod(0o600)


def test_official_cli_stderr_escapes_never_reach_docker_stdout(
    aqora: AqoraServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    env = fake_official(user_env, tmp_path, "\x1b]0;pwned\x07\x1b[2J\x1b[31mError: boom\n")
    host = aqora.url.split("://", 1)[1]
    proc = run_cmd(["docker-credential-aqora", "get"], env, input=host)
    assert proc.returncode == 1, describe(proc)
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout, repr(proc.stdout)


def test_official_cli_echo_of_its_refresh_token_is_redacted(
    aqora: AqoraServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    echo = f'Error: Variable "$refresh_token" got invalid value "{OFFICIAL_REFRESH}"\n'
    env = fake_official(user_env, tmp_path, echo)
    write_official_credentials(env, aqora.url)
    host = aqora.url.split("://", 1)[1]
    docker = run_cmd(["docker-credential-aqora", "get"], env, input=host)
    cli = run_cmd(["aqora-helper", "status", "--json", "--offline"], env)
    for proc in (docker, cli):
        assert OFFICIAL_REFRESH not in proc.stdout + proc.stderr, describe(proc)
        assert OFFICIAL_REFRESH[:16] not in proc.stdout + proc.stderr, describe(proc)


def test_official_cli_echo_of_a_token_it_never_wrote_is_redacted(
    aqora: AqoraServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    """No credentials.json to read (the program may keep its session elsewhere, or have
    just rotated it): every token-shaped run of its stderr is treated as a secret.

    Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py).
    """
    write_config(user_env, f'url = "{aqora.url}"\n')
    unseen = "aqrt_" + "9f8e7d6c5b4a" * 3
    env = fake_official(user_env, tmp_path, f"Error: refresh failed for {unseen}\x1b[0m\n")
    host = aqora.url.split("://", 1)[1]
    for proc in (
        run_cmd(["docker-credential-aqora", "get"], env, input=host),
        run_cmd(["aqora-helper", "token"], env),
    ):
        assert proc.returncode == 1, describe(proc)
        assert unseen[:16] not in proc.stdout + proc.stderr, describe(proc)
        assert unseen[-16:] not in proc.stdout + proc.stderr, describe(proc)
        assert "refresh failed for" in proc.stdout + proc.stderr, describe(proc)


PASSWORD = "hunter2-S3cret-pw"


CRED_URL = f"https://bob:{PASSWORD}@aqora.example/"


CONFIGS = {
    "--url": ("", {}, ["--url", CRED_URL]),
    "AQORA_URL": ("", {"AQORA_URL": CRED_URL}, []),
    "AQORA_URL, bad port": ("", {"AQORA_URL": f"https://bob:{PASSWORD}/x@h:1/"}, []),
    "config url": (f'url = "{CRED_URL}"\n', {}, []),
    "environment table": (f'[environments."{CRED_URL}"]\nhosts = ["h.example"]\n', {}, []),
    "environment table, bad field": (f'[environments."{CRED_URL}"]\nhosts = 5\n', {}, []),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_a_url_with_a_password_is_refused_without_showing_it(user_env, name):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    config, extra_env, args = CONFIGS[name]
    if config:
        write_config(user_env, config)
    env = dict(user_env, **extra_env)
    for command in (["token", *args], ["status", "--json", *args], ["doctor", *args]):
        proc = run_cmd(["aqora-helper", *command], env)
        assert proc.returncode != 0, describe(proc)
        assert PASSWORD[:8] not in proc.stdout + proc.stderr, describe(proc)
        assert "***@" in proc.stdout + proc.stderr, describe(proc)


STATIC = "aqat_0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("variable", ["PIP_EXTRA_INDEX_URL", "UV_INDEX"], ids=["pip", "uv"])
@pytest.mark.parametrize(
    ("userinfo", "shown"), [(f"aqora:{STATIC}@", "aqora@"), (f"{STATIC}@", "")], ids=["pw", "user"]
)
def test_doctor_never_shows_a_static_token_left_in_an_index_url(
    aqora, user_env, login, variable, userinfo, shown
):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    port = aqora.url.rsplit(":", 1)[1]
    hosts = f'["127.0.0.1:{port}", "pypi.example.org"]'
    write_config(user_env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = {hosts}\n')
    login()
    url = f"https://{userinfo}pypi.example.org/simple/"
    env = dict(user_env, **{variable: ("aqora=" if variable == "UV_INDEX" else "") + url})
    proc = run_cmd(["aqora-helper", "doctor"], env)
    assert STATIC[:12] not in proc.stdout + proc.stderr, describe(proc)
    assert f"--index-url https://{shown}pypi.example.org/simple/" in proc.stdout, describe(proc)


ENV_TOKEN = "aqat_from_the_environment_0123456789"


# --- class 5: AQORA_TOKEN stays with the configured default environment ------------------


def test_aqora_token_is_never_sent_to_an_environment_chosen_by_url(aqora, user_env):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    env = dict(user_env, AQORA_TOKEN=ENV_TOKEN)  # configured default: https://aqora.io/
    printed = run_cmd(["aqora-helper", "token", "--url", aqora.url], env)
    assert ENV_TOKEN not in printed.stdout + printed.stderr, describe(printed)
    assert_clean_failure(printed, f"Not logged in to {aqora.url}/")
    top_level = run_cmd(["aqora-helper", "--url", aqora.url, "token", "--format", "env"], env)
    assert ENV_TOKEN not in top_level.stdout, describe(top_level)
    status = run_cmd(["aqora-helper", "status", "--json", "--url", aqora.url], env)
    doctor = run_cmd(["aqora-helper", "doctor", "--url", aqora.url], env)
    for proc in (status, doctor):
        assert proc.returncode == 1 and ENV_TOKEN not in proc.stdout, describe(proc)
    sent = [r.get("authorization") or "" for r in aqora.requests]
    assert not any(ENV_TOKEN in header for header in sent), sent
    assert json.loads(status.stdout)["environments"][0]["logged_in"] is False


def test_aqora_token_still_serves_the_configured_default(aqora, user_env):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    for configured in (
        {"AQORA_URL": aqora.url},
        {},  # the same default through the config file below
    ):
        write_config(user_env, f'url = "{aqora.url}"\n')
        env = dict(user_env, AQORA_TOKEN=ENV_TOKEN, **configured)
        for argv in (["token"], ["token", "--url", aqora.url]):
            proc = run_cmd(["aqora-helper", *argv], env)
            assert proc.stdout == ENV_TOKEN + "\n", describe(proc)


def test_a_process_holding_a_refresh_token_dumps_no_core(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    make_cached_token_stale(user_env, aqora.url)
    seen: dict[str, str] = {}
    started = threading.Event()
    child: dict[str, int] = {}

    def inspect() -> None:  # runs inside the refresh call: the helper holds the token
        started.wait(30)
        pid = child["pid"]
        seen["limits"] = Path(f"/proc/{pid}/limits").read_text()

    aqora.refresh_hook = inspect
    with subprocess.Popen(
        ["aqora-helper", "token"],
        env=user_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    ) as proc:
        child["pid"] = proc.pid
        started.set()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert aqora.refresh_calls == 1 and aqora.is_valid_access_token(out.strip())
    [core] = [ln for ln in seen["limits"].splitlines() if ln.startswith("Max core file size")]
    assert core.split()[4:6] == ["0", "0"], core
    probe = (
        "import ctypes\nfrom aqora_helper.engine.settings import load_settings\nload_settings()\n"
        "print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n"  # PR_GET_DUMPABLE
    )
    dumpable = run_cmd([sys.executable, "-c", probe], user_env)
    assert dumpable.stdout.strip() == "0", describe(dumpable)


# --- class 12: git's other helpers ------------------------------------------------------


@pytest.fixture
def git_server(aqora: AqoraServer) -> Iterator[GitServer]:
    with GitServer(aqora.is_valid_access_token) as srv:
        srv.create_repo("demo.git")
        yield srv


def store_after_aqora(user_env: dict[str, str], aqora: AqoraServer, srv: GitServer) -> Path:
    """The git host served; git asks aqora, then `store` (which keeps what worked)."""
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{aqora.url.split("://")[1]}", "{srv.hostport}"]\ngit_auth = "basic"\n',
    )
    gitconfig = Path(user_env["HOME"]) / ".gitconfig"
    gitconfig.write_text(
        f'[credential "{srv.url}"]\n\thelper = aqora\n[credential]\n\thelper = store\n'
    )
    return Path(user_env["HOME"]) / ".git-credentials"


def test_logout_makes_a_storing_git_helper_forget_our_token(
    aqora, git_server, user_env, login, tmp_path
):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    stored = store_after_aqora(user_env, aqora, git_server)
    login()
    clone = run_cmd(
        ["git", "clone", "-q", f"{git_server.url}/demo.git", str(tmp_path / "w")], user_env
    )
    assert clone.returncode == 0, describe(clone)
    issued = {t for t in aqora.issued_tokens() if t in stored.read_text()}
    assert issued, "git's store helper kept no copy: the test proves nothing"
    doctor = run_cmd(["aqora-helper", "doctor"], user_env)
    assert f"fail  git: store stores aqora's tokens for {git_server.url}" in doctor.stdout, (
        describe(doctor)
    )
    logout = run_cmd(["aqora-helper", "logout"], user_env)
    assert logout.returncode == 0, describe(logout)
    assert not any(t in logout.stdout + logout.stderr for t in aqora.issued_tokens())
    left = stored.read_text() if stored.exists() else ""
    assert not any(t in left for t in issued), left


def test_logout_rejects_every_recent_token_by_git_credential(aqora, user_env, warm):
    """`git credential approve` as git does after each success, over several refreshes.

    Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py).
    """
    host = aqora.url.split("://")[1]
    stored = Path(user_env["HOME"]) / ".git-credentials"
    (Path(user_env["HOME"]) / ".gitconfig").write_text(
        f'[credential "{aqora.url}"]\n\thelper = aqora\n\thelper = store\n'
    )
    approved = []
    for _ in range(3):
        fill = run_cmd(
            ["git", "credential", "fill"], user_env, input=f"protocol=http\nhost={host}\n\n"
        )
        assert fill.returncode == 0, describe(fill)
        approve = run_cmd(["git", "credential", "approve"], user_env, input=fill.stdout + "\n")
        assert approve.returncode == 0, describe(approve)
        approved.append(dict(line.split("=", 1) for line in fill.stdout.splitlines())["password"])
        make_cached_token_stale(user_env, aqora.url)
    assert approved[-1] in stored.read_text()
    logout = run_cmd(["aqora-helper", "logout"], user_env)
    assert logout.returncode == 0, describe(logout)
    assert "credential helpers to forget" in logout.stderr
    left = stored.read_text() if stored.exists() else ""
    assert not any(t in left for t in approved), left
