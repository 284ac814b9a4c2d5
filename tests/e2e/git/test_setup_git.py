"""`aqora-helper setup git`: scoped helper entries, idempotent, exactly undone by --remove.

Runs `aqora-helper setup git` in-process against a temporary HOME, a real config file and real
`git config` (test_git_clients.py runs the installed `aqora-helper setup git`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shared.setup_git import isolated_home, setup

LOCAL = "http://127.0.0.1:8080"

EXISTING = """\
[user]
\tname = Alice
\temail = alice@example.com
[credential]
\thelper = store
[credential "https://github.com"]
\thelper =
\thelper = manager
# a comment the user cares about
[core]
\teditor = vim
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def git_values(home: Path, key: str, *scope: str, cwd: Path | None = None) -> list[str]:
    proc = subprocess.run(
        ["git", "config", *(scope or ("--global",)), "--null", "--get-all", key],
        capture_output=True,
        text=True,
        cwd=cwd or home,
    )
    return proc.stdout.split("\0")[:-1]


def changes(out: str, verb: str) -> int:
    """How many changes of this kind setup listed in its preview."""
    return sum(line.startswith(f"  {verb}") for line in out.splitlines())


def test_setup_writes_scoped_entries_and_remove_restores_bytes(home: Path) -> None:
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(EXISTING)
    before = gitconfig.read_bytes()

    code, out, _ = setup()
    assert code == 0, out
    code, out2, _ = setup("--url", LOCAL)
    assert code == 0, out2
    for section in (
        "https://aqora.io",
        "https://git.aqora.io",
        "http://127.0.0.1:8080",
        "https://127.0.0.1:8080",
    ):
        assert git_values(home, f"credential.{section}.helper") == ["", "aqora"]
    assert changes(out + out2, "add: ") == 4  # each shown before it is written
    assert (out + out2).count(f"wrote: {gitconfig}") == 2
    # other helpers untouched
    assert git_values(home, "credential.helper") == ["store"]
    assert git_values(home, "credential.https://github.com.helper") == ["", "manager"]
    assert gitconfig.read_bytes().startswith(before)

    code, out, _ = setup("--remove")
    assert code == 0, out
    code, out2, _ = setup("--remove", "--url", LOCAL + "/")
    assert code == 0, out2
    assert changes(out + out2, "remove: ") == 4
    assert gitconfig.read_bytes() == before


def test_setup_is_idempotent(home: Path) -> None:
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(EXISTING)
    assert setup()[0] == 0
    once = gitconfig.read_bytes()
    code, out, _ = setup("--global")
    assert code == 0
    assert gitconfig.read_bytes() == once
    assert all(line.startswith("unchanged: ") for line in out.strip().splitlines())
    # removing twice is fine too
    assert setup("--remove")[0] == 0
    after_remove = gitconfig.read_bytes()
    code, out, _ = setup("--remove")
    assert code == 0 and gitconfig.read_bytes() == after_remove == EXISTING.encode()
    assert all(line.startswith("unchanged: ") for line in out.strip().splitlines())


def test_remove_keeps_a_section_with_other_keys(home: Path) -> None:
    gitconfig = home / ".gitconfig"
    text = EXISTING + '[credential "https://aqora.io"]\n\tusername = alice\n\tuseHttpPath = true\n'
    gitconfig.write_text(text)
    assert setup()[0] == 0
    assert git_values(home, "credential.https://aqora.io.helper") == ["", "aqora"]
    assert git_values(home, "credential.https://aqora.io.username") == ["alice"]
    assert setup("--remove")[0] == 0
    assert gitconfig.read_text() == text


def test_setup_without_a_config_file(home: Path) -> None:
    assert setup()[0] == 0
    assert git_values(home, "credential.https://aqora.io.helper") == ["", "aqora"]
    assert setup("--remove")[0] == 0
    # the file git created only for these entries is gone again
    assert not (home / ".gitconfig").exists()


def test_url_selects_one_environment(home: Path) -> None:
    code, out, _ = setup("--url", LOCAL)
    assert code == 0
    assert git_values(home, "credential.http://127.0.0.1:8080.helper") == ["", "aqora"]
    assert git_values(home, "credential.https://127.0.0.1:8080.helper") == ["", "aqora"]
    assert git_values(home, "credential.https://aqora.io.helper") == []
    assert changes(out, "add: ") == 2


def test_aqora_url_selects_the_default(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AQORA_URL", LOCAL)
    assert setup()[0] == 0
    assert git_values(home, "credential.http://127.0.0.1:8080.helper") == ["", "aqora"]
    assert git_values(home, "credential.https://aqora.io.helper") == []


def test_unconfigured_url_serves_its_api_host(home: Path) -> None:
    code, out, _ = setup("--url", "https://staging.aqora.io")
    assert code == 0
    assert git_values(home, "credential.https://staging.aqora.io.helper") == ["", "aqora"]
    assert changes(out, "add: ") == 1


def test_hand_edited_entries_are_left_alone(home: Path) -> None:
    gitconfig = home / ".gitconfig"
    gitconfig.write_text('[credential "https://aqora.io"]\n\thelper = other\n')
    code, _, err = setup()
    assert code == 1
    assert "skipped credential.https://aqora.io.helper" in err
    assert git_values(home, "credential.https://aqora.io.helper") == ["other"]
    # the other hosts were still configured
    assert git_values(home, "credential.https://git.aqora.io.helper") == ["", "aqora"]
    code, _out, err = setup("--remove")
    assert code == 1 and "left credential.https://aqora.io.helper alone" in err
    assert gitconfig.read_text() == '[credential "https://aqora.io"]\n\thelper = other\n'


def test_local_scope(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = home / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    before = (repo / ".git" / "config").read_bytes()
    monkeypatch.chdir(repo)
    assert setup("--local")[0] == 0
    assert git_values(home, "credential.https://aqora.io.helper", "--local", cwd=repo) == [
        "",
        "aqora",
    ]
    assert not (home / ".gitconfig").exists()
    assert setup("--local", "--remove")[0] == 0
    assert (repo / ".git" / "config").read_bytes() == before


def test_local_outside_a_repository_is_a_clear_error(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(home)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(home.parent))
    code, _, err = setup("--local")
    assert code == 1 and "error: git config --local" in err and "Traceback" not in err
    assert "hint: " in err
