"""Every front door keeps the door contract (tests/shared/door_contract.py): git's
credential helper, Docker's credential helper (in `credHelpers`, and as the whole
`credsStore`), the keyring backend (as pip's import mode and twine use it), the `keyring`
program (pip's and uv's subprocess mode), `aqora-helper token`, and the Python API.

Each class says only how its client asks; the tests are the contract's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shared.door_contract import Answer, DoorContract, DoorWorld
from support import BIN_DIR, describe, run_cmd

# One world for the module: its tests run on one xdist worker, the user logs in once.
pytestmark = pytest.mark.xdist_group("door-contract")


class TestGitCredentialHelper(DoorContract):
    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd(
            ["git-credential-aqora", "get"], env, input=f"protocol={scheme}\nhost={hostport}\n\n"
        )
        fields = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        assert proc.returncode in (0, 1), describe(proc)  # either way git goes on
        return Answer(fields.get("password"), proc)


class TestDockerCredHelpers(DoorContract):
    """`credHelpers: {HOST: aqora}`: Docker asks the door for that host only."""

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
        if proc.returncode == 0:
            return Answer(json.loads(proc.stdout)["Secret"], proc)
        assert proc.returncode == 1 and proc.stdout.count("\n") <= 1, describe(proc)
        return Answer(None, proc)

    def test_an_unserved_host_gets_nothing(self, door_world: DoorWorld) -> None:
        super().test_an_unserved_host_gets_nothing(door_world)
        answer = self.ask(door_world, "https", "unserved.example", door_world.env)
        assert answer.proc.stdout == "credentials not found in native keychain\n"


class TestDockerCredsStore(TestDockerCredHelpers):
    """`credsStore: aqora`: the door answers every registry, keeping the others' logins
    in the OS keyring (here: none)."""

    @pytest.fixture(autouse=True)
    def creds_store(self, door_world: DoorWorld) -> None:
        config = Path(door_world.root) / "docker-creds-store"
        if not config.exists():
            env = dict(door_world.env, DOCKER_CONFIG=str(config))
            # the stand-in's one served host plays the registry: named, as a user would
            proc = run_cmd(
                ["aqora-helper", "setup", "docker", "--creds-store", door_world.hostport], env
            )
            assert proc.returncode == 0, describe(proc)
            assert json.loads((config / "config.json").read_text())["credsStore"] == "aqora"

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        env = dict(env, DOCKER_CONFIG=str(Path(world.root) / "docker-creds-store"))
        return super().ask(world, scheme, hostport, env)


KEYRING_LIBRARY = """
import sys, keyring
credential = keyring.get_credential(sys.argv[1], None)
print(json.dumps(None if credential is None else credential.password))
""".replace("import sys", "import json, sys")


class TestKeyringBackend(DoorContract):
    """keyring's library, as pip's import mode, twine and poetry call it (the chainer: our
    backend first, then the OS keyring)."""

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd([sys.executable, "-c", KEYRING_LIBRARY, f"{scheme}://{hostport}/simple/"], env)
        assert proc.returncode == 0, describe(proc)
        return Answer(json.loads(proc.stdout), proc)


class TestKeyringProgram(DoorContract):
    """The `keyring` program on PATH, as pip's and uv's subprocess mode run it."""

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd(
            [Path(BIN_DIR) / "keyring", "--mode=creds", "--output=json", "get",
             f"{scheme}://{hostport}/simple/"],
            env,
        )  # fmt: skip
        if proc.returncode == 0:
            return Answer(json.loads(proc.stdout)["password"], proc)
        assert proc.returncode == 1 and proc.stdout == "", describe(proc)  # as keyring's CLI
        return Answer(None, proc)


class TestTokenCommand(DoorContract):
    """`aqora-helper token --url URL`: asked for one environment by name."""

    asked_by_name = True
    failure_lines = 2  # error: + hint:

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd(["aqora-helper", "token", "--url", f"{scheme}://{hostport}"], env)
        if proc.returncode == 0:
            return Answer(proc.stdout.strip(), proc)
        assert proc.returncode == 1 and proc.stdout == "", describe(proc)
        return Answer(None, proc)


PYTHON_API = """
import json, sys
import aqora_helper
try:
    if sys.argv[1] == "get_token":
        token = aqora_helper.get_token(sys.argv[2])
    else:  # AqoraAuth on a request to the host: the token it would send
        import requests
        request = requests.Request("GET", sys.argv[2] + "/x").prepare()
        aqora_helper.AqoraAuth()(request)
        header = request.headers.get("Authorization")
        token = header.removeprefix("Bearer ") if header else None
except aqora_helper.AqoraHelperError as exc:
    chained = exc.__cause__ is not None or (exc.__context__ is not None and not exc.__suppress_context__)
    sys.stderr.write(exc.message + ("  [chained]" if chained else "") + "\\n")
    sys.exit(1)
print(json.dumps(token))
"""


class TestPythonApiGetToken(DoorContract):
    """`aqora_helper.get_token(url)`: asked for one environment by name; a failure is
    one AqoraHelperError (its message one line, no chained exception)."""

    asked_by_name = False  # an exception, not output: checked below
    failure_lines = 1

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd([sys.executable, "-c", PYTHON_API, "get_token", f"{scheme}://{hostport}"], env)
        if proc.returncode == 0:
            return Answer(json.loads(proc.stdout), proc)
        assert proc.returncode == 1 and "[chained]" not in proc.stderr, describe(proc)
        return Answer(None, proc)

    def test_an_unserved_host_gets_nothing(self, door_world: DoorWorld) -> None:
        answer = self.ask(door_world, "https", "unserved.example", door_world.env)
        assert answer.token is None, describe(answer.proc)
        assert len(answer.stderr_lines) == 1, describe(answer.proc)  # AqoraHelperError
        self._no_traceback(answer)
        self._no_secret_on_stderr(door_world, answer)


class TestPythonApiAuth(DoorContract):
    """`aqora_helper.AqoraAuth()` (requests): the default environment's token goes to
    the hosts it serves, nothing to any other host, silently."""

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        proc = run_cmd([sys.executable, "-c", PYTHON_API, "auth", f"{scheme}://{hostport}"], env)
        if proc.returncode == 0:
            return Answer(json.loads(proc.stdout), proc)
        assert proc.returncode == 1 and "[chained]" not in proc.stderr, describe(proc)
        return Answer(None, proc)
