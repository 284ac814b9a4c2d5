"""The end-to-end tier's own Secret Service, and fixtures shared by its files.

- `private_secret_service` (session, autouse): this pytest process's own D-Bus session
  and unlocked gnome-keyring (tests/shared/secret_service.py), started on the first
  end-to-end test; DBUS_SESSION_BUS_ADDRESS names it for the test and every program it
  runs. A desktop's keyring, another run or another xdist worker is never touched.

Fixtures defined in tests/shared/ and registered here:
- `index`, `pkg_env` (shared/pip_index.py): a token-checking package index serving
  `tinypkg`, and the user logged in with its host served.
- `wheelhouse`, `pip_cache`, `clone`, `env` (shared/install.py): the wheels and pip
  cache install.sh installs from, a copy of the clone, the user's environment for it.
- `plain_registry`, `served_outside` (shared/tls_off_registry.py): a plain-http
  registry on a non-loopback address, served and routed to the helper.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from shared.install import clone, env, pip_cache, wheelhouse  # noqa: F401 - fixtures
from shared.pip_index import index, pkg_env  # noqa: F401 - fixtures
from shared.secret_service import SecretService, SecretServiceUnavailable
from shared.tls_off_registry import plain_registry, served_outside  # noqa: F401 - fixtures


@pytest.fixture(scope="session", autouse=True)
def private_secret_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SecretService | None]:
    root = tmp_path_factory.mktemp("secret-service")
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        service = SecretService(root).start()
    except SecretServiceUnavailable as exc:
        sys.stderr.write(f"\n*** no Secret Service ({exc}): keyring tests will fail ***\n")
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)  # never the desktop's keyring
        yield None
    else:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = service.address
        try:
            yield service
        finally:
            service.stop()
    if saved is None:
        os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    else:
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
