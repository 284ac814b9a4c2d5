"""The keyring backend (aqora_helper.doors.keyring_backend): scoping, failures, no prompt, no
recursion, import cost, and the real `keyring` program.

In-process tests switch `os.environ` to the test user's environment (fresh HOME and
XDG dirs, the private Secret Service of `tests/run`); every `keyring`-level scenario
whose outcome depends on backend discovery runs in a subprocess.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aqora_helper.doors import keyring_backend
from aqora_helper.doors.keyring_backend import AqoraKeyring
from aqora_helper.doors.keyring_service import service_target
from aqora_helper.engine import errors as engine_errors
from aqora_helper.fast import errors
from support import use_env, write_config

TOKEN = "test-access-token-0123456789"
ENV_URL = "https://aqora.example/"
SERVED = ("pypi.aqora.example", "127.0.0.1:8443", "[::1]:8443")


@pytest.fixture
def served(user_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment serving SERVED (username bob) with a valid cached token."""
    write_config(
        user_env,
        'url = "https://aqora.example"\n'
        '[environments."https://aqora.example"]\n'
        f"hosts = {list(SERVED)!r}\n".replace("'", '"')
        + 'username = "bob"\n',
    )
    use_env(monkeypatch, user_env)
    from aqora_helper.engine.served import refresh_index
    from aqora_helper.fast.tokencache import write_token

    refresh_index()
    write_token(ENV_URL, TOKEN, int(time.time()) + 3600)
    return user_env


# --- scoping --------------------------------------------------------------------------
SERVED_SERVICES = [
    "https://pypi.aqora.example/simple/",
    "https://pypi.aqora.example",
    "https://pypi.aqora.example/",
    "https://PyPI.Aqora.Example:443/simple/tinypkg/",
    "https://someone@pypi.aqora.example/simple/",
    "https://pypi.aqora.example/simple/?q=1#frag",
    "http://127.0.0.1:8443/simple/",
    "https://127.0.0.1:8443/",
    "127.0.0.1:8443",
    "http://[::1]:8443/simple/",
    "[::1]:8443",
]
NOT_SERVED_SERVICES = [
    "https://evil.example/pypi.aqora.example/simple/",  # path is not the host
    "https://pypi.aqora.example.evil.example/simple/",  # suffix confusion
    "https://evilpypi.aqora.example/simple/",  # prefix confusion
    "https://sub.pypi.aqora.example/simple/",  # subdomain
    "https://aqora.example/simple/",  # parent domain (the API host is not listed)
    "https://pypi.aqora.example:8443/simple/",  # another port
    "pypi.aqora.example:8443",
    "https://pypi.aqora.example:444/",
    "http://pypi.aqora.example/simple/",  # plain http to a non-loopback host
    "http://pypi.aqora.example:443/simple/",
    "https://pypi.aqora.example@evil.example/simple/",  # userinfo trick
    "https://evil.example\\@pypi.aqora.example/",  # backslash: parsers disagree
    "https://pypi.aqora.example./simple/",  # trailing dot is another name
    " https://pypi.aqora.example/simple/",
    "https://pypi.aqora.example/simple/\n",
    "https://pypi.aqora.example /simple/",
    "https://pypi.aqora.éxample/",
    "ftp://pypi.aqora.example/",
    "ssh://pypi.aqora.example/",
    "pypi.aqora.example/simple/",  # a bare host has no path
    "pypi.aqora.example",  # a bare non-loopback host: the scheme may be plain http
    "PYPI.aqora.example:443",
    "pypi.aqora.example:0",
    "http://127.0.0.1:8444/simple/",  # another port on loopback
    "http://127.0.0.2:8443/simple/",  # another loopback address
    "http://localhost:8443/simple/",  # not the same host key as 127.0.0.1
    "127.0.0.1",
    "poetry-repository-aqora",
    "python-poetry-check",
    "",
    "x" * 5000,
]


@pytest.mark.parametrize("service", SERVED_SERVICES)
def test_served_services_get_the_token(served, service):
    backend = AqoraKeyring()
    assert backend.get_password(service, "anyone") == TOKEN
    cred = backend.get_credential(service, None)
    assert (cred.username, cred.password) == ("bob", TOKEN)
    given = backend.get_credential(service, "alice")
    assert (given.username, given.password) == ("alice", TOKEN)


