"""`HostCredential`: what a front door hands to its client. Stdlib only (the fast path
builds one on every cached get)."""

from __future__ import annotations


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
