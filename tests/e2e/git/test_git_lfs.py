"""git-lfs (Debian's `git-lfs`) through git-credential-aqora: a push and a clone move
LFS objects to and from a stand-in LFS server (tests/servers/lfs_server.py) that accepts
only access tokens currently valid at the aqora stand-in, with git configured by
`aqora-helper setup git` alone. git-lfs asks git's credential helpers (`git credential
fill`) for the LFS host, so that host must be a served host too.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.git_server import GitServer
from servers.lfs_server import LfsServer
from support import describe, run_cmd, write_config

pytestmark = pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs not installed")

PAYLOAD = b"model weights\n" * 1000


@pytest.fixture
def servers(aqora: AqoraServer) -> Iterator[tuple[GitServer, LfsServer]]:
    with (
        GitServer(aqora.is_valid_access_token) as git_srv,
        LfsServer(aqora.is_valid_access_token) as lfs,
    ):
        git_srv.create_repo("demo.git")
        yield git_srv, lfs


def git(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    proc = run_cmd(["git", *args], env, cwd=cwd, timeout=120)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout


def test_git_lfs_push_and_clone_through_the_helper(
    aqora, servers, user_env, login, tmp_path
) -> None:
    git_srv, lfs = servers
    api_host = aqora.url.split("://", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{api_host}", "{git_srv.hostport}", "{lfs.hostport}"]\n',
    )
    login()
    env = dict(
        user_env,
        GIT_AUTHOR_NAME="Alice",
        GIT_AUTHOR_EMAIL="alice@example.com",
        GIT_COMMITTER_NAME="Alice",
        GIT_COMMITTER_EMAIL="alice@example.com",
    )
    proc = run_cmd(["aqora-helper", "setup", "git"], env)
    assert proc.returncode == 0, describe(proc)
    git(env, "lfs", "install", "--skip-repo")

    work = tmp_path / "work"
    git(env, "clone", "-q", f"{git_srv.url}/demo.git", str(work))
    git(env, "config", "-f", ".lfsconfig", "lfs.url", lfs.lfs_url("demo.git"), cwd=work)
    git(env, "lfs", "track", "*.bin", cwd=work)
    (work / "weights.bin").write_bytes(PAYLOAD)
    git(env, "add", ".lfsconfig", ".gitattributes", "weights.bin", cwd=work)
    git(env, "commit", "-q", "-m", "weights", cwd=work)
    git(env, "push", "-q", "origin", "main", cwd=work)

    oid = hashlib.sha256(PAYLOAD).hexdigest()
    assert lfs.objects == {oid: PAYLOAD}  # the upload went through
    puts = [s for s in lfs.accepted() if s.method == "PUT"]
    assert puts and {s.username for s in lfs.accepted()} == {"aqora"}, lfs.seen

    lfs.clear_seen()
    clone = tmp_path / "clone"
    git(env, "clone", "-q", f"{git_srv.url}/demo.git", str(clone))
    assert (clone / "weights.bin").read_bytes() == PAYLOAD  # smudged from the LFS server
    assert any(s.method == "GET" and s.accepted for s in lfs.seen), lfs.seen
    assert not any(
        aqora.is_valid_access_token(w) for w in (clone / ".git" / "config").read_text().split()
    )
