"""Which OS keyring backend a refresh uses when the user names one (keyring imports its
backends, which run ldconfig: e2e tier)."""

from __future__ import annotations

import pytest

from aqora_helper.engine import oskeyring
from aqora_helper.engine.errors import KeyringUnavailable


@pytest.mark.parametrize(
    "name",
    ["keyring.backends.chainer.ChainerBackend", "aqora_helper.doors.keyring_backend.AqoraKeyring"],
)
def test_a_backend_that_would_route_through_ours_is_not_the_os_keyring(monkeypatch, name):
    """The chainer (asks our backend first) and our own backend never hold sessions: the
    OS backend decides, as with a keyringrc.cfg naming them."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    assert oskeyring._configured_backend() is None


def test_a_plaintext_backend_named_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(KeyringUnavailable, match="PYTHON_KEYRING_BACKEND"):
        oskeyring._configured_backend()
