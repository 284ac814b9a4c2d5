"""Threads of one process asking at once on a stale token: one refresh, no refresh token
used twice, the same valid token for all (keyring's library, as a multithreaded pip or
a notebook calls it). Timing-sensitive: runs alone (serial)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support import (
    make_cached_token_stale,
    stored_refresh_token,
    write_config,
)

# --------------------------------------------------------------------------------------
# Class 4: threads


THREADS = 8


ROUNDS = 5


THREADED_GETS = """
import json, sys, threading
import keyring
service, count = sys.argv[1], int(sys.argv[2])
keyring.get_keyring()
def get(i, barrier, out):
    barrier.wait()
    if i % 2:
        out[i] = keyring.get_password(service, None)
    else:
        cred = keyring.get_credential(service, None)
        out[i] = None if cred is None else cred.password
for _ in sys.stdin:
    barrier, out = threading.Barrier(count), [None] * count
    threads = [threading.Thread(target=get, args=(i, barrier, out)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(out), flush=True)
"""


@pytest.mark.serial  # timing-sensitive: runs alone
def test_threads_of_one_process_refresh_once_per_round(aqora, user_env, login):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    aqora.refresh_delay = 0.2  # every thread arrives while the first refresh is in flight
    service = f"{aqora.url}/simple/"
    child = subprocess.Popen(
        [sys.executable, "-c", THREADED_GETS, service, str(THREADS)],
        env=user_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        for round_no in range(ROUNDS):
            aqora.expire_access_tokens()
            stale = make_cached_token_stale(user_env, aqora.url)
            before = aqora.refresh_calls
            child.stdin.write("go\n")
            child.stdin.flush()
            tokens = json.loads(child.stdout.readline() or "null")
            assert tokens is not None, f"round {round_no}: {child.stderr.read()}"
            assert aqora.refresh_calls == before + 1, f"round {round_no}: {tokens}"
            assert aqora.reuse_detected == 0, f"round {round_no}"
            assert len(set(tokens)) == 1, f"round {round_no}: {tokens}"
            assert tokens[0] != stale and aqora.is_valid_access_token(tokens[0])
    finally:
        child.stdin.close()
        child.wait(30)
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()
