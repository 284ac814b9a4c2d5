"""Every client program aqora-helper runs on the user's behalf (git for `logout`, `setup
git` and `doctor`, the `keyring` program for `doctor`, a previous `docker-credential-*`
store, the official `aqora` program) runs outside any repository and without the `GIT_*`
variables a project or `git -c` set: no `.git/config` of the current directory and no
`GIT_DIR`/`GIT_CONFIG_PARAMETERS`/`GIT_CONFIG_COUNT` reaches it.

Each test runs aqora-helper from inside a repository whose `.git/config` lists a
credential helper that records what it receives, with `GIT_DIR`, `GIT_WORK_TREE`,
`GIT_CONFIG_PARAMETERS` and `GIT_CONFIG_COUNT`/`_KEY_0`/`_VALUE_0` naming more recording
helpers (`hostile`). Programs other than git are stand-ins on PATH that record their
working directory and `GIT_*` environment.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import REPO, describe, run_cmd

ALLOWED_GIT = {"GIT_CONFIG_NOSYSTEM", "GIT_TERMINAL_PROMPT", "GIT_CEILING_DIRECTORIES"}


def recorder(log: Path) -> str:
    """A git credential helper (shell) that appends its action and input to `log`."""
    return f'!f() {{ echo "action=$1" >>"{log}"; cat >>"{log}"; }}; f'


@dataclass
class Hostile:
    """A repository to run from and the environment around it."""

    repo: Path
    env: dict[str, str]
    logs: dict[str, Path]  # how a helper was planted -> what it recorded

    def received(self) -> dict[str, str]:
        return {how: log.read_text() for how, log in self.logs.items() if log.exists()}


@pytest.fixture
def hostile(user_env: dict[str, str], tmp_path: Path) -> Hostile:
    repo = tmp_path / "cloned-repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=user_env)
    logs = {how: tmp_path / f"{how}.log" for how in ("repo", "GIT_CONFIG_PARAMETERS", "COUNT")}
    with open(repo / ".git" / "config", "a") as config:
        config.write(f'[credential]\n\thelper = "{recorder(logs["repo"])}"\n')
    env = dict(
        user_env,
        GIT_DIR=str(repo / ".git"),
        GIT_WORK_TREE=str(repo),
        GIT_CONFIG_PARAMETERS=f"'credential.helper'='{recorder(logs['GIT_CONFIG_PARAMETERS'])}'",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="credential.helper",
        GIT_CONFIG_VALUE_0=recorder(logs["COUNT"]),
    )
    return Hostile(repo, env, logs)


STAND_IN = """#!{python}
import json, os, sys
with open({log!r}, "a") as log:
    git = {{k: v for k, v in os.environ.items() if k.startswith("GIT_")}}
    log.write(json.dumps({{"argv": sys.argv, "cwd": os.getcwd(), "git": git}}) + "\\n")
name, args = os.path.basename(sys.argv[0]), sys.argv[1:]
if name == "aqora":
    if "--help" not in args:
        print("aqat_from_the_official_program_0123")
elif name == "keyring":
    print("aqora_helper.doors.keyring_backend.AqoraKeyring (priority: 10)"
          if "--list-backends" in args else "aqora\\naqat_from_the_keyring_program")
else:  # docker-credential-*
    sys.stdin.read()
    if args == ["get"]:
        print(json.dumps({{"ServerURL": "x", "Username": "u", "Secret": "from-the-recorder"}}))
