"""Which keyring lookups are ours, and their answer: shared by the keyring backend and the
light `keyring` program. Stdlib and fast/ only.

A service string is served when it is a URL (`https://pypi.example.org/simple/`) whose
host key is a served host, over https (or plain http to a loopback host), or a bare
`host[:port]` of a served loopback host (see `keyring_backend` for why). Names of our
own session store are never served here: `keyring_names.names_own_storage` decides them.
"""

from ..fast import lightos

MAX_SERVICE_LENGTH = 2048
DISABLE_ENV = "AQORA_HELPER_KEYRING"
DISABLE_VALUES = frozenset({"0", "off", "false", "no", "disable", "disabled"})

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..fast.hostcredential import HostCredential


def service_target(service: object) -> tuple[str, str] | None:
    """(scheme, host key) that a keyring service string names, or None.

    Accepted: `scheme://[user@]host[:port][/path...]` with https (any host) or http (a
    loopback host), and a bare loopback `host[:port]` (over http or https alike).
    Anything with whitespace, control characters or a backslash is refused (parsers
    disagree on those).
    """
    if not isinstance(service, str) or not service or len(service) > MAX_SERVICE_LENGTH:
        return None
    if not service.isascii() or any(c <= " " or c in "\x7f\\" for c in service):
        return None
    from ..fast.hostnames import host_key, is_loopback, key_from_url, split_hostport

    if "://" in service:
        return key_from_url(service)
    if any(c in service for c in "/@?#"):
        return None
    parsed = split_hostport(service)
    if parsed is None or not is_loopback(parsed[0]):
        return None  # the scheme is unknown: plain http would send the token in clear
    key = host_key("https", service)
    return None if key is None else ("https", key)


def served_credential(service: object, warn: "Callable[[str], None]") -> "HostCredential | None":
    """The credential for a served service, or None (a failure is one `warn` line).
    Raises only on an internal error (the caller reports it)."""
    target = service_target(service)
    if target is None:
        return None
    from ..fast.credential import get_for_host
    from ..fast.errors import AqoraHelperError

    try:
        cred = get_for_host(*target)
    except AqoraHelperError as exc:
        warn(f"{exc.message}. {exc.hint}")
        return None
    if cred is not None and not (_one_value(cred.token, ascii=True) and _one_value(cred.username)):
        warn("the token or username holds control characters; not handed out")
        return None
    return cred


def _one_value(value: object, ascii: bool = False) -> bool:
    """A non-empty value a client can take as one line (printable; ASCII if asked)."""
    return (
        isinstance(value, str)
        and bool(value)
        and value.isprintable()
        and (value.isascii() or not ascii)
    )


def disabled() -> bool:
    """True when the user turned our keyring answers off (`AQORA_HELPER_KEYRING=off`)."""
    return (lightos.getenv(DISABLE_ENV) or "").strip().lower() in DISABLE_VALUES
