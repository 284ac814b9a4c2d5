"""`git-credential-aqora get|store|erase`: the git front door.

Answers only for `protocol`/`host` pairs served by a configured environment (exact host
key match; https, or http to loopback), through `fast.credential`: a valid cached token
is answered with the standard library only; a miss loads the session engine there.
Never prompts, never opens a browser; failures are one line on stderr.

The credential source is a parameter (`hostcredential.HostSource`: three questions),
`fast.credential` by default: tests hand the door a fake instead.
"""

import sys

from .. import __version__
from ..fast import credential
from ..fast.errors import AqoraHelperError
from ..fast.hostcredential import HostCredential
from ..fast.text import is_token
from . import gitwire

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

    from ..fast.hostcredential import HostSource

PREFIX = "aqora-helper"
TOKEN_LIKE_LENGTH = 32  # a user name this long of token characters is taken for a token
USAGE = "usage: git-credential-aqora get|store|erase"
HELP = f"""{USAGE}

The git credential helper of aqora-helper: git runs it with the action as last argument
and the request (protocol=, host=, ...) on stdin. `get` answers a fresh aqora token for
a served host and nothing for any other; `erase` forgets a rejected cached token;
`store` is ignored.

Set up with 'aqora-helper setup git'; --version prints the version.
"""


def main(argv: list[str] | None = None, source: "HostSource" = credential) -> int:
    """Console-script entry point; returns the exit status (git ignores it)."""
    args = sys.argv[1:] if argv is None else argv
    if sys.stdin is None or sys.stdout is None:  # git closed our pipes: nothing to answer
        return 0
    try:
        code = run(args, sys.stdin.buffer, sys.stdout.buffer, sys.stderr, source)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # never a traceback into git's output
        _warn(sys.stderr, f"internal error ({type(exc).__name__}); run 'aqora-helper doctor'")
        code = 1
    return code


def run(
    args: list[str],
    stdin: "BinaryIO",
    stdout: "BinaryIO",
    stderr: "TextIO",
    source: "HostSource" = credential,
) -> int:
    """Handle one helper invocation; git passes the action as the last argument."""
    if not args:
        stderr.write(USAGE + "\n")
        return 2
    if args in (["--help"], ["-h"], ["--version"]):
        text = (
            f"git-credential-aqora (aqora-helper) {__version__}\n"
            if args[0] == "--version"
            else HELP
        )
        stdout.write(text.encode())
        stdout.flush()
        return 0
    action = args[-1]
    if action not in ("get", "erase"):
        return 0  # store is ignored (tokens come from the session); unknown: ignored
    data = gitwire.read_input(stdin)
    request = gitwire.parse(data) if data is not None else None
    if request is None:
        return 0
    scheme, host = request.get("protocol"), request.get("host")
    if not scheme or not host:
        return 0  # a host that cannot be served is answered None by credential (it parses it)
    if action == "get":
        return _get(source, request, scheme, host, stdout, stderr)
    return _erase(source, request, scheme, host)


def _get(
    source: "HostSource",
    request: gitwire.CredentialRequest,
    scheme: str,
    host: str,
    stdout: "BinaryIO",
    stderr: "TextIO",
) -> int:
    wanted_user = request.get("username")
    try:
        cred = source.get_for_host(scheme, host)
    except AqoraHelperError as exc:
        served = _served_username(source, scheme, host) if wanted_user else None
        if wanted_user and served not in (None, wanted_user):
            _other_user(stderr, scheme, host, wanted_user, served)
            return 0
        _warn(stderr, f"{exc.message.rstrip('.')}. {exc.hint}")
        return 1
    if cred is None:
        return 0
    if wanted_user and wanted_user != cred.username:
        _other_user(stderr, scheme, host, wanted_user, cred.username)
        return 0
    answer = gitwire.format_answer(answer_pairs(cred, request.has("capability", "authtype")))
    if answer is None:
        return 0
    try:
        stdout.write(answer)
        stdout.flush()
    except (OSError, ValueError) as exc:
        from ..fast.stdout import silence_stdout  # failures only

        silence_stdout()
        _warn(stderr, f"cannot write the credential to git: {getattr(exc, 'strerror', '') or exc}")
        return 1
    return 0


def answer_pairs(cred: HostCredential, authtype_capable: bool) -> list[tuple[str, str]]:
    """The attributes answered for `cred`: Bearer when git can and the mode allows."""
    expiry = [] if cred.expires_at is None else [("password_expiry_utc", str(cred.expires_at))]
    if authtype_capable and cred.git_auth in ("auto", "bearer"):
        return [
            ("capability[]", "authtype"),
            ("authtype", "Bearer"),
            ("credential", cred.token),
            ("ephemeral", "1"),
            *expiry,
        ]
    return [("username", cred.username), ("password", cred.token), *expiry]


def _served_username(source: "HostSource", scheme: str, host: str) -> str | None:
    """The username configured for the environment serving this host (None if unknown)."""
    try:
        return source.served_username(scheme, host)
    except Exception:
        return None


def _other_user(stderr: "TextIO", scheme: str, host: str, wanted: str, served: str | None) -> None:
    """Say why a URL naming another user than the served one gets no answer from us (git
    shows a helper's stderr; otherwise the person sees only a prompt or its failure). A
    user name that looks like a token (a JWT, or 32+ token characters) is never repeated."""
    if is_token(wanted) and (wanted.startswith("eyJ") or len(wanted) >= TOKEN_LIKE_LENGTH):
        _warn(
            stderr,
            f"not answering for a {scheme}://{host} URL whose user name looks like a token: "
            "remove it from the URL (git remote set-url); a token in a URL is kept in plain "
            "text in .git/config",
        )
        return
    _warn(
        stderr,
        f"not answering for {scheme}://{wanted}@{host}: aqora-helper answers as '{served}' "
        f"there; remove '{wanted}@' from the URL (git remote set-url), or set "
        f'username = "{wanted}" for this environment in the config file',
    )


def _erase(
    source: "HostSource", request: gitwire.CredentialRequest, scheme: str, host: str
) -> int:
    """Drop the cached access token when git reports it rejected; ignore anything else."""
    rejected = {t for t in (request.get("password"), request.get("credential")) if t}
    if not rejected:
        return 0
    import contextlib

    for token in rejected:  # only a cached token equal to a rejected one is dropped
        with contextlib.suppress(AqoraHelperError):
            source.forget(scheme, host, token)
    return 0


def _warn(stderr: "TextIO", text: str) -> None:
    from ..fast.text import one_line  # failures only: a hit does not need it

    stderr.write(f"{PREFIX}: {one_line(text)}\n")
    stderr.flush()
