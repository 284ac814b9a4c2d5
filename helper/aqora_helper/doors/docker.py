"""`docker-credential-aqora`: the Docker credential-helper front door.

Protocol (docker/docker-credential-helpers): the action is argv[1]; `get` and `erase`
read a server string on stdin, `store` reads `{"ServerURL","Username","Secret"}`, `list`
ignores stdin, `version` prints one line. Errors go to **stdout** with exit code 1; the
exact text `credentials not found in native keychain` tells clients to go on
anonymously, any other text is a hard error. Hints for people go to stderr (the clients
pass the helper's stderr through to the terminal).

Server strings are normalised to a host key: scheme, path and trailing slash stripped,
host lower-cased, matched exactly against the served hosts (`hostnames.host_key`).
A string without a scheme is looked up as https (Docker registry keys carry no scheme;
the served-host list is normalised with https' default port, so `host` and `host:443`
are the same key, and a loopback registry on an explicit port such as `127.0.0.1:5000`
has the same key under either scheme). An explicit `http://` is passed on as http, so
only loopback hosts can match it. A non-loopback registry that the client is told to
reach without TLS verification gets no token (`insecure_registries`): such a client
falls back to plain http and would send it there.

With `"credsStore": "aqora"` Docker sends every registry here: a registry we do not
serve is passed, request as received, to `credential.docker_store` (the previous store
or the OS keyring, engine/dockerstore.py), and `list` merges both; without it such
a registry gets `credentials not found` and its `store` is refused.

Stdlib only: every question goes through `fast.credential`, which answers a cached
valid token without the session engine and loads it only on a miss and for
store/erase/list. It is the door's credential source by default (`CredentialSource`,
the five questions the door asks): tests hand it a fake instead.
"""

import sys

from .. import __version__
from ..fast import credential
from ..fast.errors import AqoraHelperError, NotLoggedIn
from ..fast.hostnames import host_key, is_loopback, split_hostport
from ..fast.jsonlite import dumps, loads
from ..fast.text import one_line, shown

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import BinaryIO, Protocol, TextIO

    from ..fast.hostcredential import HostSource

    class CredentialSource(HostSource, Protocol):
        """What the Docker door asks (`fast.credential` answers): a host's questions,
        plus the served hosts with a usable session (`list`) and the full store."""

        def usable_hosts(self) -> dict[str, str]: ...

        def docker_store(self, action: str, data: str) -> str | None: ...

NAME = "docker-credential-aqora"
PACKAGE = "aqora-helper"
NOT_FOUND = "credentials not found in native keychain"
MISSING_SERVER_URL = "no credentials server URL"
MISSING_USERNAME = "no credentials username"
USAGE = f"Usage: {NAME} <store|get|erase|list|version>"
DEFAULT_USERNAME = "aqora"
IDENTITY_TOKEN_USERNAME = "<token>"
MAX_SERVER_BYTES = 8 * 1024
MAX_STORE_BYTES = 1024 * 1024
ASCII_WS = " \t\r\n\v\f"  # trimmed around server strings (nothing exotic)


