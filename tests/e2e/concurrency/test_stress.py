"""50 processes through all four front doors on a stale token: exactly one refresh, one
token for all, no failure, no reuse at the server; 8 rounds (times TESTS_REPEAT)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support import make_cached_token_stale, repetitions, write_config

pytestmark = pytest.mark.serial  # a burst of processes: runs alone

ROUNDS = repetitions(8)  # TESTS_REPEAT for more
PROCESSES = 50
KEYRING_GET = "import keyring, sys; print(keyring.get_credential(sys.argv[1], None).password)"


def front_door_commands(aqora, host: str) -> list[tuple[list[str], str | None]]:
    """(argv, stdin) for each kind of client, in turn."""
    return [
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n"),
        (["docker-credential-aqora", "get"], host),
        ([sys.executable, "-c", KEYRING_GET, f"http://{host}/simple/"], None),
        (["aqora-helper", "token"], None),
    ]


def token_of(kind: int, stdout: str) -> str:
    if kind == 0:
        return dict(line.split("=", 1) for line in stdout.splitlines())["password"]
    if kind == 1:
        return json.loads(stdout)["Secret"]
    return stdout.strip()


def test_fifty_mixed_processes_refresh_once_per_round(aqora, user_env, login):
    port = aqora.url.rsplit(":", 1)[1]
    host = f"127.0.0.1:{port}"
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    kinds = front_door_commands(aqora, host)
    for round_no in range(ROUNDS):
        stale = make_cached_token_stale(user_env, aqora.url)
        before = aqora.refresh_calls
        procs = []
        for i in range(PROCESSES):
            argv, stdin = kinds[i % len(kinds)]
            proc = subprocess.Popen(
                argv,
                env=user_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            procs.append((i % len(kinds), proc, stdin))
        tokens = set()
        for kind, proc, stdin in procs:
            out, err = proc.communicate(stdin or "", timeout=120)
            assert proc.returncode == 0, f"round {round_no}, kind {kind}: {err}"
            tokens.add(token_of(kind, out))
        assert len(tokens) == 1, f"round {round_no}: {len(tokens)} different tokens"
        assert stale not in tokens
        assert aqora.is_valid_access_token(tokens.pop())
        assert aqora.refresh_calls == before + 1, f"round {round_no}"
        assert aqora.reuse_detected == 0
