"""The secrets this process holds, and text made safe to show. Stdlib only, and imports
nothing at load time: errors.py (and so the fast path) uses it.

Every secret is registered *before* it is sent anywhere, so whatever a server echoes
back (whole, truncated, split by control characters) is redacted wherever it is shown:
error messages, `status`, docker's stdout, the debug log.
"""

MIN_SECRET = 8  # shorter strings are not redacted: they would shred ordinary text
PIECE = 8  # any run sharing this many characters with a secret is redacted too
MAX_INDEXED = 4096  # secrets up to this length are also matched by their pieces
MAX_SERVER_TEXT = 300

_SECRETS: dict[str, str] = {}  # secret -> what replaces it
_PIECES: set[str] = set()


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a high-entropy secret (safe to show)."""
    import hashlib

    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def register_secret(*secrets: object) -> None:
    """Remember tokens (and codes, client secrets) so that shown text redacts them; each
    is replaced by its fingerprint. Non-strings and short strings are ignored."""
    for secret in secrets:
        if isinstance(secret, str) and secret not in _SECRETS:
            _add(secret, f"<redacted {fingerprint(secret)}>")


def register_password(password: str) -> None:
    """Remember a password: replaced by a plain mark (a fingerprint of a guessable
    secret would let anyone test guesses against it)."""
    _add(password, "<redacted password>")


def _add(secret: str, mark: str) -> None:
    if len(secret) < MIN_SECRET:
        return
    _SECRETS[secret] = mark
    if len(secret) <= MAX_INDEXED:
        _PIECES.update(secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1))


def redact(text: str) -> str:
    """`text` with every registered secret, and any run sharing PIECE characters with
    one (a truncated or partial echo), replaced by a mark."""
    if not _SECRETS:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _SECRETS[secret])
    return _redact_pieces(text)


def _redact_pieces(text: str) -> str:
    spans: list[list[int]] = []
    for start in range(len(text) - PIECE + 1):
        if text[start : start + PIECE] in _PIECES:
            if spans and start <= spans[-1][1]:
                spans[-1][1] = start + PIECE
            else:
                spans.append([start, start + PIECE])
    if not spans:
        return text
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], "<redacted>"]
        last = end
    return "".join([*parts, text[last:]])


def strip_controls(text: str) -> str:
    """`text` on one line: line breaks and tabs become spaces, every other
    non-printable character (terminal escapes, bidi overrides, NUL) is dropped."""
    return "".join(
        c if c.isprintable() else " " if c in "\r\n\t\v\f" else "" for c in text
    )


def server_text(value: object, limit: int = MAX_SERVER_TEXT) -> str:
    """Text a server sent, safe to show: one line, no control characters, no secret,
    at most `limit` characters."""
    text = redact(strip_controls(str(value)[: 4 * limit]))
    return text if len(text) <= limit else text[: limit - 1] + "…"
