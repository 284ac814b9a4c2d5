"""The package's layers (tests/unit/test_layers.py, tests/e2e/perf/test_import_layers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from support import REPO

PACKAGE = REPO / "helper" / "aqora_helper"
STDLIB = sys.stdlib_module_names | {"__future__"}


def layer(module: str) -> str:
    """`stdlib`, `fast`, `doors`, `engine`, `client`, `cli`, `setup`, `package` or `third-party`."""
    head = module.split(".")
    if head[0] in STDLIB:
        return "stdlib"
    if head[0] != "aqora_helper":
        return "third-party"
    folders = ("fast", "doors", "engine", "client", "cli", "setup")
    return head[1] if len(head) > 1 and head[1] in folders else "package"


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))
