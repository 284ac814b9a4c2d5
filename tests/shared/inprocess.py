"""`aqora-helper ARGS` run in the test process instead of a new one: for a fixture's
set-up steps (log alice in, warm the cache), where a new process would cost its start-up
(typer, pydantic, requests: about 0.5 s of CPU) and prove nothing the test is about.

The command runs through the CLI's own entry (`cli.app.run`) with `env` as the whole
process environment, the password or other input on stdin and its output captured; the
environment, stdio and working folder are put back afterwards. The behaviour under test
always runs as a real process (`support.run_cmd`).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator

from aqora_helper.cli.app import run

# What a set-up step must not be run in this process with: a debug log handler would stay
# installed, and a keyring backend chosen by variable would be cached for later steps.
NEEDS_A_PROCESS = ("AQORA_HELPER_LOG", "PYTHON_KEYRING_BACKEND", "KEYRING_PROPERTY_")


def needs_a_process(env: dict[str, str]) -> bool:
    """True when `env` sets something this process would keep (see NEEDS_A_PROCESS)."""
    return any(name.startswith(NEEDS_A_PROCESS) for name in env)


@contextlib.contextmanager
def _as_process(env: dict[str, str], stdin: str) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    saved_env = dict(os.environ)
    saved_io = sys.stdin, sys.stdout, sys.stderr
    saved_cwd = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_io
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def run_cli(
    args: list[str], env: dict[str, str], input: str = ""
) -> subprocess.CompletedProcess[str]:
    """`aqora-helper ARGS` in this process; the result as `subprocess.run` would give it."""
    if needs_a_process(env):
        raise ValueError(f"run {args[:1]} as a process: the environment sets {NEEDS_A_PROCESS}")
    with _as_process(env, input) as (out, err):
        try:
            code = run(list(args))
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return subprocess.CompletedProcess(
        ["aqora-helper", *args], code, out.getvalue(), err.getvalue()
    )
