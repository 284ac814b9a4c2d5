"""aqora-helper: fresh aqora.io tokens for git, Docker, pip/uv, scripts and Python.

The Python API (see the README, "Python and notebooks"):
- `get_token(url=None, *, min_ttl=0) -> str`
- `AqoraAuth(url=None)`: a `requests` auth
- `AqoraHttpxAuth(url=None)`: an `httpx` auth, sync and async (the `httpx` extra)
- `AqoraHelperError`: raised for every failure, with `.message` and `.hint`

Kept import-free on purpose: the credential fast path imports this package, and
`import aqora_helper` loads neither the CLI framework nor requests; each name above is
imported on first use.
"""

__version__ = "0.1.0"
__all__ = ["AqoraAuth", "AqoraHelperError", "AqoraHttpxAuth", "__version__", "get_token"]

_EXPORTS = {
    "get_token": "aqora_helper.client.tokens",
    "AqoraAuth": "aqora_helper.client.requests_auth",
    "AqoraHttpxAuth": "aqora_helper.client.httpx_auth",
    "AqoraHelperError": "aqora_helper.fast.errors",
}
_EXTRAS = {"httpx": "httpx", "anyio": "httpx"}  # missing module -> the extra that has it

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from .client.httpx_auth import AqoraHttpxAuth as AqoraHttpxAuth
    from .client.requests_auth import AqoraAuth as AqoraAuth
    from .client.tokens import get_token as get_token
    from .fast.errors import AqoraHelperError as AqoraHelperError


def __getattr__(name: str) -> object:
    """The public API, imported on first use."""
    path = _EXPORTS.get(name)
    if path is None:
        raise AttributeError(f"module 'aqora_helper' has no attribute {name!r}")
    import importlib

    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as missing:
        extra = _EXTRAS.get(str(missing.name))
        if extra is None:
            raise
        from .fast.errors import AqoraHelperError

        raise AqoraHelperError(
            f"aqora_helper.{name} needs {missing.name}, which is not installed",
            f"Install the extra: pip install 'aqora-helper[{extra}]'.",
        ) from None
    return getattr(module, name)
