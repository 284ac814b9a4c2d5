"""Configuration: the TOML config file and environment variables, validated by pydantic.

File: `<user config dir>/aqora-helper/config.toml` (`AQORA_HELPER_CONFIG` overrides).
```toml
url = "https://aqora.io"          # default environment (AQORA_URL and --url override)
username = "aqora"                # username shown to Basic-auth clients
refresh_skew = 60                 # seconds before expiry a token counts as stale
[timeouts]                        # seconds
connect = 5
read = 15
lock = 30
keyring = 10
login = 300
[environments."https://aqora.io"]
hosts = ["aqora.io", "registry.aqora.io"]   # exact host[:port] the token may go to
username = "aqora"
git_auth = "auto"                 # auto | bearer | basic
```
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..fast.errors import ConfigError, InsecureUrl, InvalidUrl, UnsafeStorage
from ..fast.hostnames import is_loopback, join_key, served_key, split_hostport
from ..fast.paths import config_path
from ..fast.privatefiles import read_regular_file
from .coredumps import disable_core_dumps

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_URL = "https://aqora.io"
MAX_CONFIG_BYTES = 256 * 1024
GitAuth = Literal["auto", "bearer", "basic"]
Seconds = Annotated[float, Field(gt=0, le=3600)]


def _check_username(value: str) -> str:
    if not value or len(value) > 256 or ":" in value or not value.isprintable():
        raise ValueError("must be 1-256 printable characters without ':'")
    return value


class TimeoutsFile(BaseModel):
    """`[timeouts]`: bounds on every wait, in seconds."""

    model_config = ConfigDict(extra="forbid")
    connect: Seconds = 5.0
    read: Seconds = 15.0
    lock: Seconds = 30.0
    keyring: Seconds = 10.0
    login: Seconds = 300.0
    cli: Seconds = 30.0


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


@dataclass(frozen=True)
class Environment:
    """A resolved aqora environment."""

    url: str
    hosts: tuple[str, ...]
    username: str
    git_auth: str


@dataclass(frozen=True)
class Settings:
    """Everything resolved from defaults, the config file and the environment."""

    config_path: Path
    default_url: str  # the selected default: --url when given, else token_url, else
    # the only environment logged in to (when AQORA_URL, `url` and AQORA_TOKEN are unset)
    refresh_skew: int
    timeouts: TimeoutsFile
    environments: dict[str, Environment]
    allow_insecure: bool
    token_url: str | None  # the configured default (AQORA_URL / `url` / built-in), the
    # only environment AQORA_TOKEN applies to (None: unusable, and --url chose another)

    def environment(self, url: str | None = None) -> Environment:
        """The environment for `url` (default: the default URL)."""
        base = self.default_url if url is None else normalize_url(url, self.allow_insecure)
        return self.environments.get(base) or _default_environment(base, "aqora")


def insecure_allowed(flag: bool = False) -> bool:
    """--allow-insecure-host or AQORA_ALLOW_INSECURE_HOST."""
    value = os.environ.get("AQORA_ALLOW_INSECURE_HOST", "").strip().lower()
    return flag or value in ("1", "true", "yes", "on")


def normalize_url(url: str, allow_insecure: bool = False) -> str:
    """The base URL an environment is keyed by: `scheme://host[:port]/`."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(
            f"Invalid URL {text!r}: {exc}", "Use a URL like https://aqora.io"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl(
            f"Invalid URL {text!r}: expected http(s)://host[:port]",
            "Use a URL like https://aqora.io",
        )
    if parts.username or parts.password:
        raise InvalidUrl(
            f"Invalid URL {text!r}: credentials in URLs are not allowed",
            "Pass the URL without user or password: aqora-helper supplies the token.",
        )
    if split_hostport(parts.hostname) is None and ":" not in parts.hostname:
        raise InvalidUrl(f"Invalid URL {text!r}: bad host name", "Use a URL like https://aqora.io")
    host = parts.hostname.lower()
    if parts.scheme == "http" and not is_loopback(host) and not allow_insecure:
        raise InsecureUrl(text)
    default_port = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{join_key(host, port, default_port)}/"


