"""`aqora-helper setup git|docker|pip|uv`: configure a client to use aqora-helper."""

from __future__ import annotations

import typer

setup_app = typer.Typer(
    name="setup",
    help="Configure git, Docker, pip or uv to get aqora credentials from aqora-helper.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `setup git|docker|pip|uv` to the app."""
    from . import docker, git, pip, uv

    for name, module in (("git", git), ("docker", docker), ("pip", pip), ("uv", uv)):
        setup_app.command(name, help=(module.command.__doc__ or "").strip() or None)(module.command)
    app.add_typer(setup_app)
