"""Does a package index serve public packages? `setup pip|uv` asks before making an aqora
index the tool's only one: an index that does not mirror PyPI would make every other
install fail (`No matching distribution found`).

The question is one PEP 503 page per well-known project (`<index>/pip/`, then
`<index>/setuptools/`), asked as pip would ask: Basic auth with the environment's
username and a token of the session. 200 for either: public. 404 for both: not public.
Anything else (no session, refused token, a redirect, no answer within the configured
timeouts) leaves the question open. It is asked before setup writes anything, with the
token of the environment that serves the host or will serve it; no redirect is followed,
the token only goes to the index's own host, and a loopback URL never goes through a
proxy (`engine.deadline.DeadlineAdapter`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from .files import SetupError
from .textblocks import status as say

if TYPE_CHECKING:
    from ..engine.timeouts import Timeouts

WELL_KNOWN = ("pip", "setuptools")  # on every PyPI mirror
PUBLIC, NOT_PUBLIC, UNKNOWN = "public", "not public", "unknown"


class Verdict(NamedTuple):
    """`outcome` is PUBLIC, NOT_PUBLIC or UNKNOWN; `detail` says why (no secret in it)."""

    outcome: str
    detail: str


def bare(url: str) -> str:
    """`url` without its `user@` part (a username only: `check_index_url` refuses a
    password)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def probe(index_url: str, env_url: str | None = None) -> Verdict:
    """Whether the index at `index_url` (checked by `common.check_index_url`) serves
    public packages, asked with a token of the environment serving its host, else of the
    one setup will add it to (`env_url`, else the default); never raises for a network,
    session or server failure."""
    from ..engine.settings import load_settings

    found = _credential(index_url, env_url)
    if isinstance(found, str):
        return Verdict(UNKNOWN, found)
    username, token = found
    timeouts = load_settings().timeouts
    base = bare(index_url).rstrip("/")
    for project in WELL_KNOWN:
        status = _status(f"{base}/{project}/", username, token, timeouts)
        if status == 200:
            return Verdict(PUBLIC, f"it serves '{project}'")
        if status != 404:
            what = "no answer" if status is None else f"HTTP {status}"
            return Verdict(UNKNOWN, f"{what} for its page of '{project}'")
    return Verdict(NOT_PUBLIC, f"it has no page for {' or '.join(map(repr, WELL_KNOWN))}")


def _credential(index_url: str, env_url: str | None) -> tuple[str, str] | str:
    """(username, token) to ask the index with, else why there is none."""
    from ..engine.settings import load_settings
    from ..fast.credential import get_for_env, get_for_host
    from ..fast.errors import AqoraHelperError
    from ..fast.hostnames import key_from_url

    found = key_from_url(index_url)
    if found is None:
        return "plain http goes to loopback hosts only"
    try:
        cred = get_for_host(*found)
        if cred is not None:
            return cred.username, cred.token
        env = load_settings(url_override=env_url).environment(env_url)
        return env.username, get_for_env(env.url).token
    except AqoraHelperError as exc:
        return f"no token to ask it with: {exc.message}"


def _status(url: str, username: str, token: str, timeouts: Timeouts) -> int | None:
    """The HTTP status of one GET of `url` (body unread), None when it did not answer
    within `timeouts.connect + timeouts.read`."""
    import requests
    import urllib3

    from ..engine.deadline import Deadline, DeadlineAdapter

    http = requests.Session()
    http.mount("http://", DeadlineAdapter())
    http.mount("https://", DeadlineAdapter())
    with Deadline(timeouts.connect + timeouts.read) as deadline:
        try:
            with http.get(
                url,
                auth=(username, token),
                headers={"Accept": "text/html", "Accept-Encoding": "identity"},
                timeout=(timeouts.connect, timeouts.read),
                allow_redirects=False,
                stream=True,
            ) as response:
                # a socket the deadline shut mid-headers can look like a complete answer
                return None if deadline.expired else response.status_code
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
            return None
        finally:
            http.close()


def choose_extra(tool: str, index_url: str, extra: bool | None, env_url: str | None) -> bool:
    """Whether `setup pip|uv` adds the index beside PyPI (True) or makes it the only
    one (False), decided before anything is written. `extra` True/False is the user's
    `--extra`/`--replace`; None asks the index (`probe`, with the environment `env_url`'s
    token): public -> replace. Otherwise uv adds it beside PyPI (uv takes each package
    from the first index that has it, ours listed first: public installs work, aqora's
    names come from aqora), and pip refuses until the user chooses."""
    from .common import check_index_url

    index_url = check_index_url(index_url)[0]  # refused before the token goes anywhere
    shown = bare(index_url)
    if extra is not None:
        say(f"afterwards: {_afterwards(tool, shown, extra)}")
        return extra
    verdict = probe(index_url, env_url)
    if verdict.outcome == PUBLIC:
        say(f"{shown} serves public packages too ({verdict.detail}): it replaces PyPI for {tool}")
        return False
    what = (
        f"{shown} serves no public packages"
        if verdict.outcome == NOT_PUBLIC
        else f"could not tell whether {shown} serves public packages"
    )
    if tool == "uv":
        say(f"{what} ({verdict.detail}): added beside PyPI, where uv looks first")
        say(f"afterwards: {_afterwards(tool, shown, True)} (--replace: {shown} only)")
        return True
    raise SetupError(
        f"{what} ({verdict.detail}): as pip's only index it "
        f"{'would' if verdict.outcome == NOT_PUBLIC else 'could'} break every other pip install",
        "Choose: --extra (pip also searches PyPI; a name on both may come from either, "
        "so pin aqora packages with --require-hashes) or --replace (this index only).",
    )


def _afterwards(tool: str, shown: str, extra: bool) -> str:
    """What `tool` installs from once set up (the user chose `--extra` or `--replace`)."""
    if not extra:
        return f"{tool} searches {shown} only: what it does not serve will not install"
    if tool == "uv":
        return f"uv searches {shown} first, then PyPI; a package found there comes only from there"
    return f"pip searches {shown} and PyPI; a name on both may come from either"
