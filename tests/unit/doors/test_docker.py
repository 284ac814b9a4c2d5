"""docker-credential-aqora: the credential-helper protocol, attacks and fuzzing.

No registry and no aqora server: the engine is replaced by fakes serving
`registry.aqora.io` and `aqora.io` (https) and the loopback registry `127.0.0.1:5000`.
The end-to-end tests with skopeo, the docker CLI and docker-py are in
tests/e2e/docker/test_docker_clients.py.
"""

from __future__ import annotations

import io
import json
import sys
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aqora_helper.doors import docker as front
from aqora_helper.engine import errors as engine_errors
from aqora_helper.engine.served import ServedHost
from aqora_helper.fast import credential, errors
from aqora_helper.fast.credential import HostCredential
from aqora_helper.fast.hostnames import host_key

TOKEN = "tok-123.abc_DEF"
EXPIRES = 2_000_000_000
ENV_URL = "https://aqora.io/"
SERVED = {"registry.aqora.io", "aqora.io", "127.0.0.1:5000"}
NOT_FOUND = b"credentials not found in native keychain\n"
TRACEBACK = "Traceback (most recent call last)"


class Engine:
    """Fake fast.credential (cache + engine): records what the front door asked."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.username = "aqora"
        self.cached = True
        self.served = set(SERVED)
        self.usable = True
        self.error: errors.AqoraHelperError | None = None
        self.slow_calls: list[tuple[str, str]] = []
        self.forgotten: list[tuple[str, str]] = []
        self.list_calls = 0

    def _cred(self, scheme: str, hostport: str) -> HostCredential | None:
        if host_key(scheme, hostport) not in self.served:
            return None
        return HostCredential(self.token, EXPIRES, self.username, "auto", ENV_URL)

    def lookup_cached(self, scheme: str, hostport: str) -> HostCredential | None:
        return self._cred(scheme, hostport) if self.cached else None

    def get_for_host(self, scheme: str, hostport: str) -> HostCredential | None:
        """As fast.credential: the cache, else the engine."""
        hit = self.lookup_cached(scheme, hostport)
        return hit if hit is not None else self.credential_for_host(scheme, hostport)

    def served_username(self, scheme: str, hostport: str) -> str | None:
        found = self.environment_for_host(scheme, hostport)
        return None if found is None else found[1].username

    def usable_hosts(self) -> dict[str, str]:
        usable: dict[str, bool] = {}
        result: dict[str, str] = {}
        for served in self.served_hosts():
            if served.env_url not in usable:
                usable[served.env_url] = self.has_usable_session(served.env_url)
            if usable[served.env_url]:
                result[served.key] = served.username
        return result

    def credential_for_host(self, scheme: str, hostport: str) -> HostCredential | None:
        self.slow_calls.append((scheme, hostport))
        if self.error is not None and host_key(scheme, hostport) in self.served:
            raise self.error
        return self._cred(scheme, hostport)

    def forget(self, scheme: str, hostport: str, token: str | None = None) -> bool:
        """As the engine: drops only a served host's cached token."""
        if host_key(scheme, hostport) not in self.served:
            return False
        self.forgotten.append((scheme, hostport))
        return True

    def environment_for_host(
        self, scheme: str, hostport: str
    ) -> tuple[None, SimpleNamespace] | None:
        """As the engine: (settings, environment) for a served host, else None."""
        if host_key(scheme, hostport) not in self.served:
            return None
        return None, SimpleNamespace(url=ENV_URL, username=self.username)

    def served_hosts(self) -> list[ServedHost]:
        return [ServedHost(k, ENV_URL, self.username, "auto") for k in sorted(self.served)]

    def has_usable_session(self, env_url: str) -> bool:
        self.list_calls += 1
        return self.usable

    def docker_store(self, action: str, data: str) -> str | None:
        """As fast.credential when Docker's credsStore is not aqora: no full store."""
        return None


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Engine:
    eng = Engine()
    monkeypatch.setattr(credential, "get_for_host", eng.get_for_host)
    monkeypatch.setattr(credential, "forget", eng.forget)
    monkeypatch.setattr(credential, "served_username", eng.served_username)
    monkeypatch.setattr(credential, "usable_hosts", eng.usable_hosts)
    return eng


@pytest.fixture
def fake() -> Engine:
    """A fake credential source, handed to the door (`source=`): nothing is patched."""
    return Engine()


class NoRead(io.RawIOBase):
    """A stdin that must not be read (`list` and `version` ignore stdin; docker-py's list
    passes its own stdin, which may be a terminal)."""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        raise AssertionError("stdin was read")


