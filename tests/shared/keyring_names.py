"""Our keyring store's names as clients could spell them (tests/e2e/security/test_keyring_lookups.py,
tests/unit/engine/test_vault_legacy_keyring.py)."""

from __future__ import annotations

from aqora_helper.fast.keyring_names import SESSION_SERVICE

# Every spelling a client could send for our store's names (plus the exact names).
OWN_STORE_SERVICES = [
    "aqora-helper",
    "AQORA-HELPER",
    "aqora-helper.",
    "Aqora-Helper..",
    "aqora-helper:443",
    "aqora-helper:80",
    " aqora-helper ",
    "aqora-helper\n",
    "http://aqora-helper/simple/",
    "http://x@aqora-helper/simple/",
    "https://aqora-helper/",
    "HTTP://AQORA-HELPER:80/simple/",
    "http://aqora-helper./simple/",
    "https://u:p@aqora-helper.:8443/x?y#z",
    "http://aqora-helper\\simple",
    "ftp://aqora-helper",
    "//aqora-helper/",
    "http://aqora-helper",
    SESSION_SERVICE,
    SESSION_SERVICE.upper(),
    "aqora-helper session",
    "aqora-helpersession",
    "http://aqora-helper%09session/",
]
