"""doctor's checks of the clients' configs, beside the editors that write them
(read-only): is aqora-helper set up for each served host, and does something else
answer first? Each check is a `Check`; `cli/doctor.py` renders them.

- git: the effective credential-helper list of `https://<host>` (and `http://` for
  loopback hosts), computed as git does: every matching `credential.helper` and
  `credential.<url>.helper` in config order, an empty value resetting the list.
- Docker: `credHelpers` of the client config, and static credentials in `auths`.
- pip / uv: see indexchecks.py.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..fast import platform_shell
from ..fast.clientprocess import run_client
from ..fast.dockerconfig import docker_config_file
from ..fast.hostnames import DEFAULT_PORTS, is_loopback, served_key, split_hostport
from .files import SetupError, read_file

GIT_TIMEOUT = 10.0
MAX_CONFIG_BYTES = 16 * 1024 * 1024
STATIC_AUTH_KEYS = ("auth", "identitytoken", "registrytoken", "password")
# git credential helpers known to keep what git approves (anything else is "may store")
STORING_HELPERS = frozenset(
    {"store", "cache", "osxkeychain", "libsecret", "gnome-keyring", "manager", "manager-core"}
    | {"wincred", "netrc", "pass", "keepassxc"}
)


@dataclass(frozen=True)
class Check:
    """One doctor line: `ok|note|warn|fail  <name>: <detail>`, and the command to run
    when not ok (a fix, or for a note how to add what it names)."""

    status: str
    name: str
    detail: str
    fix: str | None = None


def launcher_checks() -> list[Check]:
    """A warning when commands of this uv tool or pipx installation start Python with
    `site` again (an upgrade or reinstall writes them so: see launchers.py); nothing
    otherwise, install.sh's launchers and a venv of the user's included."""
    from .launchers import speed_up

    slow = speed_up(dry_run=True)
    if not slow:
        return []
    names = ", ".join(path.name for path in slow)
    return [
        Check(
            "warn",
            "commands",
            f"{names} start Python with site, about 2 ms more per get (a tool upgrade or "
            "reinstall writes them so)",
            "Run 'aqora-helper setup' for a client you use again (git, docker, pip or uv): "
            "it makes them fast launchers.",
        )
    ]


def setup_git_fix(env_urls: list[str]) -> str:
    """The command that sets git up for these environments."""
    return platform_shell.chain(
        [
            platform_shell.command("aqora-helper", "setup", "git", "--url", u)
            for u in dict.fromkeys(env_urls)
        ]
    )


def git_checks(hosts: dict[str, str]) -> list[Check]:
    """Is `aqora` the first credential helper git asks for each served host (host key ->
    its environment's URL)? The user's git config files count, not the repository the
    command runs in (nor `git -c` settings around it)."""
    git = shutil.which("git")
    if git is None:
        return [Check("ok", "git", "git is not installed; nothing to check")]
    try:
        proc = run_client(  # the user's config files, not a repository's
            [git, "config", "--null", "--get-regexp", r"^credential\..*helper$"],
            timeout=GIT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check("fail", "git", f"'git config' failed ({type(exc).__name__})", "Check git.")]
    if proc.returncode not in (0, 1):
        detail = proc.stderr.decode("utf-8", "replace").strip()[:200]
        return [Check("fail", "git", f"'git config' failed: {detail}", "Fix the git config.")]
    entries = _git_entries(proc.stdout)
    answered, missing, checks = [], [], []
    missing_envs: list[str] = []
    for url, env_url in _git_urls(hosts):
        scheme, _, hostport = url.partition("://")
        helpers = effective_helpers(entries, scheme, hostport)
        first = next((i for i, h in enumerate(helpers) if _is_aqora(h)), None)
        if first is None:
            others = f" (it asks {', '.join(helpers)})" if helpers else ""
            missing.append(url + others)
            missing_envs.append(env_url)
        elif first > 0:
            checks.append(
                Check(
                    "fail",
                    "git",
                    f"credential helper(s) {', '.join(helpers[:first])} answer before aqora "
                    f"for {url} ('aqora-helper setup git' resets the list for aqora's hosts)",
                    setup_git_fix([env_url]),
                )
            )
        else:
            answered.append(url)
        if first is not None:
            checks.extend(_copy_keepers(url, env_url, [h for h in helpers if not _is_aqora(h)]))
    if answered:
        checks.insert(0, Check("ok", "git", f"aqora answers first for {', '.join(answered)}"))
    if missing:
        what = f"aqora is not a credential helper for {', '.join(missing)}"
        checks.append(uncovered("git", bool(answered), what, setup_git_fix(missing_envs)))
    return checks


def uncovered(client: str, covers_some: bool, what: str, fix: str) -> Check:
    """Served hosts a client is not set up for. The config does not say which hosts each
    client needs, so when it is set up for some served hosts the rest is a note (how to
    add them, should it ever need them); set up for none, it is a warning."""
    if covers_some:
        return Check("note", client, f"{what} (add them only if {client} needs them)", fix)
    return Check("warn", client, f"{what} (if you use {client} with aqora)", fix)


def _copy_keepers(url: str, env_url: str, others: list[str]) -> list[Check]:
    """git hands every credential that worked to all helpers of the list (`store`), so
    any other helper there, before or after aqora, may keep a copy of aqora's tokens."""
    storing = [h for h in others if _helper_name(h) in STORING_HELPERS]
    unknown = [h for h in others if h not in storing]
    fix = setup_git_fix([env_url])  # then only aqora answers for aqora's hosts
    later = " (after the fix, 'aqora-helper logout' makes them forget stored tokens)"
    checks = []
    if storing:
        checks.append(
            Check(
                "fail", "git", f"{', '.join(storing)} stores aqora's tokens for {url}{later}", fix
            )
        )
    if unknown:
        checks.append(
            Check(
                "warn",
                "git",
                f"{', '.join(unknown)} may store aqora's tokens for {url}{later}",
                fix,
            )
        )
    return checks


def _helper_name(helper: str) -> str:
    """`store` for `store --file x`, `/usr/lib/git-core/git-credential-store` or
    `git-credential-store.exe`; '' for a shell snippet (`!...`)."""
    words = helper.split()
    if not words or helper.startswith("!"):
        return ""
    name = os.path.basename(words[0]).lower().removesuffix(".exe")
    return name.removeprefix("git-credential-")


def _git_entries(output: bytes) -> list[tuple[str, str]]:
    """(url pattern, value) of every credential helper entry, in config order."""
    entries = []
    for item in output.decode("utf-8", "replace").split("\0"):
        key, sep, value = item.partition("\n")
        if not sep:
            continue
        if key == "credential.helper":
            entries.append(("", value))
        elif key.startswith("credential.") and key.endswith(".helper"):
            entries.append((key[len("credential.") : -len(".helper")], value))
    return entries


def _git_urls(hosts: dict[str, str]) -> list[tuple[str, str]]:
    """(URL git asks about, environment URL) for each served host."""
    urls: list[tuple[str, str]] = []
    for key, env_url in hosts.items():
        parsed = split_hostport(key)
        schemes = ["https", "http"] if parsed and is_loopback(parsed[0]) else ["https"]
        urls.extend((f"{scheme}://{key}", env_url) for scheme in schemes)
    return urls


def effective_helpers(entries: list[tuple[str, str]], scheme: str, hostport: str) -> list[str]:
    """The helpers git runs for `scheme://hostport/`, in order."""
    helpers: list[str] = []
    for pattern, value in entries:
        if not _url_matches(pattern, scheme, hostport):
            continue
        if value:
            helpers.append(value)
        else:
            helpers.clear()
    return helpers


def _url_matches(pattern: str, scheme: str, hostport: str) -> bool:
    """git's URL matching of a `credential.<url>` pattern, at host level."""
    if not pattern:
        return True
    target = split_hostport(hostport)
    if target is None:
        return False
    pattern_scheme, sep, rest = pattern.partition("://")
    if not sep:
        pattern_scheme, rest = scheme, pattern  # host-only pattern
    netloc, _, path = rest.partition("/")
    if pattern_scheme.lower() != scheme or path or "@" in netloc:
        return False
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    labels, wanted = host.split("."), target[0].split(".")
    if len(labels) != len(wanted) or not all(
        fnmatch.fnmatchcase(w, p) for w, p in zip(wanted, labels, strict=True)
    ):
        return False
    default = DEFAULT_PORTS[scheme]
    return (port or default) == (target[1] or default)


def _is_aqora(helper: str) -> bool:
    words = helper.split()
    first = os.path.basename(words[0]) if words else ""
    return first in ("aqora", "git-credential-aqora", "git-credential-aqora.exe")


def setup_docker_fix(hosts: list[str]) -> str:
    """The command that routes these (served) hosts to aqora."""
    return platform_shell.command("aqora-helper", "setup", "docker", *hosts)


def docker_checks(hosts: list[str]) -> list[Check]:
    """credHelpers route each served host to aqora; no static `auths` for them."""
    path = Path(docker_config_file())
    fix = setup_docker_fix(hosts)
    try:
        found = read_file(path, MAX_CONFIG_BYTES)
    except SetupError as exc:
        return [Check("fail", "docker", exc.message, exc.hint)]
    if found is None:
        if any(shutil.which(tool) for tool in ("docker", "skopeo", "podman")):
            return [
                Check(
                    "warn",
                    "docker",
                    f"no Docker client config at {path} (if you use aqora's registries)",
                    fix,
                )
            ]
        return [Check("ok", "docker", "no Docker client or config; nothing to check")]
    try:
        config = json.loads(found[0])
    except ValueError:
        config = None
    if not isinstance(config, dict):
        return [Check("fail", "docker", f"{path} is not a JSON object", f"Fix {path}.")]
    helpers = _object(config, "credHelpers")
    auths = _object(config, "auths")
    checks, answered, missing = [], [], []
    for host in hosts:
        helper = helpers.get(host)
        if helper == "aqora":
            answered.append(host)
        elif helper:
            checks.append(
                Check(
                    "fail",
                    "docker",
                    f"credHelpers sends {host} to docker-credential-{helper}, not aqora",
                    setup_docker_fix([host]),
                )
            )
        else:
            missing.append(host)
        checks.extend(_static_auths(auths, host, path))
    if answered:
        checks.insert(0, Check("ok", "docker", f"credHelpers use aqora for {', '.join(answered)}"))
    if missing:
        what = f"no aqora credHelper for {', '.join(missing)}"
        checks.append(uncovered("docker", bool(answered), what, setup_docker_fix(missing)))
    return checks


def containers_checks(hosts: list[str]) -> list[Check]:
    """podman/buildah/skopeo ask aqora first; no static token of a served host in their
    auth.json (`podman login` writes one, and it outranks credHelpers)."""
    from .containers import TOOLS, asks_aqora_first, static_entries

    first = asks_aqora_first()
    statics = static_entries(hosts)
    if not statics and not any(shutil.which(tool) for tool in TOOLS):
        return [Check("ok", "containers", "no podman, buildah or skopeo; nothing to check")]
    effect = (
        " (outranked: the helper is asked first)"
        if first
        else ", which outranks the helper and fails once it expires"
    )
    checks = [
        Check("warn" if first else "fail", "containers", what + effect, fix)
        for what, fix in statics
    ]
    if first:
        checks.insert(0, Check("ok", "containers", "podman, buildah and skopeo ask aqora first"))
    else:
        checks.append(
            Check(
                "warn",
                "containers",
                "podman, buildah and skopeo read containers/auth.json before credHelpers",
                setup_docker_fix(hosts),
            )
        )
    return checks


def _object(config: dict[str, Any], key: str) -> dict[str, Any]:
    value = config.get(key)
    return value if isinstance(value, dict) else {}


def _static_auths(auths: dict[str, Any], host: str, path: Path) -> list[Check]:
    found = []
    for key, entry in auths.items():
        netloc = key.split("://", 1)[-1].split("/", 1)[0]
        stored = isinstance(entry, dict) and any(entry.get(k) for k in STATIC_AUTH_KEYS)
        if stored and served_key(netloc) == host:
            found.append(
                Check(
                    "fail",
                    "docker",
                    f"static credentials for {host} in 'auths' of {path} (key '{key}')",
                    f"docker logout {key}",
                )
            )
    return found
