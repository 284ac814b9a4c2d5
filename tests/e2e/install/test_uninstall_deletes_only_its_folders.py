"""`install.sh --uninstall` deletes the folders aqora-helper created (recorded when they
were created: install.sh's own list, and `created-folders` in the data directory for
those the helper made), each only when empty, and no other: with the data directory set
to a shared folder (`AQORA_HELPER_DATA_DIR=$HOME/.local/share`) every other application's
empty folder stays. Its leftover report reads the user's git config as the helper does:
no repository around it, no GIT_* variable of a project."""

from __future__ import annotations

import subprocess
from pathlib import Path

from servers.aqora import AqoraServer
from shared.install import helper, install
from support import describe, write_config

OTHER_APPS = ("Trash/files", "keyrings", "other-app/cache", "applications")


def test_uninstall_with_a_shared_data_directory_keeps_other_apps_folders(
    aqora: AqoraServer,
    clone: Path,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    home = Path(env["HOME"])
    share = home / ".local" / "share"
    for name in OTHER_APPS:
        (share / name).mkdir(parents=True)
    env = dict(env, AQORA_HELPER_DATA_DIR=str(share))
    first = install(clone, env)
    assert first.returncode == 0, describe(first)
    write_config(env, f'url = "{aqora.url}"\n')
    login = helper(env, "login", "--interactive", "--insecure-storage", "--username", "alice",
                   "--password-stdin", stdin="pw\n")  # fmt: skip
    assert login.returncode == 0, describe(login)
    assert (share / "insecure").is_dir() and (share / "sessions.json").is_file()
    # A helper entry of another host that no setup wrote: the report must name it.
    subprocess.run(
        ["git", "config", "--global", "credential.https://git.example.helper", "aqora"],
        check=True,
        env=env,
    )
    repo = tmp_path / "some-repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    around = dict(env, GIT_DIR=str(repo / ".git"), GIT_CONFIG=str(tmp_path / "project.gitconfig"))

    removed = install(clone, around, "--uninstall")
    out = removed.stdout + removed.stderr
    assert removed.returncode == 0, describe(removed)
    assert [name for name in OTHER_APPS if not (share / name).is_dir()] == [], out
    assert not (share / "insecure").exists(), out  # the helper made it: recorded, deleted
    assert not (share / "sessions.json").exists() and not (share / "created-folders").exists()
    assert sorted(p.name for p in share.iterdir()) == ["Trash", "applications", "keyrings",
                                                       "other-app"], out  # fmt: skip
    assert "aqora-helper's data" not in out and f"rm -r '{share}'" not in out, out
    assert "left: git config: credential.https://git.example.helper = aqora" in out, out