def call(
    args: list[str], data: bytes | None = b"", source: Engine | None = None
) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    stdin = io.BytesIO(data) if data is not None else io.BufferedReader(NoRead())
    if source is None:
        code = front.run(args, stdin, out, err)  # type: ignore[arg-type]
    else:
        code = front.run(args, stdin, out, err, source)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def get(server: str | bytes, source: Engine | None = None) -> tuple[int, bytes, str]:
    return call(["get"], server.encode() if isinstance(server, str) else server, source)


def answer(server: str, source: Engine | None = None) -> dict[str, str]:
    code, out, err = get(server, source)
    assert code == 0, (out, err)
    assert out.endswith(b"\n") and out.count(b"\n") == 1
    body = json.loads(out)
    assert set(body) == {"ServerURL", "Username", "Secret"}
    return dict(body)


# --- get ----------------------------------------------------------------------------------


def test_get_answers_a_served_host(fake: Engine) -> None:
    assert answer("registry.aqora.io", fake) == {
        "ServerURL": "registry.aqora.io",
        "Username": "aqora",
        "Secret": TOKEN,
    }
    assert fake.slow_calls == []


def test_get_exact_output_bytes(engine: Engine) -> None:
    code, out, err = get("127.0.0.1:5000")
    assert code == 0 and err == ""
    assert out == (
        b'{"ServerURL": "127.0.0.1:5000", "Username": "aqora", "Secret": "'
        + TOKEN.encode()
        + b'"}\n'
    )


@pytest.mark.parametrize(
    "server",
    [
        "registry.aqora.io",
        "REGISTRY.Aqora.IO",
        "registry.aqora.io:443",
        "https://registry.aqora.io",
        "https://registry.aqora.io/",
        "https://registry.aqora.io/v2/",
        "https://registry.aqora.io/v1/",
        "HTTPS://Registry.Aqora.Io:443/v2/",
        "registry.aqora.io/v2/",
        "  registry.aqora.io\n",
        "127.0.0.1:5000",
        "http://127.0.0.1:5000",
        "https://127.0.0.1:5000/",
        "http://127.0.0.1:5000/v2/",
    ],
)
def test_get_spellings_of_a_served_host(engine: Engine, server: str) -> None:
    got = answer(server)
    assert got["Secret"] == TOKEN
    assert got["ServerURL"] == server.strip(front.ASCII_WS)  # the input, as the clients expect


def test_get_miss_goes_to_the_engine(fake: Engine) -> None:
    fake.cached = False
    assert answer("https://registry.aqora.io/v2/", fake)["Secret"] == TOKEN
    assert fake.slow_calls == [("https", "registry.aqora.io")]


def test_scheme_less_strings_are_asked_as_https_explicit_http_as_http(engine: Engine) -> None:
    engine.cached = False
    answer("127.0.0.1:5000")
    answer("http://127.0.0.1:5000")
    assert engine.slow_calls == [("https", "127.0.0.1:5000"), ("http", "127.0.0.1:5000")]


@pytest.mark.parametrize(
    "server",
    [
        "evil.com",
        "registry.aqora.io.evil.com",  # suffix confusion
        "evilregistry.aqora.io",  # prefix confusion
        "evil.registry.aqora.io",  # subdomain
        "registry.aqora.io:8443",  # another port
        "registry.aqora.io:",
        "registry.aqora.io.",
        "registry.aqora.io:0",
        "registry.aqora.io:99999",
        "user@registry.aqora.io",
        "registry.aqora.io@evil.com",
        "evil.com/registry.aqora.io",
        "evil.com?registry.aqora.io",
        "evil.com#registry.aqora.io",
        "evil.com\\registry.aqora.io",
        "https://evil.com/https://registry.aqora.io",
        "http://registry.aqora.io",  # plain http to a non-loopback host
        "ftp://registry.aqora.io",
        "docker://registry.aqora.io",
        "//registry.aqora.io",
        "https://",
        "https:///registry.aqora.io",
        "127.0.0.1:5001",
        "127.0.0.1",
        "localhost:5000",  # another spelling is another key
        "registry.aqora.io\x00.evil.com",
        "registry.aqora.io\tevil.com",
        "registry.aqora.io evil.com",
        "registry.aqora.io\x1b",
        "registry.aqora.io\u2028",
        "régistry.aqora.io",
        "[::1]:5000",
        # Docker Hub's keys never match unless configured
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "registry-1.docker.io",
    ],
)
def test_get_unserved_is_exactly_not_found(engine: Engine, server: str) -> None:
    for cached in (True, False):
        engine.cached = cached
        assert get(server) == (1, NOT_FOUND, "")
    for scheme, hostport in engine.slow_calls:
        assert host_key(scheme, hostport) not in SERVED


