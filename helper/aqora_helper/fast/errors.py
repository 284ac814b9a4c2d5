"""One error type per failure the user must act on differently: the base class and
the failures a front door can meet (the engine's own are in engine/errors.py, so that a
cached get builds no class it never raises).

Every error carries a one-line message (what went wrong) and a one-line hint (what
to do). Messages never contain secrets: every registered secret is redacted from them
when the error is made, whatever text (a server's, a file's) went into them. Stdlib
only: the front doors import it.
"""

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

    def for_command(self, words: list[str]) -> "NotLoggedIn":
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


class LockTimeout(AqoraHelperError):
    """Another process held the refresh lock for too long."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(
            f"Another aqora-helper process is refreshing the session for {url} "
            f"and did not finish within {seconds:g} s",
            "Retry; if it persists, look for a stuck aqora-helper process "
            "('timeouts.lock' in the config file sets the wait).",
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
