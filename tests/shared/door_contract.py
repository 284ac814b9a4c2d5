"""The contract every front door keeps (as keyring's BackendBasicTests is the one every
keyring backend passes): a subclass says how to ask its door for a host, and inherits
the tests.

- A served host gets a token the server accepts, and nothing on stderr.
- An unserved host gets no token. A door a client asks on the chance that it knows the
  host (git's helpers, Docker's credential helpers, keyring) stays silent, so that the
  client goes on to its next source; a door asked by name (`aqora-helper token`, the
  Python API) says so in the standard error and hint.
- A failure (the server fails while the token must be refreshed) is one message (one
  line; `error:` + `hint:` for the command line, one exception for the Python API),
  never a traceback, and the door hands out no token.
- Nothing secret (an access or refresh token the server issued) reaches stderr, also
  with debug logging on.

The world is shared by a test module (`door_world`): the aqora stand-in, one user logged
in once, the API host `127.0.0.1:PORT` served. Each test restores what it changes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from support import (
    TRACEBACK_MARKERS,
    describe,
    login_args,
    make_cached_token_stale,
    make_user_env,
    run_cmd,
    write_config,
)

Proc = subprocess.CompletedProcess[str]
UNSERVED = "unserved.example"


@dataclass
class DoorWorld:
    """The stand-in, a user logged in to it, and the served host."""

    aqora: AqoraServer
    env: dict[str, str]
    root: Path

    @property
    def hostport(self) -> str:
        return self.aqora.url.split("://", 1)[1]

    def secrets(self) -> set[str]:
        """Every access and refresh token (and code) the stand-in issued so far."""
        return self.aqora.issued_tokens()

    @contextmanager
    def failing(self) -> Iterator[None]:
        """The cached token is stale and the server answers a refresh with a 500."""
        make_cached_token_stale(self.env, self.aqora.url)
        self.aqora.set_fault("500", ops={"oauth2Refresh"})
        try:
            yield
        finally:
            self.aqora.set_fault(None)


@pytest.fixture(scope="module")
def door_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DoorWorld]:
    root = tmp_path_factory.mktemp("doors")
    aqora = AqoraServer().start()
    try:
        env = make_user_env(root / "home")
        host = aqora.url.split("://", 1)[1]
        write_config(
            env,
            f'url = "{aqora.url}"\n'
            f'[environments."{aqora.url}"]\nhosts = ["{host}"]\n',
        )
        login = run_cmd(login_args(aqora.url), env, input="pw\n")
        assert login.returncode == 0, describe(login)
        warm = run_cmd(["aqora-helper", "token"], env)  # the token cache and host index
        assert warm.returncode == 0, describe(warm)
        yield DoorWorld(aqora, env, root)
    finally:
        aqora.stop()


@dataclass
class Answer:
    """What a door answered: the token it handed out (None: none) and its process."""

    token: str | None
    proc: Proc

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.proc.stderr.splitlines() if line.strip()]


class DoorContract:
    """Subclass as `Test<Door>Contract`, implement `ask`, set the two attributes."""

    asked_by_name = False  # True: an unserved host is the standard error, not silence
    failure_lines = 1  # stderr lines of a failure

    def ask(self, world: DoorWorld, scheme: str, hostport: str, env: dict[str, str]) -> Answer:
        """Ask the door for a credential for `scheme://hostport` as its client does."""
        raise NotImplementedError

    # --- the contract ----------------------------------------------------------------

    def _no_secret_on_stderr(self, world: DoorWorld, answer: Answer) -> None:
        leaked = [s[:12] for s in world.secrets() if s in answer.proc.stderr]
        assert not leaked, f"secrets on stderr: {leaked}\n{describe(answer.proc)}"

    def _no_traceback(self, answer: Answer) -> None:
        output = answer.proc.stdout + answer.proc.stderr
        assert not any(marker in output for marker in TRACEBACK_MARKERS), describe(answer.proc)

    def test_a_served_host_gets_a_token_the_server_accepts(self, door_world: DoorWorld) -> None:
        answer = self.ask(door_world, "http", door_world.hostport, door_world.env)
        assert answer.token is not None, describe(answer.proc)
        assert door_world.aqora.is_valid_access_token(answer.token), describe(answer.proc)
        assert answer.proc.stderr == "", describe(answer.proc)

    def test_an_unserved_host_gets_nothing(self, door_world: DoorWorld) -> None:
        answer = self.ask(door_world, "https", UNSERVED, door_world.env)
        assert answer.token is None, describe(answer.proc)
        self._no_traceback(answer)
        self._no_secret_on_stderr(door_world, answer)
        if self.asked_by_name:
            lines = answer.stderr_lines
            assert [line.split(":", 1)[0] for line in lines] == ["error", "hint"], lines
        else:
            assert answer.proc.stderr == "", describe(answer.proc)  # the client goes on

    def test_a_failure_is_one_message_without_a_traceback(self, door_world: DoorWorld) -> None:
        with door_world.failing():
            answer = self.ask(door_world, "http", door_world.hostport, door_world.env)
        assert answer.token is None, describe(answer.proc)
        self._no_traceback(answer)
        assert len(answer.stderr_lines) == self.failure_lines, describe(answer.proc)
        self._no_secret_on_stderr(door_world, answer)

    def test_no_secret_reaches_stderr_even_with_debug_logging(
        self, door_world: DoorWorld
    ) -> None:
        env = dict(door_world.env, AQORA_HELPER_LOG="debug")
        make_cached_token_stale(env, door_world.aqora.url)  # a refresh: the most to log
        answers = [self.ask(door_world, "http", door_world.hostport, env)]
        with door_world.failing():
            answers.append(self.ask(door_world, "http", door_world.hostport, env))
        answers.append(self.ask(door_world, "https", UNSERVED, env))
        assert answers[0].token is not None, describe(answers[0].proc)
        for answer in answers:
            self._no_secret_on_stderr(door_world, answer)
            self._no_traceback(answer)
