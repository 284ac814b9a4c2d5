"""`aqora-helper setup git|docker|pip|uv`: the typer commands. Each maps its options to
one call of its editor in setup/, which decides and writes; usage errors (exclusive
options, a missing --index-url, a --file whose folder does not exist) are said here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..setup import docker, everything, git, launchers, pip, uv
from ..setup.common import check_index_url
from ..setup.pipfiles import pip_config_file
from ..setup.textblocks import status
from .common import URL_HELP, examples, insecure_option, resolve

setup_app = typer.Typer(
    name="setup",
    help="Configure git, Docker, pip or uv (or all of them) to get aqora credentials from aqora-helper.",
    no_args_is_help=True,
    epilog="EXAMPLES\n\n  $ aqora-helper setup git\n\n  $ aqora-helper setup docker '<registry host from aqora>'",
)


EXAMPLES = {
    "git": (
        "aqora-helper setup git",
        "aqora-helper setup git --url https://staging.aqora.example --local",
        "aqora-helper setup git --remove",
    ),
    "docker": (
        "aqora-helper setup docker",
        "aqora-helper setup docker '<registry host from aqora>'",
        "aqora-helper setup docker --remove",
    ),
    "pip": (
        "aqora-helper setup pip --index-url '<index URL from aqora>'",
        "aqora-helper setup pip --index-url '<index URL from aqora>' --extra",
        "aqora-helper setup pip --index-url '<index URL from aqora>' --replace",
        "aqora-helper setup pip --remove",
    ),
    "uv": (
        "aqora-helper setup uv --index-url '<index URL from aqora>'",
        "aqora-helper setup uv --remove",
    ),
    "all": (
        "aqora-helper setup all",
        "aqora-helper setup all --index-url '<index URL from aqora>' --extra",
        "aqora-helper setup all --remove",
    ),
}

DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would change; write nothing."),
]
IndexEnvUrl = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="aqora environment serving the index (default: the one whose hosts include it).",
        metavar="URL",
    ),
]
IndexUrl = Annotated[
    str | None,
    typer.Option(
        "--index-url",
        help="The package index (PEP 503 simple API), e.g. https://pypi.example.org/simple/.",
        metavar="URL",
    ),
]


def remove_option(tool: str) -> Any:
    """The `--remove` option of `setup <tool>`."""
    return typer.Option(
        False, "--remove", help=f"Undo what 'setup {tool}' wrote, restoring the file."
    )


def replace_option(tool: str) -> Any:
    """The `--replace` option of `setup pip|uv`."""
    return typer.Option(
        False,
        "--replace",
        help=f"Make the index {tool}'s only one (PyPI is no longer searched), without asking "
        "the index whether it serves public packages.",
    )


def index_mode(extra: bool, replace: bool) -> bool | None:
    """`--extra` True, `--replace` False, neither None (setup asks the index)."""
    if extra and replace:
        raise typer.BadParameter("--extra and --replace are exclusive")
    return True if extra else False if replace else None


def file_option(tool: str, default: str) -> Any:
    """The `--file` option of `setup <tool>`."""
    return typer.Option(
        None,
        "--file",
        help=f"The {tool} config file to edit (default: {default}).",
        metavar="PATH",
    )


def existing_dir(file: Path) -> Path:
    """`--file PATH` whose directory exists: setup never creates one silently."""
    if not file.parent.is_dir():
        raise typer.BadParameter(
            f"the directory {file.parent} does not exist (create it first)", param_hint="--file"
        )
    return file


def index_url_to_set(index_url: str | None, remove: bool) -> str | None:
    """The index URL to set up, None for `--remove`; required otherwise."""
    if remove:
        return None
    if not index_url:
        raise typer.BadParameter("required unless --remove", param_hint="--index-url")
    return index_url


def fast_starts(dry_run: bool) -> None:
    """Make this installation's console scripts start with python -I -S (the uv tool
    and pipx routes; install.sh's commands are such launchers already)."""
    done = "dry run: would make" if dry_run else "made"
    for path in launchers.speed_up(dry_run):
        status(f"{done} {path} a fast launcher (python -I -S)")


def git_command(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    remove: bool = typer.Option(False, "--remove", help="Remove the entries instead."),
    global_: bool = typer.Option(False, "--global", help="Write ~/.gitconfig (the default)."),
    local: bool = typer.Option(False, "--local", help="Write the current repository's config."),
    dry_run: DryRun = False,
) -> None:
    """Make git use aqora-helper for aqora's hosts (and only for them)."""
    if global_ and local:
        raise typer.BadParameter("--global and --local are exclusive")
    git.require_git()
    _, env = resolve(ctx, url, allow_insecure_host)
    if not git.configure(env.hosts, "--local" if local else "--global", remove, dry_run):
        raise typer.Exit(1)
    if not remove:
        fast_starts(dry_run)


