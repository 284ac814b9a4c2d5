"""doctor: every fix line it prints is a command that works when pasted (each is run in a
shell, then doctor is run again and that check passes); the containers auth.json and
the shadowed / missing `keyring` program checks; a client set up for some served hosts
is ok with a note for the others, a client set up for none warns."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from pathlib import Path

from support import BIN_DIR, base_url, describe, run_cmd, write_config

FIX = re.compile(r"^(ok|note|warn|fail) +([a-z]+): (.*)\n      (?:fix|to add): (.*)$", re.M)


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", "doctor"], env)


def fixes(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    """(status, check, fix) of every line with a fix."""
    return [(m[0], m[1], m[3]) for m in FIX.findall(proc.stdout)]


def paste(env: dict[str, str], *commands: str) -> subprocess.CompletedProcess[str]:
    """Run `commands` in one shell as a user pasting them, then doctor in that shell."""
    script = " && ".join([*commands, "aqora-helper doctor"])
    return run_cmd(["sh", "-c", script], env)


def status_of(proc: subprocess.CompletedProcess[str], check: str) -> set[str]:
    return set(re.findall(rf"^(ok|note|warn|fail) +{check}: ", proc.stdout, re.M))


def client_env(user_env: dict[str, str], home: Path, aqora_url: str) -> dict[str, str]:
    """A user whose pip and uv read their own user config files."""
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    host = aqora_url.split("://")[1]
    pip = home / ".config" / "pip" / "pip.conf"
    pip.parent.mkdir(parents=True, exist_ok=True)
    pip.write_text(f"[global]\nindex-url = {aqora_url}/simple/\n")
    uv = home / ".config" / "uv" / "uv.toml"
    uv.parent.mkdir(parents=True, exist_ok=True)
    uv.write_text(f'[[index]]\nname = "mine"\nurl = "{aqora_url}/simple/"\n')
    auth = home / ".config" / "containers" / "auth.json"
    auth.parent.mkdir(parents=True, exist_ok=True)
    auth.write_text(json.dumps({"auths": {host: {"auth": "YWxpY2U6c3RhbGU="}}}))
    return env


def test_every_fix_line_works_when_pasted(aqora, user_env, login, tmp_path):
    """Origin: the user-study review of doctor (was tests/e2e/test_people_doctor_fixes.py)."""
    login()
    env = client_env(user_env, Path(user_env["HOME"]), aqora.url)
    first = doctor(env)
    found = fixes(first)
    checks = {check for _, check, _ in found}
    assert {"git", "docker", "containers", "pip", "uv"} <= checks, describe(first)
    assert re.search(
        r"^fail +containers: static credentials for 127\.0\.0\.1:\d+ in ", first.stdout, re.M
    )
    for _status, check, fix in found:
        if check in ("git", "docker", "containers", "pip", "uv"):
            after = paste(env, fix)
            assert status_of(after, check) == {"ok"}, f"fix: {fix}\n{describe(after)}"
    final = doctor(env)
    assert final.returncode == 0, describe(final)
    assert "fix:" not in final.stdout
    assert re.search(r"^ok +pip: .*keyring answers for", final.stdout, re.M)
    assert re.search(r"^ok +uv: .*keyring answers for", final.stdout, re.M)


def test_login_fix_line_works(aqora, user_env):
    """Origin: the user-study review of doctor (was tests/e2e/test_people_doctor_fixes.py)."""
    env = dict(user_env, AQORA_URL=aqora.url)
    env = {k: v for k, v in env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    first = doctor(env)
    session = [fix for _, check, fix in fixes(first) if check == "session"]
    assert session == [f"aqora-helper login --url {base_url(aqora.url)}"], describe(first)
    approver = threading.Thread(target=lambda: aqora.approve(aqora.wait_for_authorization(30)))
    approver.start()
    after = paste(env, session[0])
    approver.join()
    assert status_of(after, "session") == {"ok"}, describe(after)


def pip_set_up(aqora, user_env, login) -> dict[str, str]:
    """Logged in, pip set up for the stand-in's index: the keyring program is next."""
    login()
    env = client_env(user_env, Path(user_env["HOME"]), aqora.url)
    setup = run_cmd(["aqora-helper", "setup", "pip", "--index-url", f"{aqora.url}/simple/", "--extra"], env)
    assert setup.returncode == 0, describe(setup)
    return env


def test_shadowed_keyring_program(aqora, user_env, login, tmp_path):
    """Origin: the user-study review of doctor (was tests/e2e/test_people_doctor_fixes.py)."""
    env = pip_set_up(aqora, user_env, login)
    other = tmp_path / "other-bin"
    other.mkdir()
    fake = other / "keyring"
    fake.write_text("#!/bin/sh\necho 'keyring.backends.fail.Keyring (priority: 0)'\n")
    fake.chmod(0o755)
    shadowed = dict(env, PATH=f"{other}{os.pathsep}{env['PATH']}")
    proc = doctor(shadowed)
    pip = [f for _, check, f in fixes(proc) if check == "pip"]
    assert re.search(
        rf"^fail +pip: the 'keyring' program first on PATH \({fake}\) cannot see", proc.stdout, re.M
    ), describe(proc)
    assert len(pip) == 1
    after = paste(shadowed, pip[0])
    assert status_of(after, "pip") == {"ok"}, describe(after)


