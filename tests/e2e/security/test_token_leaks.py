"""No secret outside the one place that must print it: debug logs, stderr, files under
HOME (except the access-token cache) never contain a token the stand-in issued."""

from __future__ import annotations

import json
from pathlib import Path

from support import (
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
