"""Debug logging that never shows a secret.

`AQORA_HELPER_LOG=debug` turns it on (to stderr, or to `AQORA_HELPER_LOG_FILE`). Every
secret the process handles is registered with `register_secret` and replaced by a
fingerprint in any log record, whatever the code passed to the logger (see redaction.py);
control characters are stripped, so no record can forge another line.
"""

from __future__ import annotations

import logging
import os

from ..fast.redaction import fingerprint, redact, register_password, register_secret, strip_controls

__all__ = ["configure", "fingerprint", "logger", "redact", "register_password", "register_secret"]

logger = logging.getLogger("aqora_helper")


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(strip_controls(record.getMessage()))
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