def test_no_keyring_program_on_path(aqora, user_env, login, tmp_path):
    """Origin: the user-study review of doctor (was tests/e2e/test_people_doctor_fixes.py)."""
    env = pip_set_up(aqora, user_env, login)
    bare = tmp_path / "bare-bin"
    bare.mkdir()
    for name in ("aqora-helper", "git-credential-aqora", "docker-credential-aqora"):
        (bare / name).symlink_to(Path(BIN_DIR) / name)
    path = [bare, *(p for p in env["PATH"].split(os.pathsep) if p != BIN_DIR)]
    env = dict(env, PATH=os.pathsep.join(str(p) for p in path))
    proc = doctor(env)
    assert re.search(r"^fail +pip: no 'keyring' program on PATH", proc.stdout, re.M), describe(proc)
    pip = [f for _, check, f in fixes(proc) if check == "pip"]
    after = paste(env, pip[0])
    assert status_of(after, "pip") == {"ok"}, describe(after)


def one_environment(aqora, user_env, login) -> tuple[dict[str, str], str]:
    """A newcomer's environment: the API host and a git host in `hosts`; logged in."""
    api = aqora.url.split("://")[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{api}", "git.aqora.test"]\n',
    )
    login()
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    return env, api


def test_newcomer_each_client_set_up_for_its_own_host(aqora, user_env, login):
    """Origin: the user-study review of doctor (was tests/e2e/test_people_doctor_fixes.py)."""
    env, api = one_environment(aqora, user_env, login)
    for args in (
        ["git"],  # the API and git hosts; the next two add their host to `hosts`
        ["docker", "registry.aqora.test"],
        ["pip", "--index-url", "https://pypi.aqora.test/simple/", "--replace"],
    ):
        proc = run_cmd(["aqora-helper", "setup", *args], env)
        assert proc.returncode == 0, describe(proc)
    first = doctor(env)
    assert first.returncode == 0, describe(first)
    assert not re.search(r"^(warn|fail) ", first.stdout, re.M), describe(first)
    assert re.search(rf"^ok +git: aqora answers first for https://{api}, ", first.stdout, re.M)
    assert re.search(r"^ok +docker: credHelpers use aqora for registry\.aqora\.test$",
                     first.stdout, re.M), describe(first)  # fmt: skip
    assert re.search(r"^ok +pip: .*keyring answers for https://aqora@pypi\.aqora\.test/", first.stdout,
                     re.M), describe(first)  # fmt: skip
    notes = {check: fix for status, check, fix in fixes(first) if status == "note"}
    assert set(notes) == {"git", "docker"}, describe(first)
    assert notes["docker"] == f"aqora-helper setup docker {api} git.aqora.test pypi.aqora.test"
    assert re.search(r"^note +git: aqora is not a credential helper for "
                     r"https://registry\.aqora\.test, https://pypi\.aqora\.test \(add them only",
                     first.stdout, re.M), describe(first)  # fmt: skip
    for check, fix in notes.items():  # each note's command works when pasted
        after = paste(env, fix)
        assert status_of(after, check) == {"ok"}, f"to add: {fix}\n{describe(after)}"
    assert "note " not in doctor(env).stdout


def test_a_client_set_up_for_no_served_host_warns(aqora, user_env, login):
    """Origin: the user-study review of doctor (was tests/e2e/test_people_doctor_fixes.py)."""
    env, api = one_environment(aqora, user_env, login)
    docker = Path(env["DOCKER_CONFIG"]) / "config.json"
    docker.parent.mkdir(parents=True)
    docker.write_text(json.dumps({"credHelpers": {"other.example": "desktop"}}))
    first = doctor(env)
    assert first.returncode == 0, describe(first)  # warnings exit 0, failures 1
    warned = {check: fix for status, check, fix in fixes(first) if status == "warn"}
    assert warned["git"] == f"aqora-helper setup git --url {base_url(aqora.url)}", describe(first)
    assert warned["docker"] == f"aqora-helper setup docker {api} git.aqora.test"
    assert re.search(rf"^warn +docker: no aqora credHelper for {api}, git\.aqora\.test \(if you",
                     first.stdout, re.M), describe(first)  # fmt: skip
    for check in ("git", "docker"):
        after = paste(env, warned[check])
        assert status_of(after, check) == {"ok"}, f"fix: {warned[check]}\n{describe(after)}"
