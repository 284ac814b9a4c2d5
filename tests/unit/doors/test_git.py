"""git-credential-aqora: the wire protocol, attacks and fuzzing (no network, no git).

The engine is replaced by fakes: one served host, `aqora.io` (https), plus the loopback
host `127.0.0.1:8080` (http allowed there).
"""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aqora_helper.doors import git
from aqora_helper.doors import gitwire as gitproto
from aqora_helper.engine import errors as engine_errors
from aqora_helper.engine.served import ServedHost
from aqora_helper.fast import credential, errors
from aqora_helper.fast.credential import HostCredential
from aqora_helper.fast.hostnames import host_key

TOKEN = "tok-123.abc_DEF"
EXPIRES = 2_000_000_000
SERVED = {"aqora.io", "127.0.0.1:8080"}
ENV_URL = "https://aqora.io/"


class Engine:
    """Fake fast.credential (cache + engine): records what the front door asked."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.username = "aqora"
        self.git_auth = "auto"
        self.cached = True
        self.error: errors.AqoraHelperError | None = None
        self.slow_calls: list[tuple[str, str]] = []
        self.forgotten: list[tuple[str, str, str | None]] = []

    def _cred(self, scheme: str, hostport: str) -> HostCredential | None:
        if host_key(scheme, hostport) not in SERVED:
            return None
        return HostCredential(self.token, EXPIRES, self.username, self.git_auth, ENV_URL)

    def lookup_cached(self, scheme: str, hostport: str) -> HostCredential | None:
        return self._cred(scheme, hostport) if self.cached else None

    def get_for_host(self, scheme: str, hostport: str) -> HostCredential | None:
        """As fast.credential: a host it cannot parse is not served; else the cache, else
        the engine."""
        if host_key(scheme, hostport) is None:
            return None
        hit = self.lookup_cached(scheme, hostport)
        return hit if hit is not None else self.credential_for_host(scheme, hostport)

    def served_username(self, scheme: str, hostport: str) -> str | None:
        found = self.environment_for_host(scheme, hostport)
        return None if found is None else found[1].username

    def credential_for_host(self, scheme: str, hostport: str) -> HostCredential | None:
        self.slow_calls.append((scheme, hostport))
        if self.error is not None and host_key(scheme, hostport) in SERVED:
            raise self.error
        return self._cred(scheme, hostport)

    def forget(self, scheme: str, hostport: str, token: str | None = None) -> bool:
        """As the engine: drops only a served host's cached token, only when it matches."""
        if host_key(scheme, hostport) not in SERVED or token not in (None, self.token):
            return False
        self.forgotten.append((scheme, hostport, token))
        return True

    def served_hosts(self) -> list[ServedHost]:
        return [ServedHost(k, ENV_URL, self.username, self.git_auth) for k in SERVED]

    def environment_for_host(
        self, scheme: str, hostport: str
    ) -> tuple[None, SimpleNamespace] | None:
        """As the engine: (settings, environment) for a served host, else None."""
        if host_key(scheme, hostport) not in SERVED:
            return None
        return None, SimpleNamespace(url=ENV_URL, username=self.username)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Engine:
    eng = Engine()
    monkeypatch.setattr(credential, "get_for_host", eng.get_for_host)
    monkeypatch.setattr(credential, "forget", eng.forget)
    monkeypatch.setattr(credential, "served_username", eng.served_username)
    return eng


@pytest.fixture
def fake() -> Engine:
    """A fake credential source, handed to the door (`source=`): nothing is patched."""
    return Engine()


def call(action: str, data: bytes, source: Engine | None = None) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    if source is None:
        code = git.run([action], io.BytesIO(data), out, err)
    else:
        code = git.run([action], io.BytesIO(data), out, err, source)
    return code, out.getvalue(), err.getvalue()


def answer(data: bytes, action: str = "get", source: Engine | None = None) -> dict[str, str]:
    code, out, _ = call(action, data, source)
    assert code == 0
    lines = out.decode().splitlines()
    return dict(line.split("=", 1) for line in lines)


# --- the ordinary answers ---------------------------------------------------------------


def test_basic_answer(fake: Engine) -> None:
    assert answer(b"protocol=https\nhost=aqora.io\n", source=fake) == {
        "username": "aqora",
        "password": TOKEN,
        "password_expiry_utc": str(EXPIRES),
    }
    assert fake.slow_calls == []