def test_docker_hub_matches_when_configured(engine: Engine) -> None:
    engine.served.add("index.docker.io")
    assert answer("https://index.docker.io/v1/")["Secret"] == TOKEN
    assert get("docker.io") == (1, NOT_FOUND, "")


def test_not_logged_in_is_not_found_plus_one_hint_line(engine: Engine) -> None:
    engine.cached = False
    engine.error = errors.NotLoggedIn(ENV_URL)
    code, out, err = get("registry.aqora.io")
    assert (code, out) == (1, NOT_FOUND)
    assert err.count("\n") == 1 and err.startswith("docker-credential-aqora: ")
    assert f"aqora-helper login --url {ENV_URL}" in err


@pytest.mark.parametrize(
    "error",
    [
        engine_errors.SessionRejected(ENV_URL),
        engine_errors.ServerUnreachable(ENV_URL, "timed out"),
        engine_errors.UnexpectedResponse(ENV_URL, "bad JSON"),
        engine_errors.KeyringLocked("locked\nsecond line"),
        errors.LockTimeout(ENV_URL, 30),
    ],
)
def test_other_failures_are_their_message_on_stdout(
    engine: Engine, error: errors.AqoraHelperError
) -> None:
    engine.cached = False
    engine.error = error
    code, out, err = get("registry.aqora.io")
    assert code == 1
    assert out != NOT_FOUND and out.endswith(b"\n") and out.count(b"\n") == 1
    assert out.decode().strip() == " ".join(error.message.split())
    assert err.count("\n") == 1 and TRACEBACK not in err


@pytest.mark.parametrize("username", ["<token>", "", "bad\nname", "ünï"])
def test_username_is_never_the_identity_token_marker(engine: Engine, username: str) -> None:
    engine.username = username
    assert answer("registry.aqora.io")["Username"] == "aqora"


def test_configured_username_is_used(engine: Engine) -> None:
    engine.username = "alice"
    assert answer("registry.aqora.io")["Username"] == "alice"


def test_empty_token_is_never_answered(engine: Engine) -> None:
    engine.token = ""
    assert get("registry.aqora.io") == (1, NOT_FOUND, "")


def test_token_with_odd_characters_stays_valid_json(engine: Engine) -> None:
    engine.token = 'a"b\\c\nd\u2028e'
    assert answer("registry.aqora.io")["Secret"] == engine.token


@pytest.mark.parametrize("data", [b"", b"\n", b"   \t\r\n"])
def test_get_without_server_is_the_protocol_error(engine: Engine, data: bytes) -> None:
    assert get(data) == (1, b"no credentials server URL\n", "")


def test_get_oversized_input_is_refused(engine: Engine) -> None:
    code, out, _ = get(b"registry.aqora.io" + b" " * front.MAX_SERVER_BYTES)
    assert code == 1 and b"too large" in out and out.count(b"\n") == 1
    assert engine.slow_calls == []


def test_get_input_at_the_cap_is_fine(engine: Engine) -> None:
    data = b"registry.aqora.io".ljust(front.MAX_SERVER_BYTES, b" ")
    assert get(data)[0] == 0


def test_get_invalid_utf8_is_an_error(engine: Engine) -> None:
    code, out, _ = get(b"registry.aqora.io\xff")
    assert code == 1 and out == b"input is not valid UTF-8\n"


def test_unexpected_exception_has_no_traceback_and_no_secret(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    def boom(scheme: str, hostport: str) -> HostCredential | None:
        raise RuntimeError(f"secret {TOKEN}")

    engine.cached = False
    monkeypatch.setattr(engine, "credential_for_host", boom)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"registry.aqora.io")))
    assert front.main(["get"]) == 1
    out, err = capsysbinary.readouterr()
    assert out.count(b"\n") == 1 and b"internal error" in out
    for stream in (out, err):
        assert b"Traceback" not in stream and TOKEN.encode() not in stream


# --- store --------------------------------------------------------------------------------


def store_body(server: str, username: str = "aqora", secret: str = "whatever") -> bytes:
    return json.dumps({"ServerURL": server, "Username": username, "Secret": secret}).encode()


@pytest.mark.parametrize("server", ["registry.aqora.io", "https://registry.aqora.io/v2/"])
@pytest.mark.parametrize("username", ["aqora", "alice", "<token>"])
def test_store_for_a_served_host_is_accepted_and_ignored(
    engine: Engine, server: str, username: str
) -> None:
    assert call(["store"], store_body(server, username) + b"\n") == (0, b"", "")
    assert engine.forgotten == [] and engine.slow_calls == []


