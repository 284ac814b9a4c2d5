"""git as a user of the stand-in's environment runs it (tests/e2e: git, pre-commit)."""

from __future__ import annotations

from servers.aqora import AqoraServer
from servers.git_server import GitServer
from support import write_config


def configure(
    user_env: dict[str, str], aqora: AqoraServer, srv: GitServer, git_auth: str = "auto"
) -> dict[str, str]:
    """Serve the git host from the stand-in's environment; git identity for commits."""
    write_config(
        user_env,
        f'url = "{aqora.url}"\n'
        f'[environments."{aqora.url}"]\n'
        f'hosts = ["{aqora.url.split("://")[1]}", "{srv.hostport}"]\n'
        f'git_auth = "{git_auth}"\n',
    )
    user_env.update(
        GIT_AUTHOR_NAME="Alice",
        GIT_AUTHOR_EMAIL="alice@example.com",
        GIT_COMMITTER_NAME="Alice",
        GIT_COMMITTER_EMAIL="alice@example.com",
    )
    return user_env
