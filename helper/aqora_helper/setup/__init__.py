"""`aqora-helper setup git|docker|pip|uv`: configure a client to use aqora-helper."""

from __future__ import annotations

import typer

setup_app = typer.Typer(
    name="setup",
    help="Configure git, Docker, pip or uv to get aqora credentials from aqora-helper.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `setup` and the integrations that exist to the app."""
    import importlib

    for name in ("git", "docker", "pip", "uv"):
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        setup_app.command(name, help=(module.command.__doc__ or "").strip() or None)(module.command)
    app.add_typer(setup_app)