@pytest.mark.parametrize(
    "server", ["evil.com", "registry.aqora.io.evil.com", "https://index.docker.io/v1/"]
)
def test_store_for_another_host_fails_with_guidance(engine: Engine, server: str) -> None:
    code, out, err = call(["store"], store_body(server))
    assert code == 1 and out.count(b"\n") == 1
    assert b"serves only aqora hosts" in out and b"whatever" not in out
    assert "credHelpers" in err


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", b"invalid JSON"),
        (b"{", b"invalid JSON"),
        (b"registry.aqora.io", b"invalid JSON"),
        (b"[]", b"expected an object"),
        (b'"x"', b"expected an object"),
        (b"{}", b"no credentials server URL"),
        (b'{"Username": "aqora", "Secret": "s"}', b"no credentials server URL"),
        (b'{"ServerURL": "", "Username": "aqora"}', b"no credentials server URL"),
        (b'{"ServerURL": "registry.aqora.io", "Secret": "s"}', b"no credentials username"),
        (b'{"ServerURL": "registry.aqora.io", "Username": ""}', b"no credentials username"),
        (b'{"ServerURL": 1, "Username": "aqora"}', b"ServerURL must be a string"),
        (b'{"ServerURL": "registry.aqora.io", "Username": ["a"]}', b"Username must be a string"),
        (b'{"ServerURL": "registry.aqora.io", "Username": "a", "Secret": 5}', b"Secret must be"),
        (b'{"ServerURL": "registry.aqora.io"\xff}', b"not valid UTF-8"),
    ],
)
def test_store_bad_input(engine: Engine, data: bytes, message: bytes) -> None:
    code, out, err = call(["store"], data)
    assert code == 1 and message in out and out.count(b"\n") == 1, out
    assert TRACEBACK not in err


def test_store_oversized_input_is_refused(engine: Engine) -> None:
    data = store_body("registry.aqora.io", secret="x" * front.MAX_STORE_BYTES)
    code, out, _ = call(["store"], data)
    assert code == 1 and b"too large" in out


def test_store_never_echoes_the_secret_or_raw_input(engine: Engine) -> None:
    code, out, _ = call(["store"], store_body("evil.com\x1b[31m\n" + "x" * 500, secret=TOKEN))
    assert code == 1 and TOKEN.encode() not in out and b"\x1b" not in out and len(out) < 400


# --- erase --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("registry.aqora.io", ("https", "registry.aqora.io")),
        ("https://registry.aqora.io/v2/", ("https", "registry.aqora.io")),
        ("http://127.0.0.1:5000", ("http", "127.0.0.1:5000")),
        ("127.0.0.1:5000", ("https", "127.0.0.1:5000")),
    ],
)
def test_erase_drops_the_cached_token(
    engine: Engine, server: str, expected: tuple[str, str]
) -> None:
    assert call(["erase"], server.encode()) == (0, b"", "")
    assert engine.forgotten == [expected]


def test_erase_is_idempotent(engine: Engine) -> None:
    # docker logout erases several spellings of the same registry
    for server in ("registry.aqora.io", "http://registry.aqora.io", "https://registry.aqora.io"):
        assert call(["erase"], server.encode()) == (0, b"", "")
        assert call(["erase"], server.encode()) == (0, b"", "")
    assert engine.forgotten == [("https", "registry.aqora.io")] * 4


@pytest.mark.parametrize("server", ["evil.com", "registry.aqora.io.evil.com", "docker.io"])
def test_erase_of_another_host_is_a_silent_no_op(engine: Engine, server: str) -> None:
    assert call(["erase"], server.encode()) == (0, b"", "")
    assert engine.forgotten == []


def test_erase_without_server_is_the_protocol_error(engine: Engine) -> None:
    assert call(["erase"], b"") == (1, b"no credentials server URL\n", "")


# --- list and version ---------------------------------------------------------------------


def test_list_names_served_hosts_with_a_usable_session(fake: Engine) -> None:
    code, out, err = call(["list"], None, fake)
    assert (code, err) == (0, "")
    assert json.loads(out) == {k: "aqora" for k in SERVED}
    assert fake.list_calls == 1  # one check per environment


def test_list_is_empty_without_a_session(fake: Engine) -> None:
    fake.usable = False
    assert call(["list"], None, fake) == (0, b"{}\n", "")


def test_list_never_says_identity_token(engine: Engine) -> None:
    engine.username = "<token>"
    assert set(json.loads(call(["list"], None)[1]).values()) == {"aqora"}


def test_version_is_one_line(engine: Engine) -> None:
    code, out, _ = call(["version"], None)
    assert code == 0
    assert out == f"docker-credential-aqora (aqora-helper) v{front.__version__}\n".encode()


