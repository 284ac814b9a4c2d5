"""A newcomer whose OS keyring went away after login (no Secret Service on D-Bus): the
cached token still works, and `status` and `doctor` say plainly that the keyring is
unusable and what to do, instead of nesting the error inside the storage name."""

from __future__ import annotations

import json
from pathlib import Path

from support import base_url, describe, run_cmd


def no_keyring(user_env: dict[str, str]) -> dict[str, str]:
    """The same user with no Secret Service reachable (a D-Bus address nobody serves)."""
    missing = Path(user_env["HOME"]) / "no-bus"
    return {**user_env, "DBUS_SESSION_BUS_ADDRESS": f"unix:path={missing}"}


def test_status_names_an_unusable_keyring_as_an_error_with_its_hint(aqora, user_env, login):
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_status_keyring.py)."""
    login()
    env = no_keyring(user_env)
    url = base_url(aqora.url)

    proc = run_cmd(["aqora-helper", "status", "--json"], env)
    assert proc.returncode == 0, describe(proc)  # the cached token is usable now
    (report,) = json.loads(proc.stdout)["environments"]
    assert report["url"] == url and report["logged_in"] is True
    assert report["storage"] == "OS keyring, unusable now"
    assert "No usable OS keyring" in report["error"]["message"]
    assert "--insecure-storage" in report["error"]["hint"]

    text = run_cmd(["aqora-helper", "status"], env)
    assert "  source:  keyring (OS keyring, unusable now)\n" in text.stdout, describe(text)
    assert "  error:   No usable OS keyring" in text.stdout
    assert "  hint:    Start or unlock a Secret Service" in text.stdout
    assert "Traceback" not in text.stderr


def test_doctor_warns_that_the_session_cannot_be_refreshed_without_the_keyring(
    aqora, user_env, login
):
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_status_keyring.py)."""
    login()
    proc = run_cmd(["aqora-helper", "doctor"], no_keyring(user_env))
    assert proc.returncode == 1, describe(proc)  # the keyring check fails
    session = [line for line in proc.stdout.splitlines() if " session: " in line]
    assert len(session) == 1 and session[0].startswith("warn  session: token from keyring"), (
        describe(proc)
    )
    assert "(OS keyring, unusable now)" in session[0] and "No usable OS keyring" in session[0]
    assert "((" not in proc.stdout and "))" not in proc.stdout
