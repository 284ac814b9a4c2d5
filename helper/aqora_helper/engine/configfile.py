"""The config file's schema and parser (pydantic): loaded only when the settings are
read from `config.toml` (the slow path, the CLI); a refresh from the host index never
imports it (see engine/settings.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..fast.errors import UnsafeStorage
from ..fast.hostnames import served_key
from ..fast.privatefiles import read_regular_file
from ..fast.text import without_userinfo
from .errors import ConfigError
from .timeouts import Timeouts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_CONFIG_BYTES = 256 * 1024
GitAuth = Literal["auto", "bearer", "basic"]
Seconds = Annotated[float, Field(gt=0, le=3600)]
TIMEOUT_DEFAULTS = Timeouts()


def _check_username(value: str) -> str:
    if not value or len(value) > 256 or ":" in value or not value.isprintable():
        raise ValueError("must be 1-256 printable characters without ':'")
    return value


class TimeoutsFile(BaseModel):
    """`[timeouts]`: bounds on every wait, in seconds (defaults: timeouts.Timeouts)."""

    model_config = ConfigDict(extra="forbid")
    connect: Seconds = TIMEOUT_DEFAULTS.connect
    read: Seconds = TIMEOUT_DEFAULTS.read
    lock: Seconds = TIMEOUT_DEFAULTS.lock
    keyring: Seconds = TIMEOUT_DEFAULTS.keyring
    login: Seconds = TIMEOUT_DEFAULTS.login
    cli: Seconds = TIMEOUT_DEFAULTS.cli


class EnvironmentFile(BaseModel):
    """`[environments."<url>"]`: one aqora environment."""

    model_config = ConfigDict(extra="forbid")
    hosts: list[str] | None = None
    username: str | None = None
    git_auth: GitAuth = "auto"

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str] | None) -> list[str] | None:
        for host in value or []:
            if served_key(host) is None:
                raise ValueError(f"{host!r} is not a host[:port] (no scheme, no path)")
        return value

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return None if value is None else _check_username(value)


class ConfigFile(BaseModel):
    """The whole config file."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = None
    username: str = "aqora"
    refresh_skew: Annotated[int, Field(ge=0, le=3600)] = 60
    timeouts: TimeoutsFile = TimeoutsFile()
    environments: dict[str, EnvironmentFile] = {}

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        return _check_username(value)


def read_config_file(path: Path) -> ConfigFile:
    try:
        raw = read_regular_file(path, MAX_CONFIG_BYTES)
    except UnsafeStorage as exc:
        raise ConfigError(
            f"Cannot read config file {path}: {exc.message.rpartition(': ')[2]}",
            f"Make {path} a regular TOML file (at most {MAX_CONFIG_BYTES} bytes).",
        ) from None
    if raw is None:
        if os.environ.get("AQORA_HELPER_CONFIG"):
            raise ConfigError(
                f"AQORA_HELPER_CONFIG names {path}, which does not exist",
                f"Create {path}, or unset AQORA_HELPER_CONFIG to use the default file.",
            )
        return ConfigFile()
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"Config file {path} is not valid TOML: {exc}", f"Fix the syntax of {path}."
        ) from None
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # an environment's table name is a URL: its password never shows
        key = ".".join(without_userinfo(str(part)) for part in first["loc"]) or "(top level)"
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(first["loc"]))
            raise ConfigError(
                f"Config file {path}: unknown key '{key}' (allowed here: {allowed})",
                f"Remove or rename '{key}' in {path} (see README, Configuration).",
            ) from None
        raise ConfigError(
            f"Config file {path}: key '{key}': {first['msg']}",
            f"Fix '{key}' in {path} (see README, Configuration).",
        ) from None


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed in the table holding the unknown key at `loc`."""
    model: type[BaseModel] = ConfigFile
    if len(loc) > 1 and loc[0] == "timeouts":
        model = TimeoutsFile
    elif len(loc) > 2 and loc[0] == "environments":
        model = EnvironmentFile
    return list(model.model_fields)
