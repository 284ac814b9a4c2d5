"""The light `keyring` program (doors/keyring_program.py, `aqora-keyring`): byte-identical
to keyring's own CLI for every `get` form pip and uv use, the fast path on a cached hit,
everything else handed to keyring's CLI; pip and uv authenticate through it."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.doors.keyring_program import parse_get
from shared.pip_index import (
    USERNAME,
    assert_authenticated_by_keyring,
    fresh_venv,
    imported_version,
    make_stale,
    setup,
    uv_configured,
)
from support import (
    BIN_DIR,
    describe,
    heavy_modules_loaded,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    write_config,
)

OURS = os.path.join(BIN_DIR, "aqora-keyring")
# keyring's own CLI in the test venv (its `keyring` script is ours: a console script of
# ours), run under our program's name: usage lines name the program as it was run
THEIRS = [
    sys.executable,
    "-c",
    "import sys; sys.argv[0] = 'aqora-keyring'; from keyring.cli import main; sys.exit(main())",
]


@pytest.fixture
def served(aqora, user_env, login):
    """Logged in; 127.0.0.1:PORT served with a configured username; cache warm."""
    port = aqora.url.rsplit(":", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["127.0.0.1:{port}"]\nusername = "{USERNAME}"\n',
    )
    login()
    warm = run_cmd(["aqora-helper", "token"], user_env)
    assert warm.returncode == 0, describe(warm)
    return f"http://127.0.0.1:{port}/simple/"


def get_forms(url: str) -> list[list[str]]:
    """Every `get` form pip and uv send, and argparse's reorderings of them."""
    return [
        ["get", url, "someone"],
        ["get", url, "--mode", "creds"],
        ["get", url, "someone", "--mode", "creds"],
        ["--mode=creds", "--output=json", "get", url],
        ["--mode=creds", "--output=json", "get", url, "someone"],
        ["--mode", "creds", "get", url],
        ["--output", "json", "get", url, "someone"],
        ["get", url, "someone", "--output=json"],
        ["--output=json", "get", url, "--mode=creds"],
        ["--mode=password", "get", url, "x", "--mode=creds"],
    ]


def both(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], ...]:
    return run_cmd([OURS, *args], env), run_cmd([*THEIRS, *args], env)


def same(ours: subprocess.CompletedProcess[str], theirs: subprocess.CompletedProcess[str]) -> None:
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    ), f"ours:\n{describe(ours)}\ntheirs:\n{describe(theirs)}"


def test_every_get_form_is_byte_identical_to_keyrings_cli(aqora, user_env, served):
    for args in get_forms(served):
        ours, theirs = both(args, user_env)
        same(ours, theirs)
        assert ours.returncode == 0
        token = json.loads(ours.stdout)["password"] if "json" in str(args) else ours.stdout
        assert aqora.is_valid_access_token(token.splitlines()[-1] if "\n" in token else token)
    creds = run_cmd([OURS, "get", served, "--mode", "creds"], user_env)
    assert creds.stdout.splitlines()[0] == USERNAME  # the environment's configured username
    assert aqora.refresh_calls == 0


def test_a_cached_get_is_the_fast_path_for_every_form(user_env, served):
    """The fourth front door: no keyring, re, typing, typer or engine on a cached hit."""
    for args, launcher in itertools.product(get_forms(served), (False, True)):
        argv = ["keyring", *args]
        proc = run_entry_point("aqora_helper.doors.keyring_program", argv, user_env, "", launcher)
        assert proc.returncode == 0, describe(proc)
        assert heavy_modules_loaded(proc) == [], (args, launcher)


def test_everything_else_goes_to_keyrings_cli_unchanged(aqora, user_env, served):
    port = aqora.url.rsplit(":", 1)[1]
    listed = [sorted(p.stdout.splitlines()) for p in both(["--list-backends"], user_env)]
    assert listed[0] == listed[1] and len(listed[0]) >= 3  # keyring's order is a set's
    handed = [
        [],
        ["get"],
        ["get", served],  # password mode needs a username: keyring's usage error
        ["get", "--mode", "creds", served],  # argparse: an operand after an option
        ["get", served, "u", "extra"],
        ["--mode", "bogus", "get", served, "u"],
        ["--mod", "creds", "get", served],  # an abbreviation: keyring's to interpret
        ["get", "http://example.com/simple/", "u"],  # not served
        ["get", f"http://aqora.example:{port}/simple/", "u"],  # plain http, not loopback
        ["get", "https://aqora-helper/", "u"],  # our own store's names
        ["--mode=creds", "get", "aqora-helper"],
        ["get", "aqora-helper%09session", "u"],
        ["diagnose"],
    ]
    for args in handed:
        same(*both(args, user_env))
    assert aqora.refresh_calls == 0


