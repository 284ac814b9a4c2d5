"""Configuration: the TOML config file (parsed and validated in configfile.py, pydantic)
and environment variables, resolved into named tuples (`dataclasses` would import
`inspect`, a few ms on every refresh); `to_index` / `from_index` keep them in the host
index, so a refresh need not parse the config again.

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
hosts = ["aqora.io", "<registry host from aqora>"]   # exact host[:port] the token may go to
username = "aqora"
git_auth = "auto"                 # auto | bearer | basic
```
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ..fast.hostnames import is_loopback, join_key, served_key, split_hostport
from ..fast.paths import config_path
from ..fast.text import url_problem, without_userinfo
from .coredumps import disable_core_dumps
from .errors import ConfigError, InsecureUrl, InvalidUrl
from .timeouts import Timeouts

DEFAULT_URL = "https://aqora.io"
GIT_AUTH = ("auto", "bearer", "basic")


class Environment(NamedTuple):
    """A resolved aqora environment."""

    url: str
    hosts: tuple[str, ...]
    username: str
    git_auth: str


class Settings(NamedTuple):
    """Everything resolved from defaults, the config file and the environment."""

    config_path: Path
    default_url: str  # the selected default: --url when given, else token_url, else
    # the only environment logged in to, else the only one configured (when AQORA_URL,
    # `url` and AQORA_TOKEN are unset)
    refresh_skew: int
    timeouts: Timeouts
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


URL_HINT = "Pass a URL like https://aqora.io (to --url, AQORA_URL or 'url' in the config file)."


def normalize_url(url: str, allow_insecure: bool = False) -> str:
    """The base URL an environment is keyed by: `scheme://host[:port]/`."""
    text = url.strip()
    quoted = repr(without_userinfo(text))  # errors never show a password in the URL
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"Invalid URL {quoted}: {url_problem(text, exc)}", URL_HINT) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl(f"Invalid URL {quoted}: expected http(s)://host[:port]", URL_HINT)
    if parts.username or parts.password:
        raise InvalidUrl(
            f"Invalid URL {quoted}: credentials in URLs are not allowed",
            "Pass the URL without user or password: aqora-helper supplies the token.",
        )
    if split_hostport(parts.hostname) is None and ":" not in parts.hostname:
        raise InvalidUrl(f"Invalid URL {quoted}: bad host name", URL_HINT)
    host = parts.hostname.lower()
    if parts.scheme == "http" and not is_loopback(host) and not allow_insecure:
        raise InsecureUrl(without_userinfo(text))
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


def load_settings(url_override: str | None = None, allow_insecure_flag: bool = False) -> Settings:
    """Resolve defaults, the config file and env vars. Raises ConfigError.

    `url_override` (--url) selects the default environment for this run, but AQORA_TOKEN
    stays bound to the configured one (`token_url`): a URL on the command line never
    receives it.
    """
    from .configfile import read_config_file  # pydantic: not on a refresh from the index

    disable_core_dumps()  # the engine is loading: this process may hold a refresh token
    path = config_path()
    cfg = read_config_file(path)
    allow_insecure = insecure_allowed(allow_insecure_flag)
    environments: dict[str, Environment] = {}
    owner_of: dict[str, str] = {}
    for raw_url, env_cfg in cfg.environments.items():
        try:
            url = normalize_url(raw_url, allow_insecure)
        except ConfigError as exc:
            shown_url = without_userinfo(raw_url)
            raise ConfigError(
                f"Config file {path}: environment {shown_url!r}: {exc.message}",
                f'Rename the table [environments."{shown_url}"] in {path} to the API URL, '
                'e.g. [environments."https://aqora.io"].',
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
                    f"A host belongs to one environment only: remove {host!r} from the "
                    f"hosts of one of them in {path}.",
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
    if not url_override and default_url_is_builtin(cfg.url):
        # the only environment logged in to (as gh does), else the only one configured
        only = logged_in if logged_in else list(environments)
        if len(only) == 1:
            default_url = only[0]
    for extra in [default_url, *logged_in]:
        if extra not in environments:
            candidate = _default_environment(extra, cfg.username)
            if not any(h in owner_of for h in candidate.hosts):
                environments[extra] = candidate
                owner_of.update((h, extra) for h in candidate.hosts)
    timeouts = Timeouts(**cfg.timeouts.model_dump())
    return Settings(
        path, default_url, cfg.refresh_skew, timeouts, environments, allow_insecure, token_url
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
    environment logged in to (else the only one configured) becomes it. Not while AQORA_TOKEN is set: that token belongs
    to the configured default (the built-in one here) and to nothing else."""
    return not (
        os.environ.get("AQORA_URL") or from_file or os.environ.get("AQORA_TOKEN", "").strip()
    )


def _logged_in_urls() -> list[str]:
    from .known import logged_in_urls

    return logged_in_urls()


def to_index(settings: Settings) -> dict[str, Any]:
    """What the host index keeps of `settings` so that a refresh needs no config parsing
    (written by engine.served with the index's fingerprint)."""
    return {
        "config_path": str(settings.config_path),
        "default_url": settings.default_url,
        "refresh_skew": settings.refresh_skew,
        "timeouts": settings.timeouts._asdict(),
        "environments": {
            url: {"hosts": list(env.hosts), "username": env.username, "git_auth": env.git_auth}
            for url, env in settings.environments.items()
        },
        "allow_insecure": settings.allow_insecure,
        "token_url": settings.token_url,
    }


def from_index(data: Any) -> Settings | None:
    """The settings a current host index recorded (`to_index`); None when it holds none
    or anything is out of shape (the caller then reads the config file)."""
    try:
        timeouts = Timeouts(**{k: float(data["timeouts"][k]) for k in Timeouts._fields})
        environments = {
            str(url): Environment(
                str(url), tuple(str(h) for h in env["hosts"]), str(env["username"]),
                str(env["git_auth"]),
            )
            for url, env in data["environments"].items()
        }  # fmt: skip
        settings = Settings(
            Path(str(data["config_path"])), str(data["default_url"]), int(data["refresh_skew"]),
            timeouts, environments, data["allow_insecure"] is True,
            None if data["token_url"] is None else str(data["token_url"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if any(env.git_auth not in GIT_AUTH for env in environments.values()):
        return None
    return settings
