"""setup/launchers.py: which console scripts `setup` turns into -I -S launchers, and the
launchers' text (install.sh writes the same)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aqora_helper.setup import launchers
from aqora_helper.setup.checks import launcher_checks

PYTHON = "/opt/tools/aqora-helper/bin/python"
UV_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import sys
from {module} import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())"""
PIP_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


@pytest.fixture
def scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installation's scripts folder, its python a real executable file."""
    folder = tmp_path / "bin"
    folder.mkdir()
    python = folder / "python"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    (tmp_path / "uv-receipt.toml").write_text("[tool]\n")  # a uv tool's environment
    monkeypatch.setattr(launchers, "scripts_dir", lambda: folder)
    monkeypatch.setattr(launchers, "site_paths", lambda python: ["/site-packages", "/src"])
    return folder


def script(folder: Path, name: str, template: str = UV_SCRIPT, module: str = "") -> Path:
    path = folder / name
    module = module or launchers.ENTRY_POINTS[name]
    path.write_text(template.format(python=folder / "python", module=module))
    path.chmod(0o755)
    return path


def test_uv_and_pip_scripts_of_ours_become_launchers(scripts: Path) -> None:
    git = script(scripts, "git-credential-aqora")
    docker = script(scripts, "docker-credential-aqora", PIP_SCRIPT)
    keyring = script(scripts, "keyring")  # ours: claim() made it so, or the installer did
    assert launchers.speed_up(dry_run=True) == [git, docker, keyring]
    assert "-IS" not in git.read_text()  # a dry run writes nothing
    assert launchers.speed_up() == [git, docker, keyring]
    python = scripts / "python"
    assert git.read_text() == (
        f"#!{python} -IS\nimport sys\nsys.path += ['/site-packages', '/src']\n"
        "from aqora_helper.doors.git import main\nsys.exit(main())\n"
    )
    assert "from aqora_helper.doors.docker import main" in docker.read_text()
    assert stat.S_IMODE(docker.stat().st_mode) == 0o755
    assert launchers.speed_up() == []  # launchers already: nothing to do


def test_what_is_not_an_installer_script_of_ours_is_left_alone(scripts: Path) -> None:
    theirs = script(scripts, "keyring", module="keyring.cli")  # keyring's own CLI
    missing_python = scripts / "aqora-keyring"
    missing_python.write_text(
        UV_SCRIPT.format(python="/nowhere/python", module=launchers.ENTRY_POINTS["aqora-keyring"])
    )
    twice = scripts / "aqora-helper"
    twice.write_text(
        PIP_SCRIPT.format(python=scripts / "python", module="aqora_helper.__main__")
        + "from aqora_helper.__main__ import main\n"
    )
    elsewhere = script(scripts.parent, "git-credential-aqora")
    (scripts / "git-credential-aqora").symlink_to(elsewhere)
    sh_wrapped = scripts / "docker-credential-aqora"
    sh_wrapped.write_text(
        "#!/bin/sh\n'''exec' '/a b/python' \"$0\" \"$@\"\n' '''\nfrom aqora_helper.doors.docker import main\n"
    )
    before = {p: p.read_bytes() for p in (theirs, missing_python, twice, elsewhere, sh_wrapped)}
    assert launchers.speed_up() == []
    assert {p: p.read_bytes() for p in before} == before


def test_nothing_is_rewritten_on_windows(scripts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script(scripts, "git-credential-aqora")
    monkeypatch.setattr(launchers.sys, "platform", "win32")
    assert launchers.speed_up() == []


def test_a_python_path_with_a_space_gets_the_sh_wrapper() -> None:
    text = launchers.launcher_text("/Users/a/Library/Application Support/v/bin/python", ["/p"], "m")
    lines = text.split("\n")
    assert lines[0] == "#!/bin/sh"
    assert (
        lines[1] == "'''exec' '/Users/a/Library/Application Support/v/bin/python' -IS \"$0\" \"$@\""
    )
    assert lines[2:] == [
        "' '''",
        "import sys",
        "sys.path += ['/p']",
        "from m import main",
        "sys.exit(main())",
        "",
    ]
    compile(text, "launcher", "exec")  # Python reads the sh lines as a string


def test_a_quote_in_the_path_is_quoted_for_sh() -> None:
    text = launchers.launcher_text("/a b/it's/python", [], "m")
    assert text.split("\n")[1] == """'''exec' '/a b/it'"'"'s/python' -IS "$0" "$@\""""
    compile(text, "launcher", "exec")


@pytest.mark.parametrize("python", ["/a b/x\\y/python", "/a\nb/python"])
def test_a_path_no_launcher_can_carry_is_refused(python: str) -> None:
    with pytest.raises(ValueError, match="cannot be written into a launcher"):
        launchers.launcher_text(python, [], "m")


def test_a_script_of_another_user_is_left_alone(
    scripts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git = script(scripts, "git-credential-aqora")
    other = os.getuid() + 1
    monkeypatch.setattr(launchers.os, "getuid", lambda: other)
    assert launchers.speed_up() == []
    assert "-IS" not in git.read_text()


def test_a_shebang_with_flags_as_pipx_writes_it_is_an_installer_script(scripts: Path) -> None:
    token = scripts / "aqora-helper"
    token.write_text(
        PIP_SCRIPT.format(python=f"{scripts / 'python'} -E", module="aqora_helper.__main__")
    )
    assert launchers.speed_up() == [token]
    assert token.read_text().startswith(f"#!{scripts / 'python'} -IS\n")


def test_the_sh_wrapper_of_a_long_path_is_an_installer_script(scripts: Path) -> None:
    """pip and uv write `#!/bin/sh` and an `exec` line when the path cannot be a `#!`
    line (over 127 bytes, or a space): that Python is the launcher's."""
    python = scripts / "python"
    git = scripts / "git-credential-aqora"
    header = "#!/bin/sh\n'''exec' '" + str(python) + "' \"$0\" \"$@\"\n' '''\n"
    git.write_text(
        header + "import sys\nfrom aqora_helper.doors.git import main\nsys.exit(main())\n"
    )
    assert launchers.speed_up() == [git]
    assert git.read_text().startswith(f"#!{python} -IS\n")


def test_a_venv_of_the_users_is_left_alone(scripts: Path) -> None:
    """Only uv tool and pipx environments (their receipt at the root) are rewritten: a
    project venv's commands may need PYTHONPATH or a `.pth` hook that -I -S drops."""
    git = script(scripts, "git-credential-aqora")
    (scripts.parent / "uv-receipt.toml").unlink()
    assert launchers.speed_up() == []
    (scripts.parent / "pipx_metadata.json").write_text("{}")
    assert launchers.speed_up() == [git]


def test_doctor_warns_of_slow_commands_until_setup_rewrites_them(scripts: Path) -> None:
    """A tool upgrade writes console scripts again: doctor says so, with the fix, and
    says nothing once `setup` made them launchers."""
    script(scripts, "git-credential-aqora")
    script(scripts, "aqora-helper")
    (warning,) = launcher_checks()
    assert (warning.status, warning.name) == ("warn", "commands")
    assert "aqora-helper, git-credential-aqora start Python with site" in warning.detail
    assert warning.fix is not None and "aqora-helper setup" in warning.fix
    launchers.speed_up()
    assert launcher_checks() == []
