"""Add hosts to an environment's `hosts` in aqora-helper's own config file, edited in
place with tomlkit (comments, order and layout kept), for `setup docker HOST...` and
`setup pip|uv --index-url URL`.

An environment without `hosts` serves only its API host, so that host is written first
when the key is created. The edited text must read back as a valid config file (tomllib
and the config schema) before it replaces the file, atomically; then it must load as
valid settings (a host served by two environments is refused), else the old bytes come
back.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from ..engine.errors import ConfigError
from ..fast.errors import AqoraHelperError
from ..fast.hostnames import served_key
from .files import read_file, real_path, remove_file, write_file

MAX_CONFIG_BYTES = 256 * 1024

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def add_hosts(env_url: str | None, hosts: list[str], dry_run: bool = False) -> list[str]:
    """Make `hosts` served: those no environment serves yet are added to the environment
    `env_url` (default: the default one). A host served by another environment than an
    explicit `env_url` is an error. Returns the lines saying what changed (with
    `dry_run`, what would change: nothing is written)."""
    from ..engine.settings import api_host_key, load_settings, normalize_url

    settings = load_settings(url_override=env_url)
    env = settings.environment(env_url)
    keys = [_host_key(h) for h in hosts]
    owners = {h: e.url for e in settings.environments.values() for h in e.hosts}
    for key in keys:
        if env_url is not None and owners.get(key, env.url) != env.url:
            raise ConfigError(
                f"{key} is already served by {owners[key]}, not {env.url}",
                f"Pass '--url {owners[key]}', or move {key} in {settings.config_path}.",
            )
    new = [k for k in dict.fromkeys(keys) if k not in owners]
    if not new:
        return []
    path = real_path(settings.config_path)  # a symlinked config is edited at its target
    found = read_file(path, MAX_CONFIG_BYTES)
    old_text = found[0].decode("utf-8") if found else ""
    try:
        doc = tomlkit.parse(old_text)
    except TOMLKitError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from None
    name, table = _environment_table(doc, env.url, normalize_url)
    if "hosts" in table:
        current = table["hosts"]
    else:
        current = tomlkit.array()
        current.append(api_host_key(env.url))
        table["hosts"] = current
    for key in new:
        current.append(key)
    where = f"hosts of [environments.{json.dumps(name)}] in {path}"
    if dry_run:
        return [f"config: would add {key} to {where}" for key in new]
    _write_checked(path, tomlkit.dumps(doc), found)
    return [f"config: added {key} to {where}" for key in new]


def _host_key(host: str) -> str:
    key = served_key(host.strip())
    if key is None:
        raise ConfigError(
            f"Invalid host {host!r}: expected host[:port] (no scheme, no path)",
            "Name each registry aqora gave you as host[:port], e.g. 'aqora-helper setup "
            "docker registry.example.com 127.0.0.1:5000'.",
        )
    return key


def _environment_table(
    doc: tomlkit.TOMLDocument, url: str, normalize: Callable[[str, bool], str]
) -> tuple[str, Table]:
    """The `[environments."<url>"]` table (any spelling of the URL), created if missing,
    and its name as the file spells it."""
    environments = doc.get("environments")
    if environments is None:
        environments = tomlkit.table(is_super_table=True)
        doc["environments"] = environments
    for name, table in environments.items():
        try:
            same = normalize(name, True) == url
        except AqoraHelperError:
            same = False
        if same and isinstance(table, Table):
            return name, table
    table = tomlkit.table()
    environments[url] = table
    return url, table


def _write_checked(path: Path, text: str, old: tuple[bytes, os.stat_result] | None) -> None:
    """Write `text` once a TOML parser and the config file's schema read it (else nothing
    is written); then put the old bytes back when the settings do not load (a host
    served by two environments)."""
    from ..engine.configfile import ConfigFile
    from ..engine.settings import load_settings

    try:
        ConfigFile.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValueError):  # pydantic's ValidationError included
        raise ConfigError(
            f"Internal error while adding hosts to {path}: the result is not a valid config "
            "file; nothing was written",
            f"Please report this; add the hosts to `hosts` in {path} by hand meanwhile.",
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    stat = old[1] if old else None
    write_file(path, text.encode("utf-8"), stat, 0o600)
    try:
        load_settings()
    except ConfigError:
        if old is None:
            remove_file(path)
        else:
            write_file(path, old[0], stat, 0o600)
        raise
