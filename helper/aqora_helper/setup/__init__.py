"""`aqora-helper setup git|docker|pip|uv`: configure a client to use aqora-helper."""

from __future__ import annotations

import typer

setup_app = typer.Typer(
    name="setup",
    help="Configure git, Docker, pip or uv to get aqora credentials from aqora-helper.",
    no_args_is_help=True,
    epilog="EXAMPLES\n\n  $ aqora-helper setup git\n\n  $ aqora-helper setup docker registry.aqora.io",
)


EXAMPLES = {
    "git": (
        "aqora-helper setup git",
        "aqora-helper setup git --url https://staging.aqora.example --local",
        "aqora-helper setup git --remove",
    ),
    "docker": (
        "aqora-helper setup docker",
        "aqora-helper setup docker registry.aqora.io",
        "aqora-helper setup docker --remove",
    ),
    "pip": (
        "aqora-helper setup pip --index-url https://pypi.aqora.io/simple/",
        "aqora-helper setup pip --index-url https://pypi.aqora.io/simple/ --extra",
        "aqora-helper setup pip --remove",
    ),
    "uv": (
        "aqora-helper setup uv --index-url https://pypi.aqora.io/simple/",
        "aqora-helper setup uv --remove",
    ),
}


def register(app: typer.Typer) -> None:
    """Add `setup git|docker|pip|uv` to the app."""
    from ..cli.common import examples
    from . import docker, git, pip, uv

    for name, module in (("git", git), ("docker", docker), ("pip", pip), ("uv", uv)):
        setup_app.command(
            name,
            help=(module.command.__doc__ or "").strip() or None,
            epilog=examples(*EXAMPLES[name]),
        )(module.command)
    app.add_typer(setup_app)
