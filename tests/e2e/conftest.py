"""Fixtures shared by end-to-end test files (defined in tests/shared/, registered here):

- `index`, `pkg_env` (shared/pip_index.py): a token-checking package index serving
  `tinypkg`, and the user logged in with its host served.
- `pip_cache`, `clone`, `env` (shared/install.py): install.sh's pip cache, a copy of
  the clone, and the user's environment for it.
- `plain_registry`, `served_outside` (shared/tls_off_registry.py): a plain-http
  registry on a non-loopback address, served and routed to the helper.
"""

from __future__ import annotations

from shared.install import clone, env, pip_cache  # noqa: F401 - fixtures
from shared.pip_index import index, pkg_env  # noqa: F401 - fixtures
from shared.tls_off_registry import plain_registry, served_outside  # noqa: F401 - fixtures
