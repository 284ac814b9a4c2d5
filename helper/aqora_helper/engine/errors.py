"""The engine's failures: the server, the keyring, login, the official CLI and the
configuration, each with its own message and hint (see fast/errors.py for the base
class and the failures a cached get can meet). Kept out of fast/errors.py so that a
cached get does not build classes it never raises.
"""

from ..fast.errors import EXIT_USAGE, AqoraHelperError


class SessionRejected(AqoraHelperError):
    """The server refused the refresh token: the session expired or was revoked."""

    def __init__(self, url: str, detail: str = "the server rejected the session") -> None:
        super().__init__(
            f"Session for {url} expired or was revoked ({detail})",
            f"Log in again: 'aqora-helper login --url {url}'.",
        )


class ServerUnreachable(AqoraHelperError):
    """The API could not be reached or did not answer in time."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(
            f"Cannot reach {url}: {detail}",
            "Check your network connection and the URL (--url, AQORA_URL or the config file).",
        )


class UnexpectedResponse(AqoraHelperError):
    """The API answered something that does not follow its contract."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(
            f"Unexpected answer from {url}: {detail}",
            "Retry later; if it persists, report it with 'aqora-helper doctor' output.",
        )


class InvalidCredentials(AqoraHelperError):
    """Interactive login with a wrong username or password."""

    def __init__(self, url: str) -> None:
        super().__init__(
            "Invalid username or password",
            f"Check them and run 'aqora-helper login --interactive --url {url}' again, or "
            f"log in in the browser with 'aqora-helper login --url {url}'.",
        )


class LoginFailed(AqoraHelperError):
    """A login flow did not complete (timeout, refusal, bad signature)."""


class KeyringUnavailable(AqoraHelperError):
    """No usable OS keyring backend."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"No usable OS keyring: {detail}",
            "Start or unlock a Secret Service (e.g. gnome-keyring), or use "
            "'aqora-helper login --insecure-storage', or set AQORA_TOKEN.",
        )


class KeyringLocked(AqoraHelperError):
    """The OS keyring exists but is locked."""

    def __init__(self, detail: str = "the keyring is locked") -> None:
        super().__init__(
            f"The OS keyring is locked ({detail})",
            "Unlock your keyring (log in to the desktop session, or run "
            "'gnome-keyring-daemon --unlock'), then retry.",
        )


class KeyringTimeout(AqoraHelperError):
    """A keyring call did not return in time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The OS keyring did not answer within {seconds:g} s",
            "Check that the Secret Service / keychain is running and not waiting on a "
            "prompt; the timeout is 'timeouts.keyring' in the config file.",
        )


class KeyringFailure(AqoraHelperError):
    """The keyring backend raised an error while reading or writing."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The OS keyring failed: {detail}",
            "Run 'aqora-helper doctor'; unlock or restart the keyring service and retry.",
        )


class OfficialSessionError(AqoraHelperError):
    """The official aqora CLI's session could not be used (its program failed, or its
    credentials file is unreadable)."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(
            message,
            f"Check it with 'aqora auth token --url {url}' ('aqora login' if the session "
            f"expired), or log in with 'aqora-helper login --url {url}'.",
        )


class ConfigError(AqoraHelperError):
    """Invalid configuration: says which file, which key and what is allowed."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint or "Fix the configuration and retry.")


class InvalidUrl(ConfigError):
    """A URL that is not `http(s)://host[:port]` (a usage error when given as --url)."""

    exit_code = EXIT_USAGE


class InsecureUrl(ConfigError):
    """Plain http to a non-loopback host without the explicit opt-in (a refusal, exit 1)."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"Refusing plain http to a non-loopback host: {url}",
            "Use https, or pass --allow-insecure-host (AQORA_ALLOW_INSECURE_HOST=1) "
            "if you really mean it.",
        )