def test_exact_output_bytes(engine: Engine) -> None:
    _, out, _ = call("get", b"protocol=https\nhost=aqora.io\n")
    assert out == f"username=aqora\npassword={TOKEN}\npassword_expiry_utc={EXPIRES}\n".encode()


@pytest.mark.parametrize("host", ["aqora.io", "AQORA.IO", "Aqora.Io:443", "aqora.io:443"])
def test_host_spellings_of_the_served_host(engine: Engine, host: str) -> None:
    assert answer(f"protocol=https\nhost={host}\n".encode())["password"] == TOKEN


def test_loopback_http_is_served(engine: Engine) -> None:
    assert answer(b"protocol=http\nhost=127.0.0.1:8080\n")["password"] == TOKEN


def test_crlf_lines_and_blank_line_end(engine: Engine) -> None:
    got = answer(b"protocol=https\r\nhost=aqora.io\r\n\r\nhost=evil.com\n")
    assert got["password"] == TOKEN


def test_extra_attributes_are_ignored(engine: Engine) -> None:
    data = b"protocol=https\nhost=aqora.io\npath=org/repo.git\nwwwauth[]=Basic realm=x\nfoo=1\n"
    assert answer(data)["password"] == TOKEN


def test_bearer_when_git_has_authtype(engine: Engine) -> None:
    got = answer(b"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=aqora.io\n")
    assert got == {
        "capability[]": "authtype",
        "authtype": "Bearer",
        "credential": TOKEN,
        "ephemeral": "1",
        "password_expiry_utc": str(EXPIRES),
    }


def test_bearer_mode_bearer(engine: Engine) -> None:
    engine.git_auth = "bearer"
    assert answer(b"capability[]=authtype\nprotocol=https\nhost=aqora.io\n")["authtype"] == "Bearer"
    # without the capability git cannot do Bearer: Basic it is
    assert answer(b"protocol=https\nhost=aqora.io\n")["password"] == TOKEN


def test_basic_mode_ignores_authtype(engine: Engine) -> None:
    engine.git_auth = "basic"
    got = answer(b"capability[]=authtype\nprotocol=https\nhost=aqora.io\n")
    assert got["username"] == "aqora" and got["password"] == TOKEN
    assert "credential" not in got and "authtype" not in got


def test_cleared_capability_list_means_basic(engine: Engine) -> None:
    got = answer(b"capability[]=authtype\ncapability[]=\nprotocol=https\nhost=aqora.io\n")
    assert "password" in got and "credential" not in got


def test_no_expiry_when_unknown(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    cred = HostCredential(TOKEN, None, "aqora", "auto", ENV_URL)
    monkeypatch.setattr(engine, "lookup_cached", lambda s, h: cred)
    assert answer(b"protocol=https\nhost=aqora.io\n") == {"username": "aqora", "password": TOKEN}


def test_miss_goes_to_the_engine(fake: Engine) -> None:
    fake.cached = False
    assert answer(b"protocol=https\nhost=aqora.io\n", source=fake)["password"] == TOKEN
    assert fake.slow_calls == [("https", "aqora.io")]


# --- username ---------------------------------------------------------------------------


def test_matching_username_is_answered(engine: Engine) -> None:
    assert answer(b"protocol=https\nhost=aqora.io\nusername=aqora\n")["password"] == TOKEN


@pytest.mark.parametrize("cached", [True, False])
def test_other_username_is_left_to_other_helpers(engine: Engine, cached: bool) -> None:
    engine.cached = cached
    code, out, err = call("get", b"protocol=https\nhost=aqora.io\nusername=bob\n")
    assert (code, out) == (0, b"")
    assert_explains_other_user(err)


def assert_explains_other_user(err: str) -> None:
    """One line saying why bob gets no answer and what to do instead."""
    assert err.count("\n") == 1 and err.startswith("aqora-helper: not answering for "), err
    assert "https://bob@aqora.io" in err and "answers as 'aqora'" in err, err
    assert "remove 'bob@' from the URL" in err, err


def test_other_username_is_explained_even_when_logged_out(engine: Engine) -> None:
    engine.cached = False
    engine.error = errors.NotLoggedIn(ENV_URL)
    code, out, err = call("get", b"protocol=https\nhost=aqora.io\nusername=bob\n")
    assert (code, out) == (0, b"")
    assert_explains_other_user(err)  # the reason, not the login error


# --- failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        errors.NotLoggedIn(ENV_URL),
        engine_errors.SessionRejected(ENV_URL),
        engine_errors.ServerUnreachable(ENV_URL, "timed out"),
        engine_errors.KeyringLocked("locked\nsecond line"),
    ],
)
def test_failure_is_one_line_on_stderr(engine: Engine, error: errors.AqoraHelperError) -> None:
    engine.cached = False
    engine.error = error
    _code, out, err = call("get", b"protocol=https\nhost=aqora.io\n")
    assert out == b""
    assert err.endswith("\n") and err.count("\n") == 1
    assert err.startswith("aqora-helper: ")
    assert error.hint.rstrip(".") in err


