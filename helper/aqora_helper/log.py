"""Debug logging that never shows a secret.

`AQORA_HELPER_LOG=debug` turns it on (to stderr, or to `AQORA_HELPER_LOG_FILE`). Every
secret the process handles is registered with `register_secret` and replaced by a
fingerprint in any log record, whatever the code passed to the logger.
"""

from __future__ import annotations

import hashlib
import logging
import os

_SECRETS: set[str] = set()
logger = logging.getLogger("aqora_helper")


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a secret (safe to show)."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def register_secret(*secrets: str | None) -> None:
    """Remember secrets so that log output redacts them."""
    _SECRETS.update(s for s in secrets if s and len(s) >= 8)


def redact(text: str) -> str:
    """Replace every registered secret in `text` with its fingerprint."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, f"<redacted {fingerprint(secret)}>")
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def configure() -> None:
    """Enable debug logging when AQORA_HELPER_LOG asks for it (idempotent)."""
    level = os.environ.get("AQORA_HELPER_LOG", "").strip().lower()
    if not level or logger.handlers:
        return
    path = os.environ.get("AQORA_HELPER_LOG_FILE")
    handler: logging.Handler
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    else:
        handler = logging.StreamHandler()
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("aqora-helper[%(process)d] %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
    logger.propagate = False
