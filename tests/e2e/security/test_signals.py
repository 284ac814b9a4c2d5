"""Signals never lose a session: a terminal's Ctrl-C, Ctrl-\\ (SIGQUIT), SIGTERM, SIGHUP and
the like, at any point of a refresh (the rotated session is stored before the process
stops), and the message never claims that nothing changed. All timing-sensitive: they
run alone (serial)."""

from __future__ import annotations

import contextlib
import random
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from servers.aqora import AqoraServer
from support import (
    clear_keyring_session,
    describe,
    login_args,
    make_cached_token_stale,
    make_user_env,
    repetitions,
    run_cmd,
    stored_refresh_token,
    wait_for,
    write_config,
)

# --------------------------------------------------------------------------------------
# Class 7 variant: Ctrl-\ (SIGQUIT) is a terminal-generated signal too. Only SIGINT,
# SIGTERM and SIGHUP are deferred; SIGQUIT's default action kills the process between
# the server's rotation and the store, so the stored refresh token is the dead one.


@pytest.mark.serial  # timing-sensitive: runs alone
def test_sigquit_during_refresh_never_loses_the_session(
    aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., Any]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    aqora.refresh_delay = 0.6  # the server has rotated; its answer is on the way
    make_cached_token_stale(user_env, aqora.url)
    before = aqora.refresh_calls
    victim = subprocess.Popen(
        ["aqora-helper", "token", "--url", aqora.url],
        env=user_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert wait_for(lambda: aqora.refresh_calls > before)
    time.sleep(0.1)
    victim.send_signal(signal.SIGQUIT)  # what Ctrl-\ sends to the foreground job
    _, err = victim.communicate(timeout=60)
    what = f"exit {victim.returncode}\n{err}"
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens(), what
    after = run_cmd(["aqora-helper", "token", "--url", aqora.url], user_env)
    assert after.returncode == 0, what + describe(after)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1, signal.SIGALRM])
@pytest.mark.serial  # timing-sensitive: runs alone
def test_other_terminating_signals_are_deferred_too(signum: int) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from aqora_helper.fast.signals import deferred_signals

    received: list[int] = []
    previous = signal.signal(signum, lambda s, _f: received.append(s))
    try:
        with deferred_signals():
            signal.raise_signal(signum)
            assert received == []
        assert received == [signum]
    finally:
        signal.signal(signum, previous)


# --- 5. Ctrl-C during a refresh -------------------------------------------------------


@pytest.mark.serial  # timing-sensitive: runs alone
def test_ctrl_c_during_a_refresh_says_the_session_is_safe(aqora, user_env, login):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    before = stored_refresh_token(user_env, aqora.url)
    victims: list[subprocess.Popen[str]] = []
    aqora.refresh_hook = lambda: victims[0].send_signal(signal.SIGINT)  # server has rotated
    victims.append(
        subprocess.Popen(
            ["aqora-helper", "token"],
            env=user_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    out, err = victims[0].communicate(timeout=60)
    aqora.refresh_hook = None
    assert victims[0].returncode == 130 and out == "", err
    assert err.splitlines()[0] == "error: interrupted", err
    assert "nothing was changed" not in err and "session is safe" in err, err
    rotated = stored_refresh_token(user_env, aqora.url)
    assert rotated != before and rotated in aqora.valid_refresh_tokens()
    later = run_cmd(["aqora-helper", "token"], user_env)
    assert later.returncode == 0 and aqora.reuse_detected == 0, describe(later)


# --------------------------------------------------------------------------------------
# Class 7: signals during a refresh


TRIES = repetitions(24)  # each door and signal several times; TESTS_REPEAT for more


SIGNALS = (signal.SIGINT, signal.SIGINT, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def door_commands(aqora: AqoraServer) -> list[tuple[list[str], str]]:
    host = aqora.url.split("://", 1)[1]
    return [
        (["aqora-helper", "token", "--url", aqora.url], ""),
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n\n"),
        (["docker-credential-aqora", "get"], host),
    ]


@pytest.mark.serial  # timing-sensitive: runs alone
def test_signals_during_refresh_never_lose_the_session(aqora, tmp_path):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    env = make_user_env(tmp_path / "signals-home")
    write_config(env, f'url = "{aqora.url}"\n')
    proc = run_cmd(login_args(aqora.url), env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    aqora.refresh_delay = 0.3  # the server has rotated; its answer is on the way
    doors = door_commands(aqora)
    chance = random.Random(11)
    for attempt in range(TRIES):
        argv, stdin = doors[attempt % len(doors)]
        make_cached_token_stale(env, aqora.url)
        before = aqora.refresh_calls
        victim = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert victim.stdin is not None
        victim.stdin.write(stdin)
        victim.stdin.close()
        victim.stdin = None  # written: communicate() only collects the output
        if attempt % 2:
            wait_for(lambda: aqora.refresh_calls > before)
            time.sleep(chance.uniform(0, 0.45))
        else:
            time.sleep(chance.uniform(0, 0.9))
        sig = SIGNALS[attempt % len(SIGNALS)]
        with contextlib.suppress(ProcessLookupError):
            victim.send_signal(sig)
        _, err = victim.communicate(timeout=60)
        what = f"try {attempt}: {argv[0]} got {sig.name} (exit {victim.returncode})\n{err}"
        assert stored_refresh_token(env, aqora.url) in aqora.valid_refresh_tokens(), what
        assert aqora.reuse_detected == 0, what
        after = run_cmd(["aqora-helper", "token", "--url", aqora.url], env)
        assert after.returncode == 0, what + describe(after)
        assert aqora.is_valid_access_token(after.stdout.strip()), what
    clear_keyring_session(env, aqora.url)
