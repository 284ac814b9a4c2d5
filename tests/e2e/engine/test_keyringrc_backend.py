"""Red team of the keyring backend a user names (keyringrc.cfg, PYTHON_KEYRING_BACKEND):
a name that cannot be loaded (a typo, an uninstalled package) is a two-line error naming
where it was set, never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import BIN_DIR, describe, run_cmd


@pytest.mark.parametrize("where", ["keyringrc.cfg", "PYTHON_KEYRING_BACKEND"])
def test_a_backend_name_that_cannot_be_loaded_is_a_clear_error(
    user_env: dict[str, str], where: str
) -> None:
    """Origin: red team of the keyring backend a user names (was tests/e2e/test_redteam_keyringrc.py)."""
    env = dict(user_env, AQORA_URL="http://127.0.0.1:9")
    name = "keyrings.not_installed.Keyring"
    if where == "keyringrc.cfg":
        cfg = Path(env["XDG_CONFIG_HOME"]) / "python_keyring" / "keyringrc.cfg"
        cfg.parent.mkdir(parents=True)
        cfg.write_text(f"[backend]\ndefault-keyring = {name}\n")
    else:
        env["PYTHON_KEYRING_BACKEND"] = name
    proc = run_cmd([f"{BIN_DIR}/aqora-helper", "token"], env)
    assert proc.returncode == 1, describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[1].startswith("hint: "), describe(proc)
    assert lines[0].startswith("error: No usable OS keyring: "), describe(proc)
    assert where in lines[0] and "cannot be loaded" in lines[0], describe(proc)
    if where == "PYTHON_KEYRING_BACKEND":
        assert name in lines[0], describe(proc)