"""


def stand_in(env: dict[str, str], tmp_path: Path, name: str) -> Path:
    """Put a recording `name` first on PATH (in `env`); the log it writes."""
    bin_dir = tmp_path / "stand-ins"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / f"{name}.calls"
    program = bin_dir / name
    program.write_text(STAND_IN.format(python=sys.executable, log=str(log)))
    program.chmod(0o755)
    if not env["PATH"].startswith(f"{bin_dir}:"):
        env["PATH"] = f"{bin_dir}:{env['PATH']}"
    return log


def assert_ran_outside(log: Path, repo: Path) -> list[dict[str, object]]:
    """Every recorded run was outside `repo`, with no GIT_* variable but the harmless
    ones; returns the runs (at least one)."""
    runs = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert runs, f"{log.name}: the program never ran"
    for run in runs:
        assert not str(run["cwd"]).startswith(str(repo)), run
        git = run["git"]
        assert isinstance(git, dict)
        assert set(git) <= ALLOWED_GIT, run
        assert "GIT_CEILING_DIRECTORIES" in git, run
    return runs


# ------------------------------------------------------------------------------ git


def test_logout_hands_no_token_to_a_repositorys_credential_helper(
    aqora, user_env, warm, hostile, tmp_path
):
    """logout's `git credential reject` reaches the user's own helpers (with the token,
    so they can drop their copy) and none that the repository or `git -c` planted."""
    users_log = tmp_path / "users-helper.log"
    subprocess.run(
        ["git", "config", "--global", "credential.helper", recorder(users_log)],
        check=True,
        env=user_env,
    )
    token = run_cmd(["aqora-helper", "token"], user_env).stdout.strip()
    assert aqora.is_valid_access_token(token)
    proc = run_cmd(["aqora-helper", "logout"], hostile.env, cwd=hostile.repo)
    assert proc.returncode == 0, describe(proc)
    assert hostile.received() == {}
    assert f"password={token}" in users_log.read_text()  # git was asked, by the user's config
    assert aqora.is_valid_access_token(token)  # (the server still accepts it: no revocation)


def test_setup_git_writes_the_users_file_whatever_the_surroundings(user_env, hostile, tmp_path):
    """`setup git` (global) is neither broken nor redirected by a repository or GIT_*
    variables (`GIT_CONFIG` alone makes `git config --global` refuse to run)."""
    env = dict(hostile.env, GIT_CONFIG=str(tmp_path / "elsewhere.gitconfig"))
    repo_config = (hostile.repo / ".git" / "config").read_bytes()
    url = "https://aqora.example"
    proc = run_cmd(["aqora-helper", "setup", "git", "--url", url], env, cwd=hostile.repo)
    assert proc.returncode == 0, describe(proc)
    global_file = Path(user_env["HOME"]) / ".gitconfig"
    assert '[credential "https://aqora.example"]' in global_file.read_text()
    assert (hostile.repo / ".git" / "config").read_bytes() == repo_config
    assert not (tmp_path / "elsewhere.gitconfig").exists()
    removed = run_cmd(["aqora-helper", "setup", "git", "--remove", "--url", url], env)
    assert removed.returncode == 0, describe(removed)
    assert not global_file.exists()


def test_setup_git_local_still_edits_the_current_repository(user_env, hostile):
    proc = run_cmd(
        ["aqora-helper", "setup", "git", "--local", "--url", "https://aqora.example"],
        user_env,
        cwd=hostile.repo,
    )
    assert proc.returncode == 0, describe(proc)
    assert "aqora.example" in (hostile.repo / ".git" / "config").read_text()
    assert not (Path(user_env["HOME"]) / ".gitconfig").exists()


def git_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stdout.splitlines() if re.match(r"^\w+ +git:", line)]


def test_doctor_checks_the_users_git_config_not_the_repositorys(aqora, user_env, warm, hostile):
    """A repository (or `git -c`) naming aqora as its helper does not make doctor say
    git is set up for the user."""
    for section in (f"credential.http://{warm}", f"credential.https://{warm}"):
        for value in ("", "aqora"):
            subprocess.run(
                ["git", "config", "--file", str(hostile.repo / ".git" / "config"),
                 "--add", f"{section}.helper", value],
                check=True,
            )  # fmt: skip
    hostile.env["GIT_CONFIG_VALUE_0"] = "aqora"
    plain = run_cmd(["aqora-helper", "doctor"], user_env)
    inside = run_cmd(["aqora-helper", "doctor"], hostile.env, cwd=hostile.repo)
    assert git_lines(plain), describe(plain)
    assert "aqora answers first" not in "\n".join(git_lines(plain))
    assert git_lines(inside) == git_lines(plain), describe(inside)


# ------------------------------------------------------------- programs other than git


def test_the_official_aqora_program_runs_outside_the_project(aqora, user_env, hostile, tmp_path):
    log = stand_in(hostile.env, tmp_path, "aqora")
    proc = run_cmd(["aqora-helper", "token", "--url", aqora.url], hostile.env, cwd=hostile.repo)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "aqat_from_the_official_program_0123\n"
    runs = assert_ran_outside(log, hostile.repo)
    assert [r["argv"][1:] for r in runs] == [
        ["auth", "token", "--help"],
        ["auth", "token", "--url", aqora.url + "/"],
    ]


def test_the_previous_docker_store_runs_outside_the_project(user_env, hostile, tmp_path):
    docker_config = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    docker_config.parent.mkdir(parents=True)
    docker_config.write_text('{"credsStore": "recorder"}\n')
    setup = run_cmd(
        ["aqora-helper", "setup", "docker", "--creds-store", "registry.aqora.example"], user_env
    )
    assert setup.returncode == 0, describe(setup)
    log = stand_in(hostile.env, tmp_path, "docker-credential-recorder")
    proc = run_cmd(
        ["docker-credential-aqora", "get"], hostile.env, input="other.example", cwd=hostile.repo
    )
    assert proc.returncode == 0, describe(proc)
    assert json.loads(proc.stdout)["Secret"] == "from-the-recorder"
    runs = assert_ran_outside(log, hostile.repo)
    assert [r["argv"][1:] for r in runs] == [["get"]]


def test_doctors_keyring_program_runs_outside_the_project(aqora, user_env, warm, hostile, tmp_path):
    env = dict(
        hostile.env,
        PIP_INDEX_URL=f"http://{warm}/simple/",
        PIP_KEYRING_PROVIDER="subprocess",
    )
    log = stand_in(env, tmp_path, "keyring")
    proc = run_cmd(["aqora-helper", "doctor"], env, cwd=hostile.repo)
    # The stand-in answers but is not ours: doctor runs it, then says so.
    assert re.search(
        r"^warn +pip: .*answers for .*it is not aqora-helper's keyring program", proc.stdout, re.M
    ), describe(proc)
    runs = assert_ran_outside(log, hostile.repo)
    assert ["--list-backends"] in [r["argv"][1:] for r in runs]


def test_no_client_run_is_left_to_plain_subprocess():
    """Every module that starts a client goes through `clientprocess` (the one place
    that makes the working directory and environment safe); `exec` runs the user's own
    command, where the user is."""
    package = REPO / "helper" / "aqora_helper"
    allowed = {package / "fast" / "clientprocess.py", package / "cli" / "exec.py"}
    starting = re.compile(r"subprocess\.(run|Popen|call|check_call|check_output)\(")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path not in allowed and starting.search(path.read_text())
    ]
    assert offenders == ["setup/git.py"]  # `setup git --local`: the repository it edits
    text = (package / "setup" / "git.py").read_text()
    assert len(starting.findall(text)) == 1 and "keep_repository=True" in text
