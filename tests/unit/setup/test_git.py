"""`aqora-helper setup git` in-process: argument checks that never reach git.

Setup and remove with real `git config`: tests/e2e/git/test_setup_git.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.setup_git import isolated_home, setup


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_home(tmp_path, monkeypatch)


def test_global_and_local_together_is_a_usage_error(home: Path) -> None:
    code, _, err = setup("--global", "--local")
    assert code == 2 and "exclusive" in err
