"""`aqora-keyring` (linked as `keyring` by install.sh): a light `keyring` program for pip and uv.

pip's and uv's subprocess mode (`keyring-provider = subprocess`) start the `keyring`
program for every lookup; keyring's own CLI spends most of its time discovering
backends. This program answers `get` for a served service (`keyring_service`) itself,
through `fast.credential` (a cached token with the standard library only), with exactly
the output of keyring's CLI:

    keyring [--mode password] [--output plain|json] get SERVICE USERNAME
        plain: the password and a newline; json: {"password": "..."}
    keyring --mode creds [--output plain|json] get SERVICE [USERNAME]
        plain: username, newline, password, newline; json: {"username": "...", "password": "..."}

Options may come before, between or after the operands, as `--opt VALUE` or
`--opt=VALUE` (the last one wins), as keyring's argparse allows. Every other command
line (other operations, options or spellings, a service we do not serve, a service
naming our own session store, keyring configured to a backend by `PYTHON_KEYRING_BACKEND`
or `keyringrc.cfg`, `AQORA_HELPER_KEYRING=off`) is handed unchanged to keyring's own CLI
in this process, with our keyring backend as it would see it. When we serve the host but
cannot produce a token, one `aqora-helper:` line goes to stderr (as the backend writes)
and keyring's CLI runs with our backend off, so the OS keyring is asked as the backend's
None would have made it.
"""

import sys

from ..fast import lightos
from ..fast.keyring_names import names_own_storage
from .keyring_service import DISABLE_ENV, disabled, served_credential

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import NoReturn

    from ..fast.hostcredential import HostCredential

PREFIX = "aqora-helper"
MODES = ("password", "creds")
OUTPUTS = ("plain", "json")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: answer a served `get`, else run keyring's CLI."""
    args = sys.argv[1:] if argv is None else argv
    request = parse_get(args)
    if request is None or configured_elsewhere() or names_own_storage(request[2]):
        hand_off(args)
    mode, output, service, username = request
    warned: list[str] = []

    def warn(text: str) -> None:
        warned.append(text)
        write_warning(text)

    try:
        cred = served_credential(service, warn)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback into pip's or uv's output
        warn(f"internal error ({type(exc).__name__}); run 'aqora-helper doctor'")
        cred = None
    if cred is None:
        hand_off(args, without_us=bool(warned))  # served but failed: as the backend's None
    return emit(render(mode, output, username, cred))


def parse_get(args: list[str]) -> tuple[str, str, str, str | None] | None:
    """(mode, output, service, username) of a `get` command line keyring's CLI would run
    as such, or None for anything else (keyring's CLI then decides, errors included).
    As argparse does, the operands are one run: an operand after an option that follows
    operands is an error there, so it is keyring's to report."""
    values = {"--mode": "password", "--output": "plain"}
    choices = {"--mode": MODES, "--output": OUTPUTS}
    operands: list[str] = []
    closed = False  # an option came after the operands
    rest = iter(args)
    for arg in rest:
        name, eq, inline = arg.partition("=")
        if name in values:
            value = inline if eq else next(rest, None)
            if value is None or value not in choices[name]:
                return None
            values[name] = value
            closed = bool(operands)
        elif arg.startswith("-") or closed:
            return None
        else:
            operands.append(arg)
    if len(operands) not in (2, 3) or operands[0] != "get":
        return None
    username = operands[2] if len(operands) == 3 else None
    if username is None and values["--mode"] == "password":
        return None  # keyring's usage error
    return values["--mode"], values["--output"], operands[1], username


def configured_elsewhere() -> bool:
    """True when keyring would not ask our backend as installed: turned off, or keyring
    told to use one backend (environment variable or its config file)."""
    if disabled() or lightos.getenv("PYTHON_KEYRING_BACKEND") is not None:
        return True
    from ..fast.keyring_names import keyring_config_file

    return lightos.exists(keyring_config_file())


def render(mode: str, output: str, username: str | None, cred: "HostCredential") -> str:
    """keyring CLI's text: `print` of each value, or `print(json.dumps(values))`."""
    if mode == "password":
        values = {"password": cred.token}
    else:
        values = {"username": username or cred.username, "password": cred.token}
    if output == "json":
        from ..fast.jsonlite import dumps

        return dumps(values) + "\n"
    return "".join(f"{value}\n" for value in values.values())


def emit(text: str) -> int:
    """Write the answer; a closed or full stdout is exit 1 (no traceback)."""
    try:
        if sys.stdout is None:
            return 1
        sys.stdout.write(text)
        sys.stdout.flush()
    except (OSError, ValueError):
        from ..fast.stdout import silence_stdout  # failures only

        silence_stdout()
        return 1
    return 0


def hand_off(args: list[str], without_us: bool = False) -> "NoReturn":
    """Run keyring's own CLI on the unchanged command line, in this process (with our
    keyring backend switched off when `without_us`)."""
    import os  # keyring loads it anyway

    if without_us:
        os.environ[DISABLE_ENV] = "off"
        backend = sys.modules.get("keyring.backend")
        if backend is not None:  # the engine may have listed the backends, us among them
            import contextlib

            with contextlib.suppress(KeyError):  # not listed yet: nothing cached to forget
                backend.get_all_keyring.reset()
    if sys.flags.no_site:  # started by a `-I -S` launcher: keyring needs site-packages
        import site

        site.main()
    # keyring's usage line names the program as it was run: `keyring` or `aqora-keyring`
    invoked = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    sys.argv = [invoked.removesuffix(".exe") or "keyring", *args]
    from keyring.cli import main as keyring_main

    sys.exit(keyring_main(args))  # type: ignore[no-untyped-call]


def write_warning(text: str) -> None:
    """One `aqora-helper:` line on stderr, as the keyring backend writes it."""
    from ..fast.text import one_line

    try:
        sys.stderr.write(f"{PREFIX}: {one_line(text)}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