@pytest.mark.parametrize("service", NOT_SERVED_SERVICES)
def test_other_services_get_nothing(served, service, capsys):
    backend = AqoraKeyring()
    assert backend.get_password(service, "bob") is None
    assert backend.get_credential(service, None) is None
    assert backend.get_credential(service, "bob") is None
    assert capsys.readouterr().err == ""


def test_bare_host_after_its_plain_http_url_is_refused(served):
    """pip asks the URL, then the bare netloc: the token must not follow a plain-http
    request to a non-loopback host through the bare form (in this process or any)."""
    backend = AqoraKeyring()
    assert backend.get_credential("http://pypi.aqora.example/simple/", None) is None
    assert backend.get_credential("pypi.aqora.example", None) is None
    assert backend.get_password("https://pypi.aqora.example/simple/", "x") == TOKEN
    assert backend.get_password("127.0.0.1:8443", "x") == TOKEN  # loopback: either scheme
    assert backend.get_password("pypi.aqora.example", "x") is None


def test_service_target_is_exact():
    assert service_target("https://a.example:443/x") == ("https", "a.example")
    assert service_target("https://a.example:8443/x") == ("https", "a.example:8443")
    assert service_target("a.example") is None  # bare: only loopback hosts
    assert service_target("127.0.0.1:8443") == ("https", "127.0.0.1:8443")
    assert service_target("http://127.0.0.1:80/") == ("http", "127.0.0.1")
    assert service_target("http://a.example/") is None
    assert service_target(None) is None
    assert service_target(b"https://a.example/") is None


def test_set_and_delete_are_not_implemented_for_any_service(served):
    backend = AqoraKeyring()
    for service in ("https://pypi.aqora.example/simple/", "https://other.example/", "x"):
        with pytest.raises(NotImplementedError):
            backend.set_password(service, "bob", "typed-password")
        with pytest.raises(NotImplementedError):
            backend.delete_password(service, "bob")


def test_priority_between_os_keyrings_and_the_chainer(monkeypatch):
    monkeypatch.delenv(keyring_backend.DISABLE_ENV, raising=False)
    assert AqoraKeyring.priority == 9.5
    assert AqoraKeyring.viable
    monkeypatch.setenv(keyring_backend.DISABLE_ENV, "off")
    assert not AqoraKeyring.viable


# --- a get never raises -----------------------------------------------------------
FAILURES: list[BaseException] = [
    errors.NotLoggedIn(ENV_URL),
    engine_errors.SessionRejected(ENV_URL),
    engine_errors.ServerUnreachable(ENV_URL, "timed out"),
    engine_errors.UnexpectedResponse(ENV_URL, "not JSON"),
    engine_errors.KeyringUnavailable("no Secret Service"),
    engine_errors.KeyringLocked(),
    engine_errors.KeyringTimeout(10),
    errors.LockTimeout(ENV_URL, 30),
    engine_errors.ConfigError("Config file x: key 'y': bad"),
    errors.UnsafeStorage("/x", "the file is a symbolic link"),
    RuntimeError("secret-looking detail abc123"),
    KeyError("secret-looking detail abc123"),
    OSError(5, "secret-looking detail abc123"),
    RecursionError("secret-looking detail abc123"),
    SystemExit(3),
]


@pytest.fixture
def miss(served, monkeypatch) -> Callable[[BaseException], None]:
    """Make every lookup a fast-path miss and the engine raise `exc`."""
    from aqora_helper.fast import credential

    monkeypatch.setattr(keyring_backend, "_warned", set())

    def arm(exc: BaseException) -> None:
        def fail(scheme: str, key: str) -> Any:
            raise exc

        monkeypatch.setattr(credential, "get_for_host", fail)

    return arm


@pytest.mark.parametrize("exc", FAILURES, ids=lambda e: type(e).__name__)
def test_a_failing_get_returns_none_and_writes_one_line(miss, exc, capsys):
    miss(exc)
    backend = AqoraKeyring()
    service = "https://pypi.aqora.example/simple/"
    assert backend.get_credential(service, None) is None
    assert backend.get_password(service, "bob") is None
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err  # the same failure is reported once per process
    assert lines[0].startswith("aqora-helper: ")
    assert "Traceback" not in err
    if isinstance(exc, errors.AqoraHelperError):
        assert exc.message in lines[0] and exc.hint in lines[0]
    else:
        assert "secret-looking" not in err  # only the exception's type is shown
        assert type(exc).__name__ in err


