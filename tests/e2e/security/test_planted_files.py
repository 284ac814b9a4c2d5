"""Issue #11, classes 5, 10, 11 and 12, played as an attacker with the real clients:

5. AQORA_TOKEN goes only to the configured default environment, never to a `--url`.
10. Files: FIFOs never block, cache/storage names are injective, `--url` never builds a
    path outside the cache, exposed token files are refused, no core dump holds a secret.
11. The `token` fast path (and git's/docker's) fail with the standard two lines.
12. logout makes git's other credential helpers drop our tokens; doctor flags them.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.git_server import GitServer
from support import (
    TRACEBACK_MARKERS,
    assert_clean_failure,
    describe,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    token_cache_file,
    write_config,
)

ENV_TOKEN = "aqat_from_the_environment_0123456789"


def cache_root(user_env: dict[str, str]) -> Path:
    return Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper"


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    text = proc.stdout + proc.stderr
    assert not any(marker in text for marker in TRACEBACK_MARKERS), describe(proc)


@pytest.fixture
def warm(aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., object]) -> str:
    """Logged in to the stand-in as the default environment; index and cache warm.
    Returns the cached access token."""
    port = aqora.url.rsplit(":", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{port}"]\n',
    )
    login()
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout.strip()


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


# --- class 10: files ---------------------------------------------------------------------


def plant_fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path, 0o600)


@pytest.mark.parametrize("which", ["hosts.json", "token", "sessions.json"])
def test_a_fifo_in_our_files_never_blocks(aqora, user_env, warm, which):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    target = {
        "hosts.json": cache_root(user_env) / "hosts.json",
        "token": token_cache_file(user_env, aqora.url),
        "sessions.json": Path(user_env["XDG_DATA_HOME"]) / "aqora-helper" / "sessions.json",
    }[which]
    plant_fifo(target)
    proc = run_cmd(["aqora-helper", "token"], user_env, timeout=30)  # a hang raises here
    no_traceback(proc)
    if which == "token":  # a cache that is not a file: say so, in two lines
        assert_clean_failure(proc, "not a regular file")
    else:
        assert aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)
    git_proc = run_entry_point(
        "aqora_helper.doors.git",
        ["git-credential-aqora", "get"],
        user_env,
        f"protocol=http\nhost={aqora.url.split('://')[1]}\n",
    )
    no_traceback(git_proc)
    status = run_cmd(["aqora-helper", "status", "--offline"], user_env, timeout=30)  # slow path
    no_traceback(status)


def test_a_fifo_config_file_is_a_config_error_not_a_hang(user_env):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    config = Path(user_env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"
    plant_fifo(config)
    proc = run_cmd(["aqora-helper", "status"], user_env, timeout=30)
    assert_clean_failure(proc, "not a regular file")


def test_a_colliding_environment_never_gets_anothers_session(aqora, user_env, login):
    """`http://127.0.0.1:PORT/` and `http://127.0.0.1_PORT/` used to share every file name:
    the second environment then sent the first one's refresh token to its own host.

    Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py).
    """
    login("--insecure-storage")
    port = aqora.url.rsplit(":", 1)[1]
    twin = f"http://127.0.0.1_{port}"
    env = dict(user_env, AQORA_ALLOW_INSECURE_HOST="1")
    proc = run_cmd(["aqora-helper", "token", "--url", twin], env)
    assert_clean_failure(proc, f"Not logged in to {twin}/")
    ours = run_cmd(["aqora-helper", "token", "--url", aqora.url], user_env)
    assert aqora.is_valid_access_token(ours.stdout.strip()), describe(ours)


@pytest.mark.parametrize("url", ["../../../x/planted://x", "https://a/../../../x", "x"])
def test_url_never_builds_a_path_outside_the_cache(aqora, user_env, warm, url):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    make_cached_token_stale(user_env, aqora.url)  # a miss: the fast path takes the lock
    home = Path(user_env["HOME"])
    before = {p for p in home.rglob("*") if "aqora-helper" not in p.parts}
    proc = run_cmd(["aqora-helper", "token", "--url", url], user_env)
    if url.startswith("https://"):
        assert_clean_failure(proc)
    else:  # not a URL at all: a usage error (exit 2), in the same two lines
        assert proc.returncode == 2 and proc.stdout == "", describe(proc)
        assert proc.stderr.startswith("error: Invalid URL") and "\nhint: " in proc.stderr
    after = {p for p in home.rglob("*") if "aqora-helper" not in p.parts}
    assert after == before, sorted(map(str, after - before))
    locks = cache_root(user_env) / "locks"
    assert not locks.exists() or all(p.parent == locks for p in locks.rglob("*"))


def test_a_token_file_others_can_read_is_refused_and_replaced(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    cache = token_cache_file(user_env, aqora.url)
    cache.chmod(0o644)
    git_proc = run_entry_point(
        "aqora_helper.doors.git",
        ["git-credential-aqora", "get"],
        user_env,
        f"protocol=http\nhost={aqora.url.split('://')[1]}\n",
    )
    assert warm not in git_proc.stdout, describe(git_proc)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    cache.chmod(0o640)
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert proc.returncode == 0, describe(proc)
    fresh = proc.stdout.strip()
    assert fresh != warm and aqora.is_valid_access_token(fresh)
    assert proc.stderr.count("other users can read") == 1, describe(proc)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


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


# --- class 11: the fast paths fail in two lines ------------------------------------------


def lock_file(user_env: dict[str, str], url: str) -> Path:
    return cache_root(user_env) / "locks" / (token_cache_file(user_env, url).stem + ".lock")


@pytest.mark.parametrize("problem", ["directory", "dangling symlink", "fifo", "open lock dir"])
def test_a_broken_lock_path_is_two_lines(aqora, user_env, warm, problem):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    make_cached_token_stale(user_env, aqora.url)
    path = lock_file(user_env, aqora.url)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        path.unlink()
    if problem == "directory":
        path.mkdir()
    elif problem == "dangling symlink":
        path.symlink_to(path.parent / "nowhere")
    elif problem == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.parent.chmod(0o777)
    proc = run_cmd(["aqora-helper", "token"], user_env, timeout=30)
    if problem == "fifo":  # the lock still works on a FIFO: no harm, an answer
        assert aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)
        return
    assert_clean_failure(proc, str(path.parent if problem == "open lock dir" else path))
    host = aqora.url.split("://")[1]
    git_proc = run_cmd(
        ["git-credential-aqora", "get"], user_env, input=f"protocol=http\nhost={host}\n"
    )
    no_traceback(git_proc)
    assert git_proc.stdout == "" and "internal error" not in git_proc.stderr, describe(git_proc)
    assert git_proc.stderr.startswith("aqora-helper: Refusing to use"), describe(git_proc)
    docker_proc = run_cmd(["docker-credential-aqora", "get"], user_env, input=host)
    no_traceback(docker_proc)
    assert docker_proc.returncode == 1, describe(docker_proc)
    assert docker_proc.stdout.startswith("Refusing to use"), describe(docker_proc)


def test_stdout_full_or_closed_is_two_lines(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            ["aqora-helper", "token"],
            env=user_env,
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1 and len(lines) == 2, proc.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), proc.stderr
    assert warm not in proc.stderr
    closed = run_cmd(["bash", "-c", "aqora-helper token >&-"], user_env)
    assert_clean_failure(closed, "standard output")


@pytest.mark.parametrize("expiry", [1e300, "soon", 10**400, -5, 2**63])
def test_an_absurd_cached_expiry_is_a_miss(aqora, user_env, warm, expiry):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    path = token_cache_file(user_env, aqora.url)
    data = json.loads(path.read_text())
    data["expires_at"] = expiry
    tmp = path.with_suffix(".edit")
    tmp.write_text(json.dumps(data))
    tmp.chmod(0o600)
    tmp.replace(path)
    for fmt in ("plain", "json"):
        proc = run_cmd(["aqora-helper", "token", "--format", fmt], user_env)
        assert proc.returncode == 0, describe(proc)
        no_traceback(proc)
    assert aqora.refresh_calls == 1  # the absurd entry was replaced by a real one


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


def test_front_doors_with_stdout_full_or_closed_stay_quiet(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    host = aqora.url.split("://")[1]
    for argv, request in (
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n"),
        (["docker-credential-aqora", "get"], host),
    ):
        with open("/dev/full", "w") as full:
            proc = subprocess.run(
                argv,
                env=user_env,
                input=request,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
            )
        assert proc.returncode == 1, proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and "cannot write" in proc.stderr
        assert warm not in proc.stderr and "Exception ignored" not in proc.stderr
        closed = run_cmd(["bash", "-c", " ".join(argv) + " >&-"], user_env, input=request)
        no_traceback(closed)
        assert warm not in closed.stderr and "Exception ignored" not in closed.stderr
