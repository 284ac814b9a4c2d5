"""docker-credential-aqora as a console script: version, bad input without a traceback,
list and erase for a fresh user, and a module top that imports only the standard library.

The protocol itself, with the engine replaced by fakes, is tests/unit/doors/test_docker.py;
skopeo, the docker CLI and docker-py are in test_docker_clients.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from aqora_helper.doors import docker as front

NOT_FOUND = b"credentials not found in native keychain\n"


def run_program(
    args: list[str], env: dict[str, str], data: bytes | None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["docker-credential-aqora", *args],
        input=data,
        stdin=None if data is not None else subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
    )


def test_console_script_version(user_env: dict[str, str]) -> None:
    proc = run_program(["version"], user_env, None)
    assert proc.returncode == 0
    assert proc.stdout == f"docker-credential-aqora (aqora-helper) v{front.__version__}\n".encode()


@pytest.mark.parametrize(
    ("args", "data", "expected"),
    [
        ([], b"", b"Usage: docker-credential-aqora"),
        (["nope"], b"", b"Usage: docker-credential-aqora"),
        (["get", "x"], b"", b"Usage: docker-credential-aqora"),
        (["get"], b"", b"no credentials server URL"),
        (["get"], b"\xff\xfe", b"not valid UTF-8"),
        (["get"], b"evil.com", NOT_FOUND),
        (["get"], b"https://index.docker.io/v1/", NOT_FOUND),
        (["store"], b"{not json", b"invalid JSON"),
        (["store"], b"x" * (front.MAX_STORE_BYTES + 10), b"too large"),
    ],
)
def test_console_script_bad_input_without_traceback(
    user_env: dict[str, str], args: list[str], data: bytes, expected: bytes
) -> None:
    proc = run_program(args, user_env, data)
    assert proc.returncode == 1
    assert expected in proc.stdout and proc.stdout.count(b"\n") <= 2
    assert b"Traceback" not in proc.stderr and b"Traceback" not in proc.stdout


def test_console_script_list_and_erase_for_a_fresh_user(user_env: dict[str, str]) -> None:
    proc = run_program(["list"], user_env, b"unused")
    assert (proc.returncode, proc.stdout) == (0, b"{}\n"), proc
    proc = run_program(["erase"], user_env, b"evil.com")
    assert (proc.returncode, proc.stdout) == (0, b""), proc


def test_module_top_is_stdlib_only() -> None:
    code = (
        "import sys, aqora_helper.doors.docker\n"
        "heavy = {'typer', 'click', 'rich', 'pydantic', 'requests', 'keyring', 'platformdirs',"
        " 'aqora_helper.engine.served', 'aqora_helper.engine.session', 'aqora_helper.engine.settings'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
