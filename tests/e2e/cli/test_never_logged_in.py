"""Never logged in: `aqora-helper token` and a get of each front door for a served host
answer "nothing" (each in its own protocol) and create no file: no host index, no
refresh lock, no cache or data directory. Once there is a session, the index is written
(later cached gets need it)."""

from __future__ import annotations

from pathlib import Path

from support import clear_keyring_session, describe, run_cmd, write_config


def _files(home: Path) -> set[Path]:
    return set(home.rglob("*"))


def _gets(host: str) -> list[tuple[list[str], str]]:
    """(argv, stdin) of a get for `host` through git, docker and the keyring program."""
    return [
        (["git-credential-aqora", "get"], f"protocol=https\nhost={host}\nusername=alice\n\n"),
        (["docker-credential-aqora", "get"], host),
        (["keyring", "--mode=creds", "--output=json", "get", f"https://{host}/simple/"], ""),
    ]


def test_token_for_the_default_environment_creates_no_file(user_env):
    """A fresh HOME, no config: the built-in default environment, never logged in."""
    clear_keyring_session(user_env, "https://aqora.io")
    home = Path(user_env["HOME"])
    before = _files(home)
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert proc.returncode == 1, describe(proc)
    assert proc.stdout == ""
    assert proc.stderr == (
        "error: Not logged in to https://aqora.io/\n"
        "hint: Run 'aqora-helper login --url https://aqora.io/'.\n"
    ), describe(proc)
    assert _files(home) == before


def test_a_get_for_the_default_host_creates_no_file(user_env):
    """aqora.io: the one host the default environment serves without a config."""
    host = "aqora.io"
    clear_keyring_session(user_env, "https://aqora.io")
    home = Path(user_env["HOME"])
    before = _files(home)
    for argv, stdin in _gets(host):
        proc = run_cmd(argv, user_env, stdin)
        assert "password=" not in proc.stdout and "Secret" not in proc.stdout, describe(proc)
        assert "Traceback" not in proc.stderr, describe(proc)
        assert _files(home) == before, argv[0]


def test_a_configured_environment_never_logged_in_creates_no_file(aqora, user_env, login):
    """The stand-in configured (its host served), never logged in: nothing is created by
    token or any get; after a login the index exists and gets answer."""
    port = aqora.url.rsplit(":", 1)[1]
    host = f"127.0.0.1:{port}"
    write_config(user_env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{host}"]\n')
    home = Path(user_env["HOME"])
    before = _files(home)
    token = run_cmd(["aqora-helper", "token"], user_env)
    assert token.returncode == 1 and token.stderr.startswith("error: Not logged in"), describe(token)
    for argv, stdin in _gets(host):
        proc = run_cmd(argv, user_env, stdin.replace("https", "http"))
        assert "password=" not in proc.stdout and "Secret" not in proc.stdout, describe(proc)
        assert _files(home) == before, argv[0]
    login()
    git = run_cmd(["git-credential-aqora", "get"], user_env, f"protocol=http\nhost={host}\n\n")
    assert git.returncode == 0 and "password=" in git.stdout, describe(git)
    assert (home / ".cache" / "aqora-helper" / "hosts.json").is_file()
