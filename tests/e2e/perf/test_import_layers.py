"""The layer rules at run time: importing any module of fast/ or doors/ loads nothing
outside the standard library, fast/ and that door, and a cached hit through each door
(and `token` after a config touch) stays in fast/.

The static import rules of every folder: tests/unit/test_layers.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

from shared.layers import STDLIB, layer, modules
from support import (
    config_path,
    describe,
    heavy_modules_loaded,
    run_entry_point,
)


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
