"""The package's folders are its layers, and their import rules hold.

- fast/: the standard library and fast/ only (credential.py alone may import the engine,
  lazily, inside a function: the miss path).
- doors/: the standard library and fast/ (the keyring backend also imports `keyring`
  and `jaraco`); never the engine, the CLI or setup/.
- engine/: never doors/, cli/ or setup/.
- setup/ (the config editors and doctor's checks of them): never doors/ or cli/, and no
  CLI framework (typer, click, rich): its commands are in cli/, which renders.
- client/ (the Python API): the standard library, fast/ and client/ at import time; the
  HTTP library its module adapts (requests, httpx); never the engine, doors/, cli/ or setup/.
Checked statically (every import statement, at any depth) and at run time (a cached
hit through each door imports nothing outside the standard library, fast/ and itself).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.layers import PACKAGE, layer, modules


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """(absolute module, at module level) of every import in `path`."""
    parts = ["aqora_helper", *path.relative_to(PACKAGE).with_suffix("").parts]
    package = parts[:-1]
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names = [f"{module}.{a.name}" for a in node.names] if not node.module else [module]
            found += [(name, id(node) in top) for name in names]
    return found


@pytest.mark.parametrize("path", modules("fast"), ids=lambda p: p.name)
def test_fast_imports_only_the_standard_library_and_fast(path: Path) -> None:
    for module, top_level in imports_of(path):
        kind = layer(module)
        if path.name == "credential.py" and kind == "engine" and not top_level:
            continue  # the miss path, imported inside a function
        assert kind in ("stdlib", "fast"), f"{path.name} imports {module}"


@pytest.mark.parametrize("path", modules("doors"), ids=lambda p: p.name)
def test_doors_import_only_the_standard_library_and_fast(path: Path) -> None:
    allowed = {"stdlib", "fast", "doors", "package"}
    for module, _ in imports_of(path):
        if path.name == "keyring_backend.py" and module.split(".")[0] in ("keyring", "jaraco"):
            continue
        if path.name == "keyring_program.py" and module == "keyring.cli":
            continue  # the hand-off to keyring's own CLI, inside a function
        if layer(module) == "package":
            assert module == "aqora_helper.__version__", f"{path.name} imports {module}"
        assert layer(module) in allowed, f"{path.name} imports {module}"


@pytest.mark.parametrize(
    "path",
    [*modules("fast"), *modules("doors"), PACKAGE / "__init__.py", PACKAGE / "__main__.py"],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_fast_and_doors_do_not_import_future_annotations(path: Path) -> None:
    """`from __future__ import annotations` imports the `__future__` module at run time:
    a module load more on every get (names only type checkers see are quoted instead)."""
    assert ("__future__", True) not in imports_of(path), f"{path} imports __future__"


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [("engine", {"doors", "cli", "setup"}), ("setup", {"doors", "cli"}), ("cli", set())],
)
def test_engine_cli_and_setup_respect_their_rules(folder: str, forbidden: set[str]) -> None:
    for path in modules(folder):
        for module, _ in imports_of(path):
            assert layer(module) not in forbidden, f"{folder}/{path.name} imports {module}"


@pytest.mark.parametrize("path", modules("setup"), ids=lambda p: p.name)
def test_setup_holds_no_cli_framework(path: Path) -> None:
    for module, _ in imports_of(path):
        head = module.split(".")[0]
        assert head not in ("typer", "click", "rich"), f"setup/{path.name} imports {module}"


@pytest.mark.parametrize("path", modules("client"), ids=lambda p: p.name)
def test_the_client_layer_imports_only_fast_and_its_http_library(path: Path) -> None:
    for module, _ in imports_of(path):
        kind = layer(module)
        if kind == "package":
            assert module == "aqora_helper.__version__", f"client/{path.name} imports {module}"
        elif kind == "third-party":
            assert module.split(".")[0] in ("requests", "httpx", "anyio"), f"{path.name}: {module}"
        else:
            assert kind in ("stdlib", "fast", "client"), f"client/{path.name} imports {module}"
