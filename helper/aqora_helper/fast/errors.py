"""One error type per failure the user must act on differently.

Every error carries a one-line message (what went wrong) and a one-line hint (what
to do). Messages never contain secrets: every registered secret is redacted from them
when the error is made, whatever text (a server's, a file's) went into them. Stdlib
only: the front doors import it.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# True whether or not a refresh or login was under way: signals are held until a session
# the server rotated or issued is stored (see signals.py), so it is never lost.
INTERRUPTED_HINT = (
    "your session is safe (whatever the server already issued was stored before "
    "stopping); run the command again."
)


class AqoraHelperError(Exception):
    """Base class: a failure explained to the user, never with a traceback."""

    hint = "Run 'aqora-helper doctor' to diagnose."
    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        from .redaction import redact  # when a failure is told: a cached hit makes none

        message = redact(message)
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = redact(hint)

    def __str__(self) -> str:
        return self.message


class NotLoggedIn(AqoraHelperError):
    """No session for this URL in any source; `elsewhere`: the environments with one."""

    def __init__(self, url: str, elsewhere: tuple[str, ...] = ()) -> None:
        self.url, self.elsewhere = url, elsewhere
        where = f" (you are logged in to {', '.join(elsewhere)})" if elsewhere else ""
        login = f"'aqora-helper login --url {url}'"
        hint = (
            f"Add '--url {elsewhere[0]}' to use that session, or log in with {login}."
            if elsewhere
            else f"Run {login}."
        )
        super().__init__(f"Not logged in to {url}{where}", hint)

    def for_command(self, words: list[str]) -> NotLoggedIn:
        """The same error whose hint is `aqora-helper WORDS` retargeted with `--url` at
        an environment you are logged in to (the exact command that would work)."""
        if not self.elsewhere:
            return self
        kept: list[str] = []
        skip = False
        for word in words:
            if skip or word.startswith("--url="):
                skip = False
            elif word == "--url":
                skip = True
            else:
                kept.append(word)
        command = " ".join(["aqora-helper", *kept, "--url", self.elsewhere[0]])
        error = NotLoggedIn(self.url, self.elsewhere)
        error.hint = (
            f"Run '{command}' to use that session, or log in with "
            f"'aqora-helper login --url {self.url}'."
        )
        return error


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


class LockTimeout(AqoraHelperError):
    """Another process held the refresh lock for too long."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(
            f"Another aqora-helper process is refreshing the session for {url} "
            f"and did not finish within {seconds:g} s",
            "Retry; if it persists, look for a stuck aqora-helper process "
            "('timeouts.lock' in the config file sets the wait).",
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


class UnsafeStorage(AqoraHelperError):
    """A private file or directory has unsafe ownership, mode or is a symlink."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(
            f"Refusing to use {path}: {problem}",
            "Remove it (it only holds cached data) or fix its owner and mode (0700 dirs, "
            "0600 files), then retry.",
        )


class StorageFailure(AqoraHelperError):
    """A private file could not be written (read-only directory, disk full)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(
            f"Cannot write {path}: {detail}",
            "Free disk space or fix the directory's permissions, then retry.",
        )
