"""`keyringprogram.claim`: keyring's own console script in this installation's scripts
folder, as pip, uv or pipx write it, becomes ours (the same file with our entry point on
its import line, its mode kept); nothing else is ever touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aqora_helper.setup import keyringprogram

UV_SCRIPT = """#!/venv/bin/python
# -*- coding: utf-8 -*-
import sys
from keyring.cli import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())
"""
PIP_SCRIPT = """#!/venv/bin/python
# -*- coding: utf-8 -*-
import re
import sys
from keyring.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
LONG_SHEBANG = "#!/bin/sh\n'''exec' '/a path/with space/python' \"$0\" \"$@\"\n' '''\n" + UV_SCRIPT.split("\n", 1)[1]


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "keyring"
    path.parent.mkdir()
    monkeypatch.setattr(keyringprogram, "scripts_keyring", lambda: path)
    return path


@pytest.mark.parametrize("text", [UV_SCRIPT, PIP_SCRIPT, LONG_SHEBANG], ids=["uv", "pip", "sh"])
def test_keyring_own_script_becomes_ours(script: Path, text: str) -> None:
    script.write_text(text)
    script.chmod(0o751)
    assert keyringprogram.kind(str(script)) == "keyring"
    assert keyringprogram.claim(dry_run=True) == script
    assert script.read_text() == text  # a dry run writes nothing
    assert keyringprogram.claim() == script
    expected = text.replace("from keyring.cli import main", keyringprogram.OUR_IMPORT)
    assert script.read_text() == expected
    assert oct(script.stat().st_mode & 0o777) == oct(0o751)
    assert keyringprogram.kind(str(script)) == "ours"
    assert keyringprogram.claim() is None  # ours already


@pytest.mark.parametrize(
    "damage", ["missing", "symlink", "other owner", "no shebang", "two imports", "other program"]
)
def test_anything_else_is_left_alone(script: Path, tmp_path: Path, damage: str) -> None:
    text = UV_SCRIPT
    if damage == "symlink":
        real = tmp_path / "elsewhere"
        real.write_text(text)
        script.symlink_to(real)
    elif damage != "missing":
        if damage == "no shebang":
            text = text.split("\n", 1)[1]
        elif damage == "two imports":
            text += "from keyring.cli import main\n"
        elif damage == "other program":
            text = text.replace("keyring.cli", "someone.else")
        script.write_text(text)
        if damage == "other owner":
            os.chown(script, 65534, 65534)
    before = script.read_bytes() if script.exists() else None
    assert keyringprogram.claim() is None
    assert (script.read_bytes() if script.exists() else None) == before
