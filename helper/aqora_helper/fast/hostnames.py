"""Parse and normalise `host[:port]` strings. Stdlib only (fast path).

A host key is the lower-cased host, bracketed when IPv6, followed by `:port` unless
the port is the scheme's default. Matching is exact on that key: no suffix or prefix
matching, ever.
"""

DEFAULT_PORTS = {"https": 443, "http": 80}
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_IPV6_CHARS = frozenset("0123456789abcdef:.")
MAX_HOST_LENGTH = 255


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (host already lower-cased, unbracketed)."""
    if host == "localhost" or host in ("::1", "0:0:0:0:0:0:0:1"):
        return True
    parts = host.split(".")
    return (
        len(parts) == 4
        and parts[0] == "127"
        and all(p.isdigit() and p.isascii() and int(p) < 256 for p in parts)
    )


def split_hostport(hostport: str) -> tuple[str, int | None] | None:
    """`host[:port]` to (lower-cased host, port or None); None when malformed."""
    if not hostport or len(hostport) > MAX_HOST_LENGTH + 8:
        return None
    text = hostport.lower()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, rest = text[1:end], text[end + 1 :]
        if not host or not set(host) <= _IPV6_CHARS:
            return None
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    elif text.count(":") > 1:
        return None
    else:
        host, sep, port_text_raw = text.partition(":")
        port_text = port_text_raw if sep else None
        if not host or not set(host) <= _HOST_CHARS:
            return None
    if port_text is None:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        return None
    port = int(port_text)
    if not 0 < port < 65536:
        return None
    return host, port


def host_key(scheme: str, hostport: str) -> str | None:
    """Normalised key for a request to `scheme://hostport`, or None when not allowed.

    Allowed: https to any host, http only to loopback hosts.
    """
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    parsed = split_hostport(hostport)
    if parsed is None:
        return None
    host, port = parsed
    if scheme == "http" and not is_loopback(host):
        return None
    return join_key(host, port, DEFAULT_PORTS[scheme])


def join_key(host: str, port: int | None, default_port: int) -> str:
    """Build a host key; the default port is left out."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None or port == default_port else f"{shown}:{port}"


def served_key(hostport: str) -> str | None:
    """Key for a configured served host (https default port assumed)."""
    parsed = split_hostport(hostport.strip())
    if parsed is None:
        return None
    return join_key(parsed[0], parsed[1], DEFAULT_PORTS["https"])


def key_from_url(url: str) -> tuple[str, str] | None:
    """(scheme, host key) for a URL like `https://Host:443/path`, or None."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    key = host_key(scheme, authority)
    return None if key is None else (scheme.lower(), key)