def test_not_logged_in_names_the_login_command(engine: Engine) -> None:
    engine.cached = False
    engine.error = errors.NotLoggedIn(ENV_URL)
    _, _, err = call("get", b"protocol=https\nhost=aqora.io\n")
    assert f"aqora-helper login --url {ENV_URL}" in err


def test_unexpected_exception_is_one_line_without_traceback(
    fake: Engine, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    def boom(scheme: str, hostport: str) -> HostCredential | None:
        raise RuntimeError(f"secret {TOKEN}")

    fake.cached = False
    fake.credential_for_host = boom  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "argv", ["git-credential-aqora", "get"])
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(b"protocol=https\nhost=aqora.io\n"))
    )
    assert git.main(source=fake) == 1
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert err.count(b"\n") == 1 and b"Traceback" not in err and TOKEN.encode() not in err


# --- actions ----------------------------------------------------------------------------


def test_store_is_ignored(fake: Engine) -> None:
    data = f"protocol=https\nhost=aqora.io\nusername=aqora\npassword={TOKEN}\n".encode()
    assert call("store", data, fake) == (0, b"", "")
    assert fake.forgotten == [] and fake.slow_calls == []


@pytest.mark.parametrize("action", ["list", "version", "", "GET", "fill", "help"])
def test_unknown_action_is_silent(engine: Engine, action: str) -> None:
    assert call(action, b"protocol=https\nhost=aqora.io\n") == (0, b"", "")


def test_action_is_the_last_argument(engine: Engine) -> None:
    out = io.BytesIO()
    git.run(
        ["--some-option", "get"], io.BytesIO(b"protocol=https\nhost=aqora.io\n"), out, io.StringIO()
    )
    assert b"password=" in out.getvalue()


def test_erase_of_the_cached_token_drops_it(fake: Engine) -> None:
    data = f"protocol=https\nhost=aqora.io\nusername=aqora\npassword={TOKEN}\n".encode()
    assert call("erase", data, fake) == (0, b"", "")
    assert fake.forgotten == [("https", "aqora.io", TOKEN)]


def test_erase_of_a_bearer_credential(fake: Engine) -> None:
    data = f"protocol=https\nhost=aqora.io\nauthtype=Bearer\ncredential={TOKEN}\n".encode()
    call("erase", data, fake)
    assert fake.forgotten == [("https", "aqora.io", TOKEN)]


def test_erase_of_another_password_is_ignored(fake: Engine) -> None:
    call("erase", b"protocol=https\nhost=aqora.io\nusername=bob\npassword=other\n", fake)
    call("erase", b"protocol=https\nhost=aqora.io\n", fake)
    call("erase", b"protocol=https\nhost=evil.com\npassword=" + TOKEN.encode() + b"\n", fake)
    assert fake.forgotten == []


def test_erase_with_a_stale_cache_asks_the_engine_to_compare(engine: Engine) -> None:
    engine.cached = False
    call("erase", b"protocol=https\nhost=aqora.io\npassword=old-token\n")
    assert engine.forgotten == []
    call("erase", f"protocol=https\nhost=aqora.io\npassword={TOKEN}\n".encode())
    assert engine.forgotten == [("https", "aqora.io", TOKEN)]


