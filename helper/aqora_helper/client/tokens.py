"""`get_token`, and what both HTTP auths share: which request URLs may carry the token,
and a fresh token after the server refused one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from ..fast import credential
from ..fast.durations import MAX_MIN_TTL
from ..fast.errors import AqoraHelperError
from ..fast.hostcredential import HostCredential
from ..fast.hostnames import key_from_url

T = TypeVar("T")
_INTERNAL_HINT = "Rerun with AQORA_HELPER_LOG=debug and report the output."
_CACHE_HINT = "Remove the aqora-helper cache directory (it only holds cached data) and retry."


def get_token(url: str | None = None, *, min_ttl: float | timedelta = 0) -> str:
    """A valid access token for the aqora environment at `url` (default: AQORA_URL, then
    `url` in the config file, then https://aqora.io, as the CLI), refreshed first when
    less than `min_ttl` seconds are left (at most 7 days; also a `timedelta`).

    The same token `aqora-helper token` prints. Never prompts, never opens a browser,
    every wait is bounded. Raises `AqoraHelperError` (with `.message` and `.hint`) for
    every failure: not logged in, session expired, server unreachable, tokens living
    shorter than `min_ttl`, a bad argument, ...
    """
    return credential_for(url, _seconds(min_ttl)).token


def credential_for(url: str | None, min_ttl: int = 0) -> HostCredential:
    """`fast.credential.get_for_env`, every failure an AqoraHelperError."""
    if url is not None and not isinstance(url, str):
        raise AqoraHelperError(f"url must be a string or None, not {type(url).__name__}")
    return _typed(credential.get_for_env, url, min_ttl)


def _seconds(min_ttl: float | timedelta) -> int:
    seconds = min_ttl.total_seconds() if isinstance(min_ttl, timedelta) else min_ttl
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise AqoraHelperError(
            f"min_ttl must be a number of seconds or a timedelta, not {type(min_ttl).__name__}",
            "Pass e.g. min_ttl=3600 or min_ttl=timedelta(hours=1).",
        )
    if not 0 <= seconds <= MAX_MIN_TTL:
        raise AqoraHelperError(
            f"min_ttl must be between 0 and {MAX_MIN_TTL} seconds (7 days), not {seconds}",
            "Pass e.g. min_ttl=3600 or min_ttl=timedelta(hours=1).",
        )
    return -int(-seconds // 1)  # whole seconds, rounded up


class TokenSource:
    """The access token of one environment, for request URLs on its served hosts only
    (exact host and port; https, or plain http to a loopback host)."""

    def __init__(self, url: str | None = None) -> None:
        if url is not None and not isinstance(url, str):
            raise AqoraHelperError(f"url must be a string or None, not {type(url).__name__}")
        self.url = url

    def token_for(self, request_url: str) -> str | None:
        """The token when `request_url` goes to a served host of this environment, else
        None (the request then goes out untouched). Raises AqoraHelperError."""
        target = key_from_url(request_url)
        if target is None:
            return None
        serving = _typed(credential.serving_env, *target)
        if serving is None:
            return None
        cred = credential_for(self.url)
        return cred.token if cred.env_url == serving else None

    def renewed(self, request_url: str, rejected: str) -> str | None:
        """After the server answered 401 to `rejected`: drop it from the cache (only if
        it is still the cached one: another process may have refreshed already), then
        the token for `request_url` again (one refresh across every process)."""
        target = key_from_url(request_url)
        if target is None:
            return None
        _typed(credential.forget, *target, rejected)
        return self.token_for(request_url)


def same_origin_or_upgrade(current_url: str, next_url: str) -> bool:
    """True when `next_url` has the host key of `current_url` and the same scheme, or is
    its https upgrade: the only redirects that keep the token."""
    here, there = key_from_url(current_url), key_from_url(next_url)
    if here is None or there is None or here[1] != there[1]:
        return False
    return here[0] == there[0] or there[0] == "https"


def _typed(function: Callable[..., T], *args: object) -> T:
    """Call `function`; every failure an AqoraHelperError (none carries a secret)."""
    try:
        return function(*args)
    except AqoraHelperError:
        raise
    except OSError as exc:
        raise AqoraHelperError(
            f"Cannot use the aqora-helper cache: {exc.strerror or type(exc).__name__}", _CACHE_HINT
        ) from None
    except Exception as exc:
        raise AqoraHelperError(f"internal error ({type(exc).__name__})", _INTERNAL_HINT) from None
