"""Run a client program (git, docker-credential-*, keyring, the official `aqora`) on the
user's behalf where no repository or project file can reach it. Stdlib only; never on
the fast path.

- The working directory is a fresh private empty folder (removed afterwards), with
  `GIT_CEILING_DIRECTORIES` set to the folder above it: git finds no repository there,
  so no `.git/config` (a cloned repository's, an extracted archive's) adds a credential
  helper, an include or anything else; a program that reads project files from its
  working directory (`pyproject.toml`, `.envrc`, ...) finds none.
- The environment is the user's, minus every `GIT_*` variable but the four that name
  the user's own git installation and files (`KEPT_GIT`): `GIT_DIR`, `GIT_WORK_TREE`,
  `GIT_CONFIG` and `GIT_CONFIG_PARAMETERS`/`GIT_CONFIG_COUNT`/`_KEY_n`/`_VALUE_n`
  (what `git -c` passes to the programs git runs, a credential helper included),
  `GIT_TRACE*` and the rest never reach the client. Prompts are off
  (`GIT_TERMINAL_PROMPT=0`).
"""

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence

from .clientenv import client_env


@contextlib.contextmanager
def outside_any_repository() -> Iterator[str]:
    """A fresh, empty, private (0700) folder, removed on exit: a working directory no
    repository contains, for one or more client runs. Raises OSError."""
    with tempfile.TemporaryDirectory(prefix="aqora-helper-client-") as folder:
        yield os.path.realpath(folder)


def run_client(
    args: Sequence[str],
    *,
    timeout: float,
    input: bytes | None = None,
    extra_env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `args` with output captured, stdin `input` (else none), in `cwd` (a folder of
    `outside_any_repository`; default: a fresh one) with `client_env`. Never raises for
    a non-zero exit; raises OSError and subprocess.TimeoutExpired."""
    if cwd is None:
        with outside_any_repository() as folder:
            return run_client(args, timeout=timeout, input=input, extra_env=extra_env, cwd=folder)
    return subprocess.run(
        list(args),
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
        env=client_env(cwd, extra_env),
        check=False,
    )
