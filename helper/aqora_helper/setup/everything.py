"""`aqora-helper setup all`: every client found on this machine set up for one aqora
environment in one command, and `setup all --remove`: every setup this user has undone,
for every environment, each file given back byte for byte.

Each step is the client's own `setup` (its preview, its checks, its refusals). Setting
up, pip and uv come first: `setup pip` may ask for `--extra` or `--replace`, and then
nothing at all has been written. Removing, every step runs even when one fails; the
failures are returned.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ..engine.settings import Environment, Settings
from ..fast.dockerconfig import docker_config_file
from ..fast.errors import AqoraHelperError
from ..fast.hostnames import served_key
from . import docker, git, pip, uv
from .pipfiles import pip_config_file
from .textblocks import status

CONTAINER_TOOLS = ("docker", "podman", "skopeo", "buildah")


def _step(name: str, run: Callable[[], object]) -> str | None:
    """Run one client's setup under a header line; its failure as a line, else None."""
    status(f"-- {name}")
    try:
        done = run()
    except AqoraHelperError as exc:
        status(f"error: {exc.message}")
        status(f"hint: {exc.hint}")
        return name
    return name if done is False else None  # some entries skipped: said above


def registry_hosts(env: Environment, given: Sequence[str]) -> list[str]:
    """The registries to set Docker up for: those given, else the environment's served
    hosts but the API hosts (aqora's API is not a registry)."""
    if given:
        return list(given)
    api = docker.api_hosts() | {served_key(urlsplit(env.url).netloc)}
    return [h for h in env.hosts if served_key(h) not in api]


def configure_all(
    env: Environment,
    index_url: str | None,
    extra: bool | None,
    registries: Sequence[str],
    dry_run: bool,
) -> list[str]:
    """Set up, for `env`, pip and uv (given `index_url`; uv when on PATH), git (when on
    PATH) and Docker's clients (when one is on PATH or Docker has a config file, for
    `registry_hosts`). Stops at the first failure; returns it (empty: all done)."""
    steps: list[tuple[str, Callable[[], object]]] = []
    skipped: list[str] = []
    if index_url is not None:
        steps.append(
            ("pip", lambda: pip.configure(pip_config_file(), index_url, env.url, extra, dry_run))
        )
        if shutil.which("uv"):
            steps.append(
                (
                    "uv",
                    lambda: uv.configure(
                        uv.uv_config_file(), index_url, env.url, extra, None, dry_run
                    ),
                )
            )
        else:
            skipped.append("uv (not on PATH)")
    else:
        skipped.append("pip and uv (no --index-url)")
    if shutil.which("git"):
        steps.append(("git", lambda: git.configure(env.hosts, "--global", False, dry_run)))
    else:
        skipped.append("git (not on PATH)")
    hosts = registry_hosts(env, registries)
    if not _has_container_tools():
        skipped.append("Docker (no docker, podman, skopeo or buildah, no Docker config)")
    elif not hosts:
        skipped.append("Docker (no registry host: --registry HOST names the one aqora gave you)")
    else:
        steps.append(("docker", lambda: _docker(hosts, env.url, dry_run)))
    for name, run in steps:
        failed = _step(name, run)
        if failed:
            return [failed]
    for what in skipped:
        status(f"skipped: {what}")
    return []


def remove_all(settings: Settings, dry_run: bool) -> list[str]:
    """Undo `setup git` (every environment's hosts), `setup docker`, `setup pip` and
    `setup uv`, whatever the environment; the failures (empty: all undone)."""
    steps: list[tuple[str, Callable[[], object]]] = []
    if shutil.which("git"):
        for env in settings.environments.values():
            steps.append((f"git ({env.url})", _git_remover(env, dry_run)))
    steps += [
        ("docker", lambda: _docker(None, None, dry_run, remove=True)),
        ("pip", lambda: pip.configure(pip_config_file(), None, None, None, dry_run)),
        ("uv", lambda: uv.configure(uv.uv_config_file(), None, None, None, None, dry_run)),
    ]
    return [failed for name, run in steps if (failed := _step(name, run))]


def _git_remover(env: Environment, dry_run: bool) -> Callable[[], object]:
    return lambda: git.configure(env.hosts, "--global", True, dry_run)


def _docker(hosts: list[str] | None, url: str | None, dry_run: bool, remove: bool = False) -> None:
    for warning in docker.configure(hosts, url, remove, False, dry_run):
        status(f"warning: {warning}")


def _has_container_tools() -> bool:
    return any(shutil.which(t) for t in CONTAINER_TOOLS) or Path(docker_config_file()).exists()
