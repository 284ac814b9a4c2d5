"""aqora-helper: fresh aqora.io tokens for git, Docker, pip/uv and scripts.

Kept import-free on purpose: the credential fast path imports this package.
"""

__version__ = "0.1.0"