def test_a_broken_stderr_does_not_raise(miss, monkeypatch):
    class Broken(io.TextIOBase):
        def write(self, text: str) -> int:
            raise OSError("closed")

    miss(errors.NotLoggedIn(ENV_URL))
    monkeypatch.setattr(sys, "stderr", Broken())
    assert AqoraKeyring().get_credential("https://pypi.aqora.example/simple/", None) is None


@pytest.mark.parametrize("token", ["tok\nen", "tok\ren", "tok\x00", "tök", ""])
def test_a_token_with_control_characters_is_not_handed_out(served, monkeypatch, token, capsys):
    from aqora_helper.fast import credential
    from aqora_helper.fast.credential import HostCredential

    monkeypatch.setattr(
        credential, "get_for_host", lambda s, k: HostCredential(token, None, "bob", "auto", ENV_URL)
    )
    assert AqoraKeyring().get_password("https://pypi.aqora.example/simple/", "x") is None
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_a_failing_fast_path_falls_back_without_raising(served, monkeypatch):
    from aqora_helper.fast import credential

    def boom(scheme: str, key: str) -> None:
        raise ValueError("corrupt")

    monkeypatch.setattr(credential, "get_for_host", boom)
    monkeypatch.setattr(keyring_backend, "_warned", set())
    assert AqoraKeyring().get_password("https://pypi.aqora.example/simple/", "bob") is None


# --- no recursion -------------------------------------------------------------------
def test_reentrant_gets_answer_none_at_once(served, monkeypatch):
    """Defence in depth: if the engine ever reached keyring again (same thread, or one
    of its bounded-call threads), the inner get answers None instead of recursing."""
    from aqora_helper.engine.bounded import call_with_timeout
    from aqora_helper.fast import credential
    from aqora_helper.fast.credential import HostCredential

    inner: list[object] = []
    backend = AqoraKeyring()

    def engine(scheme: str, key: str) -> HostCredential:
        inner.append(backend.get_password("https://pypi.aqora.example/simple/", "bob"))
        inner.append(
            call_with_timeout(
                lambda: backend.get_credential("https://pypi.aqora.example/simple/", None), 5
            )
        )
        return HostCredential(TOKEN, None, "bob", "auto", ENV_URL)

    monkeypatch.setattr(credential, "get_for_host", engine)
    assert backend.get_password("https://pypi.aqora.example/simple/", "bob") == TOKEN
    assert inner == [None, None]
    # other threads are independent: a concurrent get is served normally
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(backend.get_password("127.0.0.1:8443")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [TOKEN] * 4


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(keyring_backend, "_warned", set())
    yield


# --- fuzzing --------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from aqora_helper.fast.hostnames import is_loopback, key_from_url, split_hostport  # noqa: E402
from aqora_helper.fast.keyring_names import names_own_storage  # noqa: E402

SERVED_KEYS = {"pypi.aqora.example", "127.0.0.1:8443", "[::1]:8443"}
SERVICE_TEXT = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda scheme, host, rest: f"{scheme}{host}{rest}",
        st.sampled_from(["https://", "http://", "", "ftp://", "HTTPS://", "//"]),
        st.sampled_from([*SERVED, "pypi.aqora.example.evil.com", "evilpypi.aqora.example"]),
        st.text(max_size=40),
    ),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(service=SERVICE_TEXT, username=st.one_of(st.none(), st.text(max_size=40)))
def test_fuzz_get_never_raises_nor_answers_an_unserved_host(served, service, username):
    backend = AqoraKeyring()
    credential = backend.get_credential(service, username)
    password = backend.get_password(service, username or "")
    if names_own_storage(service):  # our own store's name: an empty answer ends the chain
        assert (credential.password, password) == ("", "")
        return
    if credential is None and password is None:
        return
    target = service_target(service)
    assert target is not None and target[1] in SERVED_KEYS, service
    found = key_from_url(service) if "://" in service else None
    if found is not None:
        assert found[1] in SERVED_KEYS
    else:
        parsed = split_hostport(service)
        assert parsed is not None and is_loopback(parsed[0]), service
    for answer in (credential.password if credential else None, password):
        assert answer in (None, TOKEN)