# --- actions and arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [[], ["GET"], ["fill"], ["help"], ["-V"], [""], ["get", "extra"], ["version", "x"]],
)
def test_bad_arguments_print_usage_and_fail(engine: Engine, args: list[str]) -> None:
    code, out, err = call(args, b"registry.aqora.io")
    assert code == 1 and err == ""
    assert out.endswith(b"Usage: docker-credential-aqora <store|get|erase|list|version>\n")
    assert engine.slow_calls == [] and engine.forgotten == []


def test_unknown_action_is_not_echoed_raw(engine: Engine) -> None:
    code, out, _ = call(["\x1b[2J" + "x" * 200], b"")
    assert code == 1 and b"\x1b" not in out and len(out) < 200


# --- fuzzing ------------------------------------------------------------------------------

HOSTISH = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789.-:/@[]?#%\\ ")),
    max_size=40,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_outcome(engine: Engine, data: bytes, code: int, out: bytes, err: str) -> None:
    assert code in (0, 1)
    assert TRACEBACK not in err and TOKEN not in err
    if code == 0:
        body = json.loads(out)
        assert body["Secret"] == TOKEN
        target = front.parse_server(data.decode())
        assert target is not None and host_key(*target) in SERVED
    else:
        assert out.endswith(b"\n") and out.count(b"\n") == 1 and TOKEN.encode() not in out


@FUZZ
@given(data=st.binary(max_size=200))
def test_fuzz_get_arbitrary_bytes(data: bytes) -> None:
    engine = Engine()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(credential, "get_for_host", engine.get_for_host)
        code, out, err = get(data)
    check_outcome(engine, data, code, out, err)


@FUZZ
@given(
    prefix=st.sampled_from(["", "https://", "http://", "HTTPS://", "ftp://", "//"]),
    host=HOSTISH,
    suffix=st.sampled_from(["", "/", "/v2/", ":443", ":5000", ".", "?x", " "]),
)
def test_fuzz_get_host_like_strings(prefix: str, host: str, suffix: str) -> None:
    engine = Engine()
    server = prefix + host + suffix
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(credential, "get_for_host", engine.get_for_host)
        code, out, err = get(server)
    check_outcome(engine, server.encode(), code, out, err)
    # exact matching: answered iff the normalised key is a served key
    target = front.parse_server(server) if server.strip(front.ASCII_WS) else None
    served = target is not None and host_key(*target) in SERVED
    assert (code == 0) == served


@FUZZ
@given(data=st.binary(max_size=300), action=st.sampled_from(["store", "erase"]))
def test_fuzz_store_and_erase_arbitrary_bytes(data: bytes, action: str) -> None:
    engine = Engine()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(credential, "forget", engine.forget)
        mp.setattr(credential, "served_username", engine.served_username)
        code, out, err = call([action], data)
    assert code in (0, 1) and TRACEBACK not in err
    if code == 1:
        assert out.endswith(b"\n") and out.count(b"\n") == 1
    else:
        assert out == b""


@FUZZ
@given(
    server=st.one_of(HOSTISH, st.text(max_size=30)),
    username=st.one_of(st.text(max_size=10), st.integers(), st.none()),
    secret=st.one_of(st.text(max_size=10), st.none(), st.lists(st.integers(), max_size=2)),
)
def test_fuzz_store_json(server: str, username: object, secret: object) -> None:
    engine = Engine()
    data = json.dumps({"ServerURL": server, "Username": username, "Secret": secret}).encode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(credential, "served_username", engine.served_username)
        code, _out, err = call(["store"], data)
    assert code in (0, 1) and TRACEBACK not in err
    if code == 0:
        target = front.parse_server(server)
        assert target is not None and host_key(*target) in SERVED
        assert isinstance(username, str) and username


@FUZZ
@given(args=st.lists(st.text(max_size=12), max_size=4))
def test_fuzz_argv(args: list[str]) -> None:
    engine = Engine()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(credential, "get_for_host", engine.get_for_host)
        mp.setattr(credential, "forget", engine.forget)
        mp.setattr(credential, "served_username", engine.served_username)
        mp.setattr(credential, "usable_hosts", engine.usable_hosts)
        code, out, err = call(args, b"registry.aqora.io")
    valid = len(args) == 1 and args[0] in front.ACTIONS
    assert code == (0 if valid else 1), (args, out)
    assert TRACEBACK not in err
    if not valid:
        assert out.endswith(b"<store|get|erase|list|version>\n")
        assert engine.slow_calls == [] and engine.forgotten == []
