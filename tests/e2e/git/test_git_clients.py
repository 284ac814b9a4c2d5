"""Real git through git-credential-aqora against a smart-HTTP server that accepts only
access tokens currently valid at the aqora stand-in (tests/servers/git_server.py).

The git server's `127.0.0.1:PORT` is a served host of the stand-in's environment
(config file), and git is configured by `aqora-helper setup git` or the equivalent
`git config` lines.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.git_server import GitServer
from shared.git_client import configure
from support import describe, heavy_modules_loaded, run_cmd, run_entry_point

Run = Callable[..., subprocess.CompletedProcess[str]]


def git_version() -> tuple[int, int]:
    out = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)\.(\d+)", out)
    assert match, out
    return int(match.group(1)), int(match.group(2))


GIT_VERSION = git_version()


@pytest.fixture
def git_server(aqora: AqoraServer) -> Iterator[GitServer]:
    with GitServer(aqora.is_valid_access_token) as srv:
        srv.create_repo("demo.git")
        yield srv


def env_url(aqora: AqoraServer) -> str:
    return aqora.url + "/"


def scope_helper(user_env: dict[str, str], srv: GitServer) -> None:
    """What `setup git` writes, by hand (keeps these tests independent of the CLI)."""
    for value in ("", "aqora"):
        proc = run_cmd(
            ["git", "config", "--global", "--add", f"credential.{srv.url}.helper", value], user_env
        )
        assert proc.returncode == 0, describe(proc)


def git(
    user_env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cmd(["git", *args], user_env, cwd=cwd, timeout=60)


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, describe(proc)
    return proc


def commit(user_env: dict[str, str], work: Path, name: str) -> None:
    (work / name).write_text(name + "\n")
    ok(git(user_env, "add", name, cwd=work))
    ok(git(user_env, "commit", "-q", "-m", name, cwd=work))


def rejected_credentials(srv: GitServer) -> list[str | None]:
    """Requests that carried credentials the server refused."""
    return [s.scheme for s in srv.seen if s.scheme is not None and not s.accepted]


def age_cached_token(user_env: dict[str, str], url: str) -> str:
    """Make the cached access token look expired (as if time had passed); return it."""
    script = (
        "import sys, time\n"
        "from aqora_helper.fast import tokencache\n"
        "c = tokencache.read_token(sys.argv[1])\n"
        "assert c is not None, 'no cached token'\n"
        "tokencache.write_token(sys.argv[1], c.access_token, int(time.time()) - 1)\n"
        "print(c.access_token)\n"
    )
    return ok(run_cmd([sys.executable, "-c", script, url], user_env)).stdout.strip()


def cached_token(user_env: dict[str, str], url: str) -> str | None:
    script = (
        "import sys\n"
        "from aqora_helper.fast import tokencache\n"
        "c = tokencache.read_token(sys.argv[1])\n"
        "print(c.access_token if c else '')\n"
    )
    return ok(run_cmd([sys.executable, "-c", script, url], user_env)).stdout.strip() or None


@pytest.fixture
def env(
    aqora: AqoraServer,
    git_server: GitServer,
    user_env: dict[str, str],
    login: Callable[..., object],
) -> dict[str, str]:
    """The usual start: git host configured, the helper scoped to it, alice logged in."""
    configured = configure(user_env, aqora, git_server)
    scope_helper(configured, git_server)
    login()
    return configured


@pytest.fixture
def work(env: dict[str, str], git_server: GitServer, tmp_path: Path) -> Path:
    """A clone of demo.git (through the helper) in tmp_path/"work"."""
    work = tmp_path / "work"
    ok(git(env, "clone", "-q", f"{git_server.url}/demo.git", str(work)))
    return work


# --- the ordinary path --------------------------------------------------------------------


def test_clone_push_fetch_through_the_helper(
    aqora: AqoraServer, git_server: GitServer, env: dict[str, str], work: Path, tmp_path: Path
) -> None:
    commit(env, work, "one.txt")
    ok(git(env, "push", "-q", "origin", "HEAD:main", cwd=work))

    other = tmp_path / "other"
    ok(git(env, "clone", "-q", f"{git_server.url}/demo.git", str(other)))
    assert (other / "one.txt").read_text() == "one.txt\n"
    commit(env, work, "two.txt")
    ok(git(env, "push", "-q", "origin", "HEAD:main", cwd=work))
    ok(git(env, "fetch", "-q", cwd=other))
    ok(git(env, "merge", "-q", "--ff-only", "origin/main", cwd=other))
    assert (other / "two.txt").exists()

    assert rejected_credentials(git_server) == []
    schemes = {s.scheme for s in git_server.seen if s.accepted}
    assert (schemes == {"basic"}) if GIT_VERSION < (2, 46) else (schemes <= {"basic", "bearer"})
    # the token git used is the one the stand-in issued for alice
    token = cached_token(env, env_url(aqora))
    assert token and aqora.user_for_access_token(token) == "alice"


def test_setup_git_end_to_end_and_remove_restores_the_file(
    aqora: AqoraServer,
    git_server: GitServer,
    user_env: dict[str, str],
    login: Callable[..., object],
    tmp_path: Path,
) -> None:
    env = configure(user_env, aqora, git_server)
    gitconfig = Path(env["HOME"]) / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Alice\n[credential]\n\thelper = cache\n")
    before = gitconfig.read_bytes()
    login()

    proc = ok(run_cmd(["aqora-helper", "setup", "git", "--url", aqora.url], env))
    assert f"credential.http://{git_server.hostport}.helper" in proc.stdout + proc.stderr
    ok(git(env, "clone", "-q", f"{git_server.url}/demo.git", str(tmp_path / "w")))
    assert any(s.accepted for s in git_server.seen)

    ok(run_cmd(["aqora-helper", "setup", "git", "--url", aqora.url, "--remove"], env))
    assert gitconfig.read_bytes() == before


# --- token lifecycle -------------------------------------------------------------------


def test_stale_token_between_pushes_refreshes_transparently(
    aqora: AqoraServer, git_server: GitServer, env: dict[str, str], work: Path
) -> None:
    commit(env, work, "one.txt")
    ok(git(env, "push", "-q", "origin", "HEAD:main", cwd=work))

    # time passes: the cached token is past its expiry, and the server agrees
    old = age_cached_token(env, env_url(aqora))
    aqora.expire_access_tokens()
    refreshes = aqora.refresh_calls

    commit(env, work, "two.txt")
    ok(git(env, "push", "-q", "origin", "HEAD:main", cwd=work))
    assert aqora.refresh_calls == refreshes + 1
    new = cached_token(env, env_url(aqora))
    assert new and new != old and aqora.is_valid_access_token(new)
    assert rejected_credentials(git_server) == []  # git never saw a stale token


def test_token_revoked_at_the_server_fails_once_then_recovers(
    aqora: AqoraServer, env: dict[str, str], work: Path
) -> None:
    revoked = cached_token(env, env_url(aqora))
    assert revoked

    aqora.expire_access_tokens()  # the server drops it; the cache still thinks it valid
    refreshes = aqora.refresh_calls
    failed = git(env, "fetch", "-q", cwd=work)
    assert failed.returncode != 0, describe(failed)
    assert "Authentication failed" in failed.stderr
    assert cached_token(env, env_url(aqora)) is None  # git's erase dropped it
    assert aqora.refresh_calls == refreshes

    ok(git(env, "fetch", "-q", cwd=work))
    assert aqora.refresh_calls == refreshes + 1
    fresh = cached_token(env, env_url(aqora))
    assert fresh and fresh != revoked and aqora.is_valid_access_token(fresh)


@pytest.mark.serial  # timing-sensitive: runs alone
def test_logged_out_user_sees_the_hint_and_git_fails_without_hanging(
    aqora: AqoraServer, git_server: GitServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    env = configure(user_env, aqora, git_server)
    scope_helper(env, git_server)
    started = time.monotonic()
    proc = git(env, "clone", "-q", f"{git_server.url}/demo.git", str(tmp_path / "w"))
    assert time.monotonic() - started < 30
    assert proc.returncode != 0, describe(proc)
    ours = [line for line in proc.stderr.splitlines() if line.startswith("aqora-helper:")]
    assert len(ours) == 1, describe(proc)
    assert "Not logged in" in ours[0] and f"aqora-helper login --url {env_url(aqora)}" in ours[0]
    assert "terminal prompts disabled" in proc.stderr or "could not read" in proc.stderr
    assert not [s for s in git_server.seen if s.scheme is not None]


def test_session_revoked_at_the_server_says_log_in_again(
    aqora: AqoraServer, git_server: GitServer, env: dict[str, str], tmp_path: Path
) -> None:
    age_cached_token(env, env_url(aqora))
    aqora.revoke_sessions()
    proc = git(env, "clone", "-q", f"{git_server.url}/demo.git", str(tmp_path / "w"))
    assert proc.returncode != 0
    ours = [line for line in proc.stderr.splitlines() if line.startswith("aqora-helper:")]
    assert len(ours) == 1 and "aqora-helper login" in ours[0], describe(proc)


def test_another_username_in_the_url_is_left_to_git(
    git_server: GitServer, env: dict[str, str], tmp_path: Path
) -> None:
    url = f"http://bob@{git_server.hostport}/demo.git"
    proc = git(env, "clone", "-q", url, str(tmp_path / "w"))
    assert proc.returncode != 0
    ours = [line for line in proc.stderr.splitlines() if line.startswith("aqora-helper:")]
    assert len(ours) == 1 and "remove 'bob@' from the URL" in ours[0], describe(proc)
    assert not any(s.accepted for s in git_server.seen)  # git had no password for bob


# --- auth modes ------------------------------------------------------------------------


def test_basic_mode_always_sends_basic(
    aqora: AqoraServer,
    git_server: GitServer,
    user_env: dict[str, str],
    login: Callable[..., object],
    tmp_path: Path,
) -> None:
    env = configure(user_env, aqora, git_server, git_auth="basic")
    scope_helper(env, git_server)
    login()
    ok(git(env, "clone", "-q", f"{git_server.url}/demo.git", str(tmp_path / "w")))
    assert {s.scheme for s in git_server.seen if s.accepted} == {"basic"}


@pytest.mark.skipif(
    GIT_VERSION < (2, 46),
    reason=f"git {GIT_VERSION[0]}.{GIT_VERSION[1]} < 2.46 has no credential authtype "
    "capability: Bearer cannot be tested here (the Basic path runs instead)",
)
def test_bearer_end_to_end(git_server: GitServer, work: Path) -> None:
    accepted = [s.scheme for s in git_server.seen if s.accepted]
    assert accepted and set(accepted) == {"bearer"}


# --- the fast path, on the state a real login left -------------------------------------


def test_fast_path_after_login_imports_nothing_heavy(
    aqora: AqoraServer,
    git_server: GitServer,
    user_env: dict[str, str],
    login: Callable[..., object],
) -> None:
    env = configure(user_env, aqora, git_server)
    login()
    # one get through the engine writes the host index; the next one must be the fast path
    first = run_cmd(
        ["git-credential-aqora", "get"], env, input=f"protocol=http\nhost={git_server.hostport}\n"
    )
    assert "password=" in first.stdout, describe(first)
    refreshes = aqora.refresh_calls
    proc = ok(
        run_entry_point(
            "aqora_helper.doors.git",
            ["git-credential-aqora", "get"],
            env,
            f"protocol=http\nhost={git_server.hostport}\n",
        )
    )
    assert heavy_modules_loaded(proc) == []
    assert f"password={cached_token(env, env_url(aqora))}" in proc.stdout
    assert aqora.refresh_calls == refreshes


def test_unscoped_credential_helper_aqora_works(
    aqora: AqoraServer,
    git_server: GitServer,
    user_env: dict[str, str],
    login: Callable[..., object],
    tmp_path: Path,
) -> None:
    """`git config --global credential.helper aqora`, the documented one-liner: git runs
    `git credential-aqora`, which answers for served hosts only."""
    env = configure(user_env, aqora, git_server)
    ok(git(env, "config", "--global", "credential.helper", "aqora"))
    login()
    ok(git(env, "clone", "-q", f"{git_server.url}/demo.git", str(tmp_path / "w")))
    assert rejected_credentials(git_server) == []
    unserved = run_cmd(
        ["git", "credential", "fill"], env, input="protocol=https\nhost=example.com\n"
    )
    assert unserved.returncode != 0  # nobody answered, prompts are off
    assert cached_token(env, env_url(aqora)) not in unserved.stdout + unserved.stderr
