"""The worlds the contract suites run in (tests/shared/door_contract.py,
tests/shared/editor_contract.py)."""

from __future__ import annotations

from shared.door_contract import door_world  # noqa: F401 - fixture
