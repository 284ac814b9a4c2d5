"""pre-commit (from `.venv-clients/plain`, built by tests/run) clones a hook repository
from the token-checking git stand-in over http through git-credential-aqora, with git
configured by `aqora-helper setup git` alone. pre-commit runs plain `git` (it drops most
`GIT_*` variables, so git reads the user's global config, where setup wrote the
helper); its own store is the test's `PRE_COMMIT_HOME`.
"""

from __future__ import annotations

from pathlib import Path

from servers.git_server import GitServer
from shared.git_client import configure
from support import REPO, describe, run_cmd

PRE_COMMIT = REPO / ".venv-clients" / "plain" / "bin" / "pre-commit"
HOOKS = "- id: aqora-hello\n  name: aqora hello\n  entry: hello.sh\n  language: script\n"


def git(env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = run_cmd(["git", *args], env, cwd=cwd, timeout=120)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout.strip()


def hook_repo(env: dict[str, str], srv: GitServer, work: Path) -> str:
    """A hook repository on the server (pushed on disk, not over http); its commit."""
    bare = srv.create_repo("hooks.git")
    work.mkdir()
    git(env, work, "init", "-q", "-b", "main")
    (work / ".pre-commit-hooks.yaml").write_text(HOOKS)
    script = work / "hello.sh"
    script.write_text('#!/bin/sh\necho "aqora hook ran on $# files"\n')
    script.chmod(0o755)
    git(env, work, "add", ".")
    git(env, work, "commit", "-q", "-m", "hooks")
    git(env, work, "push", "-q", str(bare), "main")
    return git(env, work, "rev-parse", "HEAD")


def test_pre_commit_clones_a_hook_repo_through_the_helper(aqora, user_env, login, tmp_path):
    assert PRE_COMMIT.exists(), f"{PRE_COMMIT} missing (tests/run builds it)"
    with GitServer(aqora.is_valid_access_token) as srv:
        env = configure(user_env, aqora, srv)
        login()
        env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
        proc = run_cmd(["aqora-helper", "setup", "git"], env)
        assert proc.returncode == 0, describe(proc)
        rev = hook_repo(env, srv, tmp_path / "hooks")

        proj = tmp_path / "proj"
        proj.mkdir()
        git(env, proj, "init", "-q", "-b", "main")
        (proj / "data.txt").write_text("x\n")
        (proj / ".pre-commit-config.yaml").write_text(
            f"repos:\n- repo: {srv.url}/hooks.git\n  rev: {rev}\n  hooks:\n  - id: aqora-hello\n"
        )
        git(env, proj, "add", ".")
        assert not srv.seen
        proc = run_cmd([PRE_COMMIT, "install-hooks"], env, cwd=proj, timeout=180)
        assert proc.returncode == 0, describe(proc)
        assert any(s.accepted for s in srv.seen), srv.seen  # a valid token was presented
        proc = run_cmd([PRE_COMMIT, "run", "--all-files", "--verbose"], env, cwd=proj, timeout=180)
        assert proc.returncode == 0, describe(proc)
        assert "aqora hook ran on 2 files" in proc.stdout, describe(proc)
        stored = [f for f in (tmp_path / "pre-commit-home").rglob("config") if f.is_file()]
        assert stored  # the clone's .git/config: no token kept in it
        assert not any(
            aqora.is_valid_access_token(w) for f in stored for w in f.read_text().split()
        )
