"""The package's folders are its layers, and their import rules hold.

- fast/: the standard library and fast/ only (credential.py alone may import the engine,
  lazily, inside a function: the miss path).
- doors/: the standard library and fast/ (the keyring backend also imports `keyring`
  and `jaraco`); never the engine, the CLI or setup/.
- engine/: never doors/ or cli/.  setup/: never doors/.
Checked statically (every import statement, at any depth) and at run time (a cached
hit through each door imports nothing outside the standard library, fast/ and itself).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import config_path, describe, run_cmd, write_config
from support import heavy_modules_loaded, run_entry_point

PACKAGE = Path(__file__).resolve().parent.parent / "helper" / "aqora_helper"
STDLIB = sys.stdlib_module_names | {"__future__"}


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


def layer(module: str) -> str:
    """`stdlib`, `fast`, `doors`, `engine`, `cli`, `setup`, `package` or `third-party`."""
    head = module.split(".")
    if head[0] in STDLIB:
        return "stdlib"
    if head[0] != "aqora_helper":
        return "third-party"
    folders = ("fast", "doors", "engine", "cli", "setup")
    return head[1] if len(head) > 1 and head[1] in folders else "package"


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


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
    ("folder", "forbidden"),
    [("engine", {"doors", "cli"}), ("setup", {"doors"}), ("cli", set())],
)
def test_engine_cli_and_setup_respect_their_rules(folder: str, forbidden: set[str]) -> None:
    for path in modules(folder):
        for module, _ in imports_of(path):
            assert layer(module) not in forbidden, f"{folder}/{path.name} imports {module}"


def light(door: str, loaded: str) -> bool:
    """May importing `door` load `loaded`? The standard library, fast/, the door itself
    (git's wire format with it), and for the keyring backend keyring's own packages."""
    top = loaded.split(".")[0]
    if top in STDLIB or loaded.startswith(("aqora_helper.fast", "_")):
        return True
    own = {"aqora_helper", "aqora_helper.doors", door}
    if door.endswith(".git"):
        own.add("aqora_helper.doors.gitwire")
    if door.endswith((".keyring_backend", ".keyring_program")):
        own.add("aqora_helper.doors.keyring_service")
    if door.endswith(".keyring_backend"):
        return loaded in own or layer(loaded) == "third-party"
    return loaded in own


def test_every_fast_and_door_module_imports_light() -> None:
    """Importing any module of fast/ or doors/ loads nothing outside the standard
    library, fast/ and that door (plus keyring for the keyring backend)."""
    names = [f"aqora_helper.fast.{p.stem}" for p in modules("fast") if p.stem != "__init__"]
    names += [f"aqora_helper.doors.{p.stem}" for p in modules("doors") if p.stem != "__init__"]
    probe = (
        "import importlib, json, sys\n"
        "before = set(sys.modules)\n"
        "importlib.import_module({name!r})\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    for name in names:
        code = probe.format(name=name)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        heavy = [m for m in json.loads(proc.stdout) if not light(name, m)]
        assert heavy == [], f"importing {name} loaded {heavy}"


@pytest.fixture
def warm(aqora, user_env, login):
    """Logged in, 127.0.0.1:PORT served, index and cache warm."""
    port = aqora.url.rsplit(":", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{port}"]\n',
    )
    login()
    warmup = run_cmd(["aqora-helper", "token"], user_env)
    assert warmup.returncode == 0, describe(warmup)
    return f"127.0.0.1:{port}"


def test_a_cached_hit_through_each_door_stays_in_fast(aqora, user_env, warm):
    runs = [
        ("aqora_helper.__main__", ["aqora-helper", "token"], ""),
        (
            "aqora_helper.doors.git",
            ["git-credential-aqora", "get"],
            f"protocol=http\nhost={warm}\n",
        ),
        ("aqora_helper.doors.docker", ["docker-credential-aqora", "get"], warm),
    ]
    for module, argv, stdin in runs:
        proc = run_entry_point(module, argv, user_env, stdin)
        assert proc.returncode == 0, describe(proc)
        assert heavy_modules_loaded(proc) == [], module
    assert aqora.refresh_calls == 0


def test_token_is_answered_by_the_fast_path_again_after_a_config_touch(aqora, user_env, warm):
    """A config edit makes the index stale: the next `token` takes the slow path and
    rewrites the index, and the one after is a cached hit again."""
    subprocess.run(["touch", str(config_path(user_env))], check=True)
    first = run_entry_point("aqora_helper.__main__", ["aqora-helper", "token"], user_env)
    assert first.returncode == 0, describe(first)
    assert "aqora_helper.engine.settings" in heavy_modules_loaded(first)
    second = run_entry_point("aqora_helper.__main__", ["aqora-helper", "token"], user_env)
    assert second.returncode == 0, describe(second)
    assert heavy_modules_loaded(second) == []
    assert second.stdout == first.stdout
    assert aqora.refresh_calls == 0