class ProtocolError(Exception):
    """Bad input or a failure: the message goes to stdout, exit code 1."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# ---------------------------------------------------------------------------- input


def read_limited(stdin: "BinaryIO | None", limit: int) -> bytes:
    """All of stdin, refusing more than `limit` bytes."""
    if stdin is None:
        return b""
    data = stdin.read(limit + 1)
    if len(data) > limit:
        raise ProtocolError(f"input too large (more than {limit} bytes)")
    return data


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("input is not valid UTF-8") from None


def read_server_string(stdin: "BinaryIO | None") -> str:
    """The server string of `get`/`erase`, whitespace-trimmed, never empty."""
    text = _decode(read_limited(stdin, MAX_SERVER_BYTES)).strip(ASCII_WS)
    if not text:
        raise ProtocolError(MISSING_SERVER_URL)
    return text


def read_store_request(stdin: "BinaryIO | None") -> tuple[str, str]:
    """(ServerURL, the request's text) of a `store` request, its fields checked."""
    text = _decode(read_limited(stdin, MAX_STORE_BYTES))
    try:
        import json  # `store` only: a get stays free of `re`

        data = json.loads(text)
    except ValueError:
        raise ProtocolError(
            "invalid JSON on stdin (expected ServerURL, Username and Secret)"
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid JSON on stdin: expected an object")
    server, username, secret = data.get("ServerURL"), data.get("Username"), data.get("Secret")
    for name, value in (("ServerURL", server), ("Username", username), ("Secret", secret)):
        if value is not None and not isinstance(value, str):
            raise ProtocolError(f"invalid JSON on stdin: {name} must be a string")
    if not server or not server.strip(ASCII_WS):
        raise ProtocolError(MISSING_SERVER_URL)
    if not username:
        raise ProtocolError(MISSING_USERNAME)
    return str(server).strip(ASCII_WS), text


def parse_server(server: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) to ask the engine about, or None when no host can match.

    `https://Registry.Example:443/v2/` -> ("https", "registry.example:443");
    `127.0.0.1:5000` -> ("https", "127.0.0.1:5000"); `ftp://x`, `user@host`, control
    characters or an empty host -> None.
    """
    text = server.strip(ASCII_WS).lower()
    scheme = "https"
    head, sep, rest = text.partition("://")
    if sep:
        if head not in ("http", "https"):
            return None
        scheme, text = head, rest
    for stop in "/?#":
        text = text.split(stop, 1)[0]
    if not text or "@" in text or not text.isascii() or not text.isprintable():
        return None
    if host_key(scheme, text) is None:
        return None
    return scheme, text


def safe_username(username: str | None) -> str:
    """The configured username, never empty and never `<token>` (identity-token marker)."""
    if (
        not username
        or username == IDENTITY_TOKEN_USERNAME
        or not (username.isascii() and username.isprintable())
    ):
        return DEFAULT_USERNAME
    return username


# ---------------------------------------------------------------------------- actions


def action_get(stdin: "BinaryIO | None", stderr: "TextIO | None", source: "CredentialSource") -> str:
    server = read_server_string(stdin)
    target = parse_server(server)
    try:
        cred = None if target is None else source.get_for_host(*target)
    except NotLoggedIn as exc:
        raise ProtocolError(NOT_FOUND, f"{exc.message}. {exc.hint}") from None
    if cred is None:
        answer = source.docker_store("get", server)
        if not answer:
            raise ProtocolError(NOT_FOUND)
        return answer
    if not cred.token or target is None:
        raise ProtocolError(NOT_FOUND)
    _refuse_without_tls(target[1])
    body = {"ServerURL": server, "Username": safe_username(cred.username), "Secret": cred.token}
    return dumps(body) + "\n"


def _refuse_without_tls(hostport: str) -> None:
    """Hand no token for a non-loopback registry that the client reaches without TLS
    verification: it would send it over plain http (see insecure_registries)."""
    parsed = split_hostport(hostport)
    if parsed is None or is_loopback(parsed[0]):
        return
    from .insecure_registries import tls_off_reason

    reason = tls_off_reason(hostport.lower())
    if reason is not None:
        raise ProtocolError(
            f"aqora-helper sends no token to {shown(hostport)} without TLS verification "
            f"({shown(reason, 200)})",
            "Reach this registry over verified https (drop --tls-verify=false, "
            "'insecure = true' or 'insecure-registries' for it), then retry.",
        )


def _is_served(source: "CredentialSource", target: tuple[str, str] | None) -> bool:
    """True when the engine serves this (scheme, host[:port]) (reads the configuration)."""
    if target is None:
        return False
    return source.served_username(*target) is not None


def action_store(stdin: "BinaryIO | None", stderr: "TextIO | None", source: "CredentialSource") -> str:
    server, request = read_store_request(stdin)
    if _is_served(source, parse_server(server)):
        return ""  # a served host: tokens come from the aqora session, nothing to store
    answer = source.docker_store("store", request)  # the full store, if that mode is on
    if answer is None:
        raise ProtocolError(
            f"aqora-helper serves only aqora hosts, and '{shown(server)}' is not one of "
            "them; nothing was stored",
            "Route only aqora registries to this helper with 'credHelpers' in the Docker "
            "config ('aqora-helper setup docker' does it), and keep 'credsStore' for your "
            "usual credential store, or make aqora a full store with "
            "'aqora-helper setup docker --creds-store'.",
        )
    return answer


def action_erase(stdin: "BinaryIO | None", stderr: "TextIO | None", source: "CredentialSource") -> str:
    server = read_server_string(stdin)
    target = parse_server(server)
    if target is not None and _is_served(source, target):
        source.forget(*target)  # the cached token, never the session
        return ""
    return source.docker_store("erase", server) or ""  # nothing (more) here: success


def action_list(stdin: "BinaryIO | None", stderr: "TextIO | None", source: "CredentialSource") -> str:
    ours = {key: safe_username(name) for key, name in source.usable_hosts().items()}
    try:
        others = loads(source.docker_store("list", "") or "{}")
    except ValueError:
        others = None
    if not isinstance(others, dict):
        raise ProtocolError("the previous credentials store answered 'list' with no JSON object")
    merged = {k: v for k, v in others.items() if _list_key(str(k)) not in ours}
    merged.update(ours)
    return dumps(merged) + "\n"


def _list_key(server: str) -> str | None:
    """The host key of a listed server string (to drop other stores' served hosts)."""
    target = parse_server(server)
    return None if target is None else host_key(*target)


def action_version(
    stdin: "BinaryIO | None", stderr: "TextIO | None", source: "CredentialSource"
) -> str:
    return f"{NAME} ({PACKAGE}) v{__version__}\n"  # docker-credential-helpers' form


HELP = f"""{USAGE}

The Docker credential helper of aqora-helper: Docker, skopeo, podman and docker-py run
it with the action as argument and the request on stdin.

  get      read a registry on stdin, answer {{"ServerURL","Username","Secret"}}
  store    read {{"ServerURL","Username","Secret"}} on stdin (aqora hosts: nothing stored)
  erase    read a registry on stdin, forget its cached token
  list     answer {{registry: username}} for every served registry
  version  print the version (also --version, -v)

Set up with 'aqora-helper setup docker'; see 'aqora-helper --help'.
"""


ACTIONS = {
    "get": action_get,
    "store": action_store,
    "erase": action_erase,
    "list": action_list,
    "version": action_version,
}


# ---------------------------------------------------------------------------- main


def _put(stream: "BinaryIO | None", text: str) -> bool:
    """Write `text`; False when it could not be written (the client has gone)."""
    if not text:
        return True
    if stream is None:
        return False
    try:
        stream.write(text.encode("utf-8", "replace"))
        stream.flush()
    except (OSError, ValueError):
        return False
    return True


def _warn(stream: "TextIO | None", text: str) -> None:
    if stream is None:
        return
    try:
        stream.write(f"{NAME}: {shown(one_line(text), 400)}\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def run(
    args: list[str],
    stdin: "BinaryIO | None",
    stdout: "BinaryIO | None",
    stderr: "TextIO | None",
    source: "CredentialSource" = credential,
) -> int:
    """Handle one invocation (`args` = argv[1:]); returns the exit code, never raises
    (but KeyboardInterrupt)."""
    if args in (["--help"], ["-h"]):
        return 0 if _put(stdout, HELP) else 1
    if args in (["--version"], ["-v"]):
        args = ["version"]
    if len(args) != 1 or args[0] not in ACTIONS:
        if len(args) == 1:
            _put(stdout, f"Unknown credential action `{shown(args[0], 40)}`\n")
        _put(stdout, USAGE + "\n")
        return 1
    try:
        out = ACTIONS[args[0]](stdin, stderr, source)
    except ProtocolError as exc:
        _put(stdout, one_line(exc.message) + "\n")
        if exc.hint:
            _warn(stderr, exc.hint)
        return 1
    except AqoraHelperError as exc:
        _put(stdout, one_line(exc.message) + "\n")
        if exc.message != NOT_FOUND:  # the full store has none: an answer, said silently
            _warn(stderr, exc.hint)
        return 1
    if not _put(stdout, out):
        _warn(stderr, "cannot write the answer to standard output")
        return 1
    return 0


def main(argv: list[str] | None = None, source: "CredentialSource" = credential) -> int:
    """Console-script entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    stdin = getattr(sys.stdin, "buffer", None)
    stdout = getattr(sys.stdout, "buffer", None)
    try:
        code = run(args, stdin, stdout, sys.stderr, source)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # never a traceback on the protocol channel
        _put(stdout, f"aqora-helper: internal error ({type(exc).__name__})\n")
        _warn(sys.stderr, "run 'aqora-helper doctor'; report this if it persists")
        code = 1
    try:
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):
        from ..fast.stdout import silence_stdout  # failures only

        silence_stdout()  # stdout is gone: keep the interpreter quiet about it at exit
    return code
