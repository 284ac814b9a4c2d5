"""`aqora-helper setup docker --remove` with a corrupt undo record: two lines, nothing changed.

The record itself (round trip, field checks, corrupt records): tests/unit/setup/test_dockerrecord.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import describe


def test_cli_reports_a_corrupt_record_in_two_lines(
    user_env: dict[str, str], run: Callable[..., Any], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    state = data / "docker-setup.json"
    state.write_text('{"version": 7, "configs": {}}')
    state.chmod(0o600)
    env = {**user_env, "AQORA_HELPER_DATA_DIR": str(data)}
    proc = run(["aqora-helper", "setup", "docker", "--remove"], env)
    assert proc.returncode == 1, describe(proc)
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "version 7" in lines[0], describe(proc)
    assert lines[1].startswith("hint: ") and "Traceback" not in proc.stderr
    assert state.read_text() == '{"version": 7, "configs": {}}'
