"""Login flows that create a session. (The browser flow lives in browser_login.py.)"""

from __future__ import annotations

import contextlib
import socket

from ..fast.errors import AqoraHelperError
from ..fast.privatefiles import remove_private
from ..fast.refreshlock import RefreshLock
from ..fast.signals import deferred_signals
from ..fast.tokencache import drop_token
from . import known
from .api import INTERACTIVE_REDIRECT_URI, Api, IssuedTokens
from .session import cache_issued
from .sessionfiles import StoredSession, insecure_file, recovery_file
from .settings import Environment, Settings
from .vault import FileVault, KeyringVault, Vault


def client_id() -> str:
    """`localhost-<hostname>`, as the official CLI."""
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    return f"localhost-{host or 'unknown'}"


def storage_for_login(settings: Settings, insecure_storage: bool) -> Vault:
    """The vault a new session goes to; checks the OS keyring is usable first, so a
    login never talks to the server only to fail at storing."""
    if insecure_storage:
        return FileVault()
    vault = KeyringVault(settings.timeouts.keyring)
    vault.backend_name()
    return vault


def interactive_login(
    settings: Settings, env: Environment, username: str, password: str, insecure_storage: bool
) -> str:
    """The official `--interactive` flow. Returns where the session is stored."""
    vault = storage_for_login(settings, insecure_storage)
    api = Api(env.url, settings.timeouts)
    web_token = api.login_user(username, password)
    cid = client_id()
    code = api.authorize(web_token, cid)
    issued = api.exchange_code(code, cid, INTERACTIVE_REDIRECT_URI)
    return store_new_session(settings, env, vault, issued, cid)


def store_new_session(
    settings: Settings,
    env: Environment,
    vault: Vault,
    issued: IssuedTokens,
    cid: str,
) -> str:
    """Persist a newly issued session and make it the only one for this environment
    (signals are held meanwhile: a login is either fully stored or not at all)."""
    with RefreshLock(env.url, settings.timeouts.lock), deferred_signals():
        vault.save(env.url, StoredSession(issued.refresh_token, cid, None))
        remove_private(recovery_file(env.url))
        if vault.file_backed:
            with contextlib.suppress(AqoraHelperError):
                KeyringVault(settings.timeouts.keyring).delete(env.url)
        else:
            remove_private(insecure_file(env.url))
        drop_token(env.url)
        cache_issued(env, issued)
    known.add_url(env.url)
    if vault.file_backed:
        return f"an insecure file ({vault.location(env.url)}, mode 0600)"
    return f"the OS keyring ({vault.location(env.url)})"
