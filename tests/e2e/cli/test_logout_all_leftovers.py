"""`aqora-helper logout --all` (with `setup all --remove`, the uninstall of the uv tool
and pipx routes) leaves neither the token cache nor the list of sessions behind; a
file of the user's in those folders stays, and so do the folders that hold it."""

from __future__ import annotations

from pathlib import Path

from support import describe, run_cmd, write_config


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def test_logout_all_leaves_no_cache_and_no_session_list(aqora, user_env, login):
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    token = run_cmd(["aqora-helper", "token"], user_env)
    assert token.returncode == 0, describe(token)
    home = Path(user_env["HOME"])
    cache = home / ".cache" / "aqora-helper"
    data = home / ".local" / "share" / "aqora-helper"
    assert files_under(cache) and (data / "sessions.json").exists()
    mine = cache / "notes.txt"
    mine.write_text("the user's own file\n")

    out = run_cmd(["aqora-helper", "logout", "--all"], user_env)
    assert out.returncode == 0, describe(out)
    assert files_under(cache) == ["notes.txt"], describe(out)
    assert not (data / "sessions.json").exists(), files_under(data)
    status = run_cmd(["aqora-helper", "status"], user_env)
    assert status.returncode == 1 and "not logged in" in status.stdout, describe(status)

    mine.unlink()
    login()
    assert run_cmd(["aqora-helper", "logout", "--all"], user_env).returncode == 0
    assert not cache.exists(), files_under(cache)
