"""doctor's containers check: podman, skopeo and buildah read static credentials from
their own auth.json files (`podman login` writes them) before Docker's `credHelpers`, so
a stale entry for a served host there shadows aqora-helper."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

from ..fast.hostnames import served_key
from .checks import MAX_CONFIG_BYTES, STATIC_AUTH_KEYS, Check


def auth_files() -> list[Path]:
    """The containers auth files, in the order the tools read them."""
    files = []
    if os.environ.get("REGISTRY_AUTH_FILE"):
        files.append(Path(os.environ["REGISTRY_AUTH_FILE"]))
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime:
        files.append(Path(runtime) / "containers" / "auth.json")
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    config = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config"
    files.append(config / "containers" / "auth.json")
    return list(dict.fromkeys(files))


def container_checks(hosts: list[str]) -> list[Check]:
    """No static credentials for a served host in a containers auth file."""
    checks = []
    for path in auth_files():
        try:
            data = json.loads(path.read_bytes()[:MAX_CONFIG_BYTES])
        except (OSError, ValueError):
            continue
        auths = data.get("auths") if isinstance(data, dict) else None
        for key, entry in (auths if isinstance(auths, dict) else {}).items():
            netloc = str(key).split("://", 1)[-1].split("/", 1)[0]
            stored = isinstance(entry, dict) and any(entry.get(k) for k in STATIC_AUTH_KEYS)
            if stored and served_key(netloc) in hosts:
                checks.append(
                    Check(
                        "fail",
                        "containers",
                        f"static credentials for {netloc} in {path} (key '{key}') outrank "
                        "aqora-helper for podman, skopeo and buildah and go stale",
                        _logout_fix(path, str(key)),
                    )
                )
    if not checks:
        checks.append(Check("ok", "containers", "no static credentials for aqora's hosts"))
    return checks


def _logout_fix(path: Path, key: str) -> str:
    tool = next((t for t in ("podman", "skopeo", "buildah") if shutil.which(t)), "podman")
    return f"{tool} logout --authfile {shlex.quote(str(path))} {shlex.quote(key)}"