def docker_command(
    hosts_given: list[str] | None = typer.Argument(
        None,
        metavar="HOST",
        help="Registry hosts to configure; one not yet served is added to the hosts of "
        "the environment (--url, else the default) in the config file. Default: every "
        "served host.",
        show_default=False,
    ),
    url: str | None = typer.Option(
        None,
        "--url",
        help="Environment whose hosts to configure (default: every environment).",
        metavar="URL",
    ),
    remove: bool = typer.Option(False, "--remove", help="Remove the entries instead."),
    dry_run: DryRun = False,
    creds_store: bool = typer.Option(
        False,
        "--creds-store",
        help="Also make aqora Docker's credsStore: other registries go to the previous "
        "store, or the OS keyring when there was none.",
    ),
) -> None:
    """Point Docker, podman and skopeo at docker-credential-aqora for aqora registries."""
    for warning in docker.configure(hosts_given, url, remove, creds_store, dry_run):
        typer.echo(f"warning: {warning}", err=True)
    if not remove:
        fast_starts(dry_run)


def pip_command(
    url: IndexEnvUrl = None,
    index_url: IndexUrl = None,
    extra: bool = typer.Option(
        False,
        "--extra",
        help="Write extra-index-url: pip searches the index and PyPI (a name on both may "
        "come from either).",
    ),
    replace: bool = replace_option("pip"),
    remove: bool = remove_option("pip"),
    file: Path | None = file_option("pip", "pip's user config file"),
    dry_run: DryRun = False,
) -> None:
    """Make pip use aqora-helper (through keyring) for an aqora package index. Without
    --extra or --replace, the index is asked whether it serves public packages: if not,
    pip would find nothing else, and setup asks you to choose."""
    chosen = existing_dir(file) if file is not None else pip_config_file()
    to_set = index_url_to_set(index_url, remove)
    pip.configure(chosen, to_set, url, index_mode(extra, replace), dry_run)
    if not remove:
        fast_starts(dry_run)


def uv_command(
    url: IndexEnvUrl = None,
    index_url: IndexUrl = None,
    extra: bool = typer.Option(
        False,
        "--extra",
        help="Add the index beside PyPI, searched first (uv takes a package from the first "
        "index that has it).",
    ),
    replace: bool = replace_option("uv"),
    publish_url: str | None = typer.Option(
        None,
        "--publish-url",
        help="Also set uv publish's upload URL (e.g. .../legacy/).",
        metavar="URL",
    ),
    remove: bool = remove_option("uv"),
    file: Path | None = file_option("uv", "uv's user uv.toml"),
    dry_run: DryRun = False,
) -> None:
    """Make uv use aqora-helper (through keyring) for an aqora package index. Without
    --extra or --replace, the index is asked whether it serves public packages: if not,
    it is added beside PyPI."""
    chosen = existing_dir(file) if file is not None else uv.uv_config_file()
    if publish_url is not None and not remove:  # refused before config.toml gets a host
        check_index_url(publish_url, "--publish-url")
    to_set = index_url_to_set(index_url, remove)
    uv.configure(chosen, to_set, url, index_mode(extra, replace), publish_url, dry_run)
    if not remove:
        fast_starts(dry_run)


def all_command(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    index_url: IndexUrl = None,
    registry: list[str] | None = typer.Option(
        None,
        "--registry",
        help="A Docker registry host aqora gave you (repeatable; default: the environment's "
        "served hosts but its API host).",
        metavar="HOST",
    ),
    extra: bool = typer.Option(False, "--extra", help="pip and uv: add the index beside PyPI."),
    replace: bool = typer.Option(False, "--replace", help="pip and uv: the index replaces PyPI."),
    remove: bool = typer.Option(
        False, "--remove", help="Undo every setup of every environment, restoring each file."
    ),
    dry_run: DryRun = False,
) -> None:
    """Set up every client found here (pip and uv with --index-url, git, Docker, podman,
    skopeo) for one environment; --remove undoes every setup this user has."""
    mode = index_mode(extra, replace)
    if remove:
        if index_url or registry or extra or replace:
            raise typer.BadParameter(
                "--remove takes no --index-url, --registry, --extra, --replace"
            )
        settings, _ = resolve(ctx, url, allow_insecure_host)
        failed = everything.remove_all(settings, dry_run)
    else:
        if index_url is not None:
            check_index_url(index_url)
        _, env = resolve(ctx, url, allow_insecure_host)
        failed = everything.configure_all(env, index_url, mode, registry or [], dry_run)
        fast_starts(dry_run)
    if failed:
        done = "the other steps ran" if remove else "nothing after it was set up"
        typer.echo(f"setup all: {', '.join(failed)} failed (said above); {done}", err=True)
        raise typer.Exit(1)


COMMANDS: dict[str, Callable[..., None]] = {
    "git": git_command,
    "docker": docker_command,
    "pip": pip_command,
    "uv": uv_command,
    "all": all_command,
}


def register(app: typer.Typer) -> None:
    """Add `setup git|docker|pip|uv` to the app."""
    for name, command in COMMANDS.items():
        setup_app.command(
            name,
            help=(command.__doc__ or "").strip() or None,
            epilog=examples(*EXAMPLES[name]),
        )(command)
    app.add_typer(setup_app)
