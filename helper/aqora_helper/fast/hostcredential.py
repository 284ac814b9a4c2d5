"""`HostCredential`, what a front door hands to its client, and `Serving`, the
environment serving a request as the engine hands it back on a miss. Stdlib only (the
fast path builds a HostCredential on every cached get)."""

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from .tokencache import CachedToken

    class HostSource(Protocol):
        """What a front door asks about a host (`fast.credential` answers; a door takes
        any such source, so its tests hand it a fake)."""

        def get_for_host(self, scheme: str, hostport: str) -> "HostCredential | None": ...

        def served_username(self, scheme: str, hostport: str) -> str | None: ...

        def forget(self, scheme: str, hostport: str, token: str | None = None) -> bool: ...


class HostCredential:
    """What a front door hands to its client: the token, its expiry, and the serving
    environment's username, git auth mode and base URL."""

    __slots__ = ("env_url", "expires_at", "git_auth", "token", "username")

    def __init__(
        self, token: str, expires_at: int | None, username: str, git_auth: str, env_url: str
    ) -> None:
        self.token = token
        self.expires_at = expires_at
        self.username = username
        self.git_auth = git_auth
        self.env_url = env_url


class Serving:
    """The environment serving a request as the engine resolved it, once, on a miss (no
    current host index): what `singleflight.ensure` needs (its URL, refresh skew and
    lock timeout, and the `min_ttl` asked for), what the answer carries (username, git auth mode), and
    `refresh(stale)`, which runs with the refresh lock held, from the settings already
    loaded: nothing is resolved again."""

    __slots__ = ("env_url", "git_auth", "lock_timeout", "min_ttl", "refresh", "skew", "username")

    def __init__(
        self,
        env_url: str,
        skew: int,
        lock_timeout: float,
        username: str,
        git_auth: str,
        refresh: "Callable[[CachedToken | None], HostCredential]",
        min_ttl: int = 0,
    ) -> None:
        self.env_url = env_url
        self.skew = skew
        self.lock_timeout = lock_timeout
        self.username = username
        self.git_auth = git_auth
        self.refresh = refresh
        self.min_ttl = min_ttl