def test_keyring_configured_to_another_backend_is_obeyed(user_env, served):
    env = dict(user_env, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    ours, theirs = both(["get", served, "u"], env)
    same(ours, theirs)
    assert ours.returncode == 1 and ours.stdout == ""
    rc = Path(user_env["XDG_CONFIG_HOME"]) / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text("[backend]\ndefault-keyring=keyring.backends.null.Keyring\n")
    same(*both(["--mode=creds", "--output=json", "get", served], user_env))
    off = dict(user_env, AQORA_HELPER_KEYRING="off")
    rc.unlink()
    same(*both(["get", served, "u"], off))


def test_a_served_host_that_fails_warns_once_like_the_backend(aqora, user_env, served):
    """Not logged in any more: the backend's one warning line, then keyring goes on to
    the OS keyring (nothing there): exit 1, as keyring's CLI."""
    del aqora
    assert run_cmd(["aqora-helper", "logout"], user_env).returncode == 0  # drops the cache
    for args in (["get", served, "u"], ["--mode=creds", "--output=json", "get", served]):
        ours, theirs = both(args, user_env)
        same(ours, theirs)
        assert ours.returncode == 1
        assert ours.stderr.count("aqora-helper: ") == 1, describe(ours)


def test_a_stale_token_is_refreshed_once(aqora, user_env, served):
    make_cached_token_stale(user_env, aqora.url)
    proc = run_cmd([OURS, "--mode=creds", "--output=json", "get", served], user_env)
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(json.loads(proc.stdout)["password"])
    assert aqora.refresh_calls == 1


_ARGS = st.lists(
    st.sampled_from(
        ["get", "set", "U", "user", "--mode", "creds", "password", "--output", "json", "plain",
         "--mode=creds", "--output=json", "--mode=x", "-b", "--", "-", "--mo", "--list-backends"]
    ),
    max_size=7,
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_ARGS)
def test_fuzz_a_get_we_answer_is_the_get_keyring_would_run(args):
    """Whenever the program answers a command line itself, keyring's argparse reads the
    same get (mode, output, service, username) from it, without a usage error."""
    from keyring.cli import CommandLineTool

    parsed = parse_get(args)
    if parsed is None:
        return
    tool = CommandLineTool()
    ns = tool.parser.parse_args(args)  # SystemExit here would be a mismatch
    vars(tool).update(vars(ns))
    tool._check_args()
    assert (ns.get_mode, ns.output_format, ns.service, ns.username) == parsed
    assert ns.operation == "get" and not ns.list_backends and not ns.disable


# --- pip and uv through the program -------------------------------------------------
@pytest.fixture
def via_ours(pkg_env, tmp_path):
    """`keyring` on PATH is our program (as install.sh links it), logging each argv."""
    bin_dir = tmp_path / "our-bin"
    bin_dir.mkdir()
    log = tmp_path / "keyring-calls"
    (bin_dir / "keyring").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >>{log}\nexec {OURS} "$@"\n')
    (bin_dir / "keyring").chmod(0o755)
    pkg_env["PATH"] = f"{bin_dir}{os.pathsep}{pkg_env['PATH']}"
    return log


def pip_through(env: dict[str, str], index, venv: Path, program: Path) -> None:
    proc = run_cmd(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-v",
         "--no-cache-dir", "--no-input", "--disable-pip-version-check",
         "--keyring-provider", "subprocess", "--index-url", index.simple_url, "tinypkg"],
        env, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    assert f"subprocess with executable {program}" in proc.stdout, describe(proc)


def test_pip_subprocess_mode_through_our_program(aqora, index, pkg_env, via_ours, tmp_path):
    """pip asks `--mode=creds --output=json get URL`: the JSON form."""
    program = tmp_path / "our-bin" / "keyring"
    venv = fresh_venv(tmp_path / "v1")
    pip_through(pkg_env, index, venv, program)
    assert imported_version(venv, pkg_env) == "0.1"
    assert_authenticated_by_keyring(index)
    calls = via_ours.read_text().splitlines()
    assert any(c.startswith("--mode=creds --output=json get http://") for c in calls), calls

    before = make_stale(aqora, pkg_env)
    index.clear_seen()
    pip_through(pkg_env, index, fresh_venv(tmp_path / "v2"), program)
    assert imported_version(tmp_path / "v2", pkg_env) == "0.1"
    assert aqora.refresh_calls == before + 1
    assert_authenticated_by_keyring(index)


def test_uv_through_our_program(aqora, index, pkg_env, via_ours, tmp_path):
    """uv asks `get URL USERNAME`: the plain form."""
    env = dict(pkg_env)
    env.pop("PIP_CONFIG_FILE", None)
    env.pop("UV_NO_CONFIG", None)
    setup("uv", env, index)
    venv = fresh_venv(tmp_path / "v1")
    uv_configured(pkg_env, index, venv, "tinypkg")
    assert imported_version(venv, pkg_env) == "0.1"
    assert_authenticated_by_keyring(index, after_401=False)
    calls = via_ours.read_text().splitlines()
    assert any(c.startswith("get http://") for c in calls), calls

    before = make_stale(aqora, pkg_env)
    index.clear_seen()
    uv_configured(pkg_env, index, fresh_venv(tmp_path / "v2"), "tinypkg")
    assert aqora.refresh_calls == before + 1
    assert_authenticated_by_keyring(index, after_401=False)