# --- named attacks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"protocol=https\nhost=aqora.io.evil.com\n",
        b"protocol=https\nhost=evilaqora.io\n",
        b"protocol=https\nhost=evil.aqora.io\n",
        b"protocol=https\nhost=aqora.io:8443\n",
        b"protocol=https\nhost=aqora.io:\n",
        b"protocol=https\nhost=aqora.io.\n",
        b"protocol=https\nhost=user@aqora.io\n",
        b"protocol=https\nhost=aqora.io/evil\n",
        b"protocol=https\nhost=aqora.io%2fevil.com\n",
        b"protocol=http\nhost=aqora.io\n",  # plain http to a non-loopback host
        b"protocol=http\nhost=127.0.0.1:9999\n",  # another port
        b"protocol=https\nhost=127.0.0.1:80\n",
        b"protocol=ftp\nhost=aqora.io\n",
        b"protocol=https\n",  # missing host
        b"host=aqora.io\n",  # missing protocol
        b"protocol=\nhost=aqora.io\n",
        b"protocol=https\nhost=\n",
        b"protocol=https\nhost=aqora.io\nhost=evil.com\n",  # last one wins, as in git
        # CR injection (CVE-2024-52006): a lone CR must not start a new line
        b"protocol=https\nhost=evil.com\rhost=aqora.io\n",
        b"protocol=https\rhost=aqora.io\n",
        b"protocol=https\nhost=aqora.io\r\r\n",
        b"protocol=https\nhost=aqora.io\nusername=x\rpassword=y\n",
        # other line breaks Python's splitlines() would honour
        b"protocol=https\nhost=evil.com\x0bhost=aqora.io\n",
        b"protocol=https\nhost=evil.com\x1chost=aqora.io\n",
        b"protocol=https\nhost=evil.com\xc2\x85host=aqora.io\n",
        b"protocol=https\nhost=evil.com\xe2\x80\xa8host=aqora.io\n",
        # NUL and other controls
        b"protocol=https\nhost=aqora.io\x00.evil.com\n",
        b"protocol=https\nhost=aqora.io\npath=a\x00b\n",
        b"protocol=https\nhost=aqora.io\npath=a\x1bb\n",
        # url= lines (CVE-2020-11008): never honoured, the input is refused
        b"url=https://aqora.io\n",
        b"protocol=https\nhost=aqora.io\nurl=https://evil.com\n",
        b"url=https://aqora.io\nprotocol=https\nhost=aqora.io\n",
        b"url[]=x\nprotocol=https\nhost=aqora.io\n",
        # malformed lines and encodings
        b"protocol=https\nhost=aqora.io\nnot-a-pair\n",
        b"protocol=https\nhost=aqora.io\n=value\n",
        b"protocol=https\nhost=aqora.io\npath=\xff\xfe\n",
        b"",
        b"\n",
    ],
)
def test_attacks_get_no_answer(engine: Engine, data: bytes) -> None:
    _code, out, err = call("get", data)
    assert out == b"" and err == ""
    assert engine.slow_calls == [] or all(host_key(*c) is not None for c in engine.slow_calls)


def test_oversized_input_is_refused(engine: Engine) -> None:
    big = b"protocol=https\nhost=aqora.io\npath=" + b"a" * gitproto.MAX_INPUT + b"\n"
    assert call("get", big) == (0, b"", "")


def test_input_just_under_the_cap_is_fine(engine: Engine) -> None:
    head = b"protocol=https\nhost=aqora.io\npath="
    data = head + b"a" * (gitproto.MAX_INPUT - len(head) - 1) + b"\n"
    assert len(data) == gitproto.MAX_INPUT
    assert answer(data)["password"] == TOKEN


@pytest.mark.parametrize(
    "token",
    ["a\nhost=evil.com", "a\rb", "a\x00b", "a\x7fb", "a\x85b", "a\u2028b", ""],
)
def test_a_token_with_control_characters_is_never_emitted(engine: Engine, token: str) -> None:
    engine.token = token
    if token:
        assert call("get", b"protocol=https\nhost=aqora.io\n")[1] == b""
    for data in (
        b"protocol=https\nhost=aqora.io\n",
        b"capability[]=authtype\nprotocol=https\nhost=aqora.io\n",
    ):
        out = call("get", data)[1]
        assert b"\r" not in out and b"\x00" not in out and out.count(b"\n") == len(out.splitlines())


def test_a_username_with_control_characters_is_never_emitted(engine: Engine) -> None:
    engine.username = "aqora\nhost=evil.com"
    assert call("get", b"protocol=https\nhost=aqora.io\n")[1] == b""


