"""`aqora-helper exec [--url] [--min-ttl] -- CMD...`: the token in CMD's environment
only (never in any argv), signals forwarded, CMD's exit status returned."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import assert_clean_failure, describe, run_cmd

# The child: reports its pid and environment, then waits for a signal. SIGTERM is
# caught (exit 7); SIGINT and SIGHUP keep their default action (death by the signal).
CHILD = """
import json, os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
report = {"pid": os.getpid(), "token": os.environ.get("AQORA_TOKEN"),
          "url": os.environ.get("AQORA_URL")}
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump(report, f)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
"""


def start_exec(user_env: dict[str, str], tmp_path: Path, *options: str):
    """`aqora-helper exec ... -- python CHILD REPORT` in its own session (no terminal);
    returns the process and the child's report once it is running."""
    report = tmp_path / "report.json"
    proc = subprocess.Popen(
        ["aqora-helper", "exec", *options, "--", sys.executable, "-c", CHILD, str(report)],
        env=user_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not report.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"exec did not start its child: exit {proc.returncode}\n{out}\n{err}")
        time.sleep(0.05)
    return proc, json.loads(report.read_text())


def cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.parametrize(
    ("signum", "status"),
    [
        (signal.SIGTERM, 7),
        (signal.SIGINT, 128 + signal.SIGINT),
        (signal.SIGHUP, 128 + signal.SIGHUP),
    ],
)
@pytest.mark.serial  # timing-sensitive: runs alone
def test_exec_puts_the_token_in_the_environment_only_and_forwards_signals(
    aqora, user_env, login, tmp_path, signum, status
) -> None:
    login()
    expected = run_cmd(["aqora-helper", "token", "--url", aqora.url], user_env).stdout.strip()
    proc, child = start_exec(user_env, tmp_path, "--url", aqora.url)
    try:
        assert child["token"] == expected
        assert child["url"] == aqora.url + "/"
        assert aqora.is_valid_access_token(child["token"])
        token = child["token"].encode()
        assert token in Path(f"/proc/{child['pid']}/environ").read_bytes()
        for pid in (proc.pid, child["pid"]):
            assert token not in cmdline(pid)
        assert cmdline(child["pid"]).startswith(sys.executable.encode())
        proc.send_signal(signum)  # to aqora-helper alone: it must pass it on
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == status, err
    assert out == ""
    assert expected not in err
    assert aqora.refresh_calls == 0


def test_exec_returns_the_exit_status_of_the_command(aqora, user_env, login) -> None:
    login()
    proc = run_cmd(
        [
            "aqora-helper",
            "exec",
            "--url",
            aqora.url,
            "--",
            "sh",
            "-c",
            'test -n "$AQORA_TOKEN"; exit 3',
        ],
        user_env,
    )
    assert proc.returncode == 3, describe(proc)
    shown = run_cmd(
        [
            "aqora-helper",
            "--url",
            aqora.url,
            "exec",
            "--",
            "sh",
            "-c",
            'echo "$AQORA_URL"',
            "--url",
            "x",
        ],
        user_env,
    )
    assert shown.returncode == 0, describe(shown)
    assert shown.stdout == aqora.url + "/\n"  # options after CMD are CMD's


def test_exec_min_ttl_refreshes_first(aqora, user_env, login) -> None:
    login()
    aqora.access_lifetime = 7200
    proc = run_cmd(
        [
            "aqora-helper",
            "exec",
            "--url",
            aqora.url,
            "--min-ttl",
            "90m",
            "--",
            "sh",
            "-c",
            'printf %s "$AQORA_TOKEN"',
        ],
        user_env,
    )
    assert proc.returncode == 0, describe(proc)
    assert aqora.refresh_calls == 1
    assert aqora.is_valid_access_token(proc.stdout)
    too_long = run_cmd(
        ["aqora-helper", "exec", "--url", aqora.url, "--min-ttl", "3h", "--", "true"], user_env
    )
    assert_clean_failure(too_long, "live shorter than asked")


def test_exec_failures(aqora, user_env, login) -> None:
    not_logged_in = run_cmd(["aqora-helper", "exec", "--url", aqora.url, "--", "true"], user_env)
    assert_clean_failure(not_logged_in, "Not logged in")
    login()
    missing = run_cmd(
        ["aqora-helper", "exec", "--url", aqora.url, "--", "no-such-command-aqora"], user_env
    )
    assert missing.returncode == 127, describe(missing)
    assert "error: cannot run 'no-such-command-aqora'" in missing.stderr
    assert "hint: " in missing.stderr
    no_command = run_cmd(["aqora-helper", "exec", "--url", aqora.url], user_env)
    assert no_command.returncode == 2, describe(no_command)