def api_host_key(url: str) -> str:
    """The served-host key of an environment's API host."""
    parts = urlsplit(url)
    key = served_key(parts.netloc)
    if key is None:  # unreachable for normalised URLs
        raise ConfigError(f"Invalid URL {url!r}")
    return key


def _default_environment(url: str, username: str) -> Environment:
    return Environment(url=url, hosts=(api_host_key(url),), username=username, git_auth="auto")


def _read_config_file(path: Path) -> ConfigFile:
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
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
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


def load_settings(url_override: str | None = None, allow_insecure_flag: bool = False) -> Settings:
    """Resolve defaults, the config file and env vars. Raises ConfigError.

    `url_override` (--url) selects the default environment for this run, but AQORA_TOKEN
    stays bound to the configured one (`token_url`): a URL on the command line never
    receives it.
    """
    disable_core_dumps()  # the engine is loading: this process may hold a refresh token
    path = config_path()
    cfg = _read_config_file(path)
    allow_insecure = insecure_allowed(allow_insecure_flag)
    environments: dict[str, Environment] = {}
    owner_of: dict[str, str] = {}
    for raw_url, env_cfg in cfg.environments.items():
        try:
            url = normalize_url(raw_url, allow_insecure)
        except ConfigError as exc:
            raise ConfigError(
                f"Config file {path}: environment {raw_url!r}: {exc.message}"
            ) from None
        hosts = (
            tuple(served_key(h) or h for h in env_cfg.hosts)
            if env_cfg.hosts is not None
            else (api_host_key(url),)
        )
        for host in hosts:
            if owner_of.setdefault(host, url) != url:
                raise ConfigError(
                    f"Config file {path}: host {host!r} is served by both {owner_of[host]} and {url}",
                    "A host may belong to one environment only; remove one of them.",
                )
        environments[url] = Environment(
            url, hosts, env_cfg.username or cfg.username, env_cfg.git_auth
        )
    token_url: str | None
    if url_override:
        default_url = normalize_url(url_override, allow_insecure)
        try:
            token_url = _configured_url(cfg.url, path, allow_insecure)
        except ConfigError:
            token_url = None  # --url chose the environment; the broken default is unused
    else:
        default_url = token_url = _configured_url(cfg.url, path, allow_insecure)
    logged_in = _logged_in_urls()
    if not url_override and default_url_is_builtin(cfg.url) and len(logged_in) == 1:
        default_url = logged_in[0]  # the only environment logged in to (as gh does)
    for extra in [default_url, *logged_in]:
        if extra not in environments:
            candidate = _default_environment(extra, cfg.username)
            if not any(h in owner_of for h in candidate.hosts):
                environments[extra] = candidate
                owner_of.update((h, extra) for h in candidate.hosts)
    return Settings(
        path, default_url, cfg.refresh_skew, cfg.timeouts, environments, allow_insecure, token_url
    )


def _configured_url(from_file: str | None, path: Path, allow_insecure: bool) -> str:
    """The normalised configured default URL (AQORA_URL, else the file's `url`, else the
    built-in); a bad `url` key names the config file."""
    try:
        return normalize_url(
            os.environ.get("AQORA_URL") or from_file or DEFAULT_URL, allow_insecure
        )
    except ConfigError as exc:
        if os.environ.get("AQORA_URL") or not from_file:
            raise
        raise ConfigError(f"Config file {path}: key 'url': {exc.message}", exc.hint) from None


def default_url_is_builtin(from_file: str | None) -> bool:
    """True when neither AQORA_URL nor the config's `url` names the default, so the only
    environment logged in to becomes it. Not while AQORA_TOKEN is set: that token belongs
    to the configured default (the built-in one here) and to nothing else."""
    return not (
        os.environ.get("AQORA_URL") or from_file or os.environ.get("AQORA_TOKEN", "").strip()
    )


def _logged_in_urls() -> list[str]:
    from .known import logged_in_urls

    return logged_in_urls()