def test_format_refuses_url_and_bad_keys() -> None:
    assert gitproto.format_answer([("url", "https://aqora.io")]) is None
    assert gitproto.format_answer([("url[]", "x")]) is None
    assert gitproto.format_answer([("a=b", "c")]) is None
    assert gitproto.format_answer([("", "c")]) is None
    assert gitproto.format_answer([("password", "ok")]) == b"password=ok\n"


def test_read_input_stops_at_blank_line_without_eof() -> None:
    class Endless(io.RawIOBase):
        """A stream that would block forever after the blank line (fails if read)."""

        def __init__(self) -> None:
            self.data = io.BytesIO(b"protocol=https\nhost=aqora.io\n\n")

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray) -> int:  # type: ignore[override]
            chunk = self.data.read(len(b))
            if not chunk:
                raise AssertionError("read past the blank line")
            b[: len(chunk)] = chunk
            return len(chunk)

    stream = io.BufferedReader(Endless(), buffer_size=1)
    assert gitproto.read_input(stream) == b"protocol=https\nhost=aqora.io\n\n"


# --- fuzzing ----------------------------------------------------------------------------

_KEYS = [
    "protocol",
    "host",
    "username",
    "password",
    "path",
    "url",
    "capability[]",
    "credential",
    "authtype",
    "wwwauth[]",
    "quit",
    "",
    "host[]",
    "protocol ",
]
_VALUES = [
    "https",
    "http",
    "aqora.io",
    "AQORA.io:443",
    "aqora.io.evil.com",
    "evilaqora.io",
    "127.0.0.1:8080",
    "127.0.0.1:8081",
    "aqora",
    "bob",
    "authtype",
    "",
    "ftp",
]
_JUNK = st.sampled_from(["\r", "\n", "\x00", "\x0b", "\x1b", "\x85", "\u2028", "=", "\r\n", "é"])


def _value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_VALUES),
        st.builds(
            lambda a, j, b: a + j + b, st.sampled_from(_VALUES), _JUNK, st.sampled_from(_VALUES)
        ),
        st.text(max_size=20),
    )


_LINES = st.lists(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(_KEYS), _value()), max_size=8
).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")


def _check_output(data: bytes, code: int, out: bytes, err: str) -> None:
    assert code in (0, 1)
    if not out:
        return
    assert out.endswith(b"\n")
    text = out.decode("utf-8")
    for line in text[:-1].split("\n"):
        key, sep, _ = line.partition("=")
        assert sep and key != "url" and not key.startswith("url")
        assert not gitproto.has_control(line)
    # an answer only for a served host, named by the input's own protocol and host
    request = gitproto.parse(data)
    assert request is not None
    assert host_key(request.get("protocol"), request.get("host")) in SERVED
    assert TOKEN in text


fuzz_settings = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz_settings
@given(data=st.binary(max_size=300), action=st.sampled_from(["get", "erase", "store"]))
def test_fuzz_arbitrary_bytes(engine: Engine, data: bytes, action: str) -> None:
    code, out, err = call(action, data)
    if action != "get":
        assert out == b""
    _check_output(data, code, out, err)


@fuzz_settings
@given(data=_LINES, cached=st.booleans())
def test_fuzz_attribute_lines(engine: Engine, data: bytes, cached: bool) -> None:
    engine.cached = cached
    engine.slow_calls.clear()
    code, out, err = call("get", data)
    _check_output(data, code, out, err)
    for scheme, hostport in engine.slow_calls:
        assert host_key(scheme, hostport) is not None


@fuzz_settings
@given(prefix=_LINES, suffix=st.binary(max_size=100))
def test_fuzz_mixed(engine: Engine, prefix: bytes, suffix: bytes) -> None:
    data = b"protocol=https\nhost=aqora.io\n" + prefix + suffix
    code, out, err = call("get", data)
    _check_output(data, code, out, err)


@pytest.mark.parametrize(
    "user", ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7"]
)
def test_a_user_name_that_looks_like_a_token_is_never_repeated(engine: Engine, user: str) -> None:
    code, out, err = call("get", f"protocol=https\nhost=aqora.io\nusername={user}\n".encode())
    assert (code, out) == (0, b"")
    assert user not in err and "looks like a token" in err, err
    assert err.count("\n") == 1, err
