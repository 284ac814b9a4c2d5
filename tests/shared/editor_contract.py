"""The contract every config editor of `aqora-helper setup` keeps (as keyring's
BackendBasicTests is the one every keyring backend passes): a subclass names the file
its editor writes, the command lines that set up and undo, and a user's own file and a
broken one; it inherits the tests. Each runs the real command in a fresh HOME.

- Setup, then remove, gives back the user's bytes (no file, when there was none).
- Setup twice is setup once: the second run says `unchanged:` and writes nothing.
- A FIFO where the file goes is refused at once (never waited on), and stays a FIFO.
- A symlinked file is edited at its target (the link stays the link it was), or left
  alone; never replaced by a regular file.
- `--dry-run` shows the change and writes nothing at all (setup and remove).
- A broken file (one its program cannot read, or one that is not the editor's) is
  refused, byte for byte unchanged, without a traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from support import TRACEBACK_MARKERS, describe, make_user_env, run_cmd, write_config

Proc = subprocess.CompletedProcess[str]
ENV_URL = "https://aqora.example"
INDEX_URL = "https://pypi.aqora.example/simple/"
CONFIG = (
    f'url = "{ENV_URL}"\n[environments."{ENV_URL}"]\n'
    'hosts = ["aqora.example", "registry.aqora.example", "pypi.aqora.example"]\n'
)


def tree(home: Path) -> dict[str, bytes | str]:
    """Every path under `home` and beside it: a file's bytes, a link's target, a FIFO.
    Caches are left out (~/.cache: the host index a setup may bring up to date)."""
    found: dict[str, bytes | str] = {}
    for root in (home, home.with_name(home.name + ".elsewhere")):
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_relative_to(home / ".cache"):
                continue
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                found[str(path)] = "-> " + os.readlink(path)
            elif stat.S_ISFIFO(mode):
                found[str(path)] = "fifo"
            elif stat.S_ISREG(mode):
                found[str(path)] = path.read_bytes()
    return found


class EditorContract:
    """Subclass as `Test<Editor>Contract` and fill in the class attributes and `path`."""

    setup_args: tuple[str, ...]  # `aqora-helper setup ...` that writes the file
    remove_args: tuple[str, ...] | None  # the undo; None: setup's edit is kept by design
    seed: bytes | None  # the user's own file before setup (None: there is none)
    broken: bytes  # a file the editor must refuse
    broken_is_an_error = True  # False: left alone with a warning (exit 0)

    def path(self, env: dict[str, str]) -> Path:
        """The file the editor writes."""
        raise NotImplementedError

    # --- helpers ---------------------------------------------------------------------

    @pytest.fixture
    def editor_env(self, tmp_path: Path) -> dict[str, str]:
        """A fresh user with one environment serving three hosts (no session needed)."""
        env = make_user_env(tmp_path / "home")
        write_config(env, CONFIG)
        return env

    def run(self, env: dict[str, str], args: tuple[str, ...], *extra: str) -> Proc:
        return run_cmd(["aqora-helper", "setup", *args, *extra], env, timeout=60)

    def ok(self, env: dict[str, str], args: tuple[str, ...], *extra: str) -> Proc:
        proc = self.run(env, args, *extra)
        assert proc.returncode == 0, describe(proc)
        assert not any(m in proc.stdout + proc.stderr for m in TRACEBACK_MARKERS), describe(proc)
        return proc

    def place(self, env: dict[str, str], data: bytes | None) -> Path:
        path = self.path(env)
        if data is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return path

    def refused(self, proc: Proc) -> None:
        """An error and a hint line, exit 1, no traceback."""
        assert proc.returncode == 1, describe(proc)
        lines = proc.stderr.splitlines()
        assert any(line.startswith("error: ") for line in lines), describe(proc)
        assert any(line.startswith("hint: ") for line in lines), describe(proc)
        assert not any(m in proc.stdout + proc.stderr for m in TRACEBACK_MARKERS), describe(proc)

    # --- the contract ----------------------------------------------------------------

    def test_setup_then_remove_gives_back_the_bytes(self, editor_env: dict[str, str]) -> None:
        path = self.place(editor_env, self.seed)
        self.ok(editor_env, self.setup_args)
        assert path.read_bytes() != self.seed, "setup changed nothing"
        set_up = path.read_bytes()
        if self.remove_args is None:  # kept by design: remove of the others leaves it
            for args in (("docker", "--remove"), ("pip", "--remove"), ("uv", "--remove")):
                self.ok(editor_env, args)
            assert path.read_bytes() == set_up
            return
        self.ok(editor_env, self.remove_args)
        if self.seed is None:
            assert not path.exists(), f"{path} left behind"
        else:
            assert path.read_bytes() == self.seed

    def test_setup_twice_is_setup_once(self, editor_env: dict[str, str]) -> None:
        path = self.place(editor_env, self.seed)
        self.ok(editor_env, self.setup_args)
        once = tree(Path(editor_env["HOME"]))
        again = self.ok(editor_env, self.setup_args)
        assert tree(Path(editor_env["HOME"])) == once, describe(again)
        assert "unchanged" in again.stdout + again.stderr, describe(again)
        assert "wrote:" not in again.stdout, describe(again)
        assert path.exists()

    def test_a_fifo_is_refused_at_once(self, editor_env: dict[str, str]) -> None:
        path = self.path(editor_env)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        os.mkfifo(path)
        before = tree(Path(editor_env["HOME"]))
        proc = self.run(editor_env, self.setup_args)  # a wait on the FIFO would time out
        assert proc.returncode == 1, describe(proc)
        assert str(path) in proc.stderr, describe(proc)
        assert tree(Path(editor_env["HOME"])) == before

    def test_a_symlink_is_edited_at_its_target_never_replaced(
        self, editor_env: dict[str, str]
    ) -> None:
        path = self.path(editor_env)
        home = Path(editor_env["HOME"])
        target = home.with_name(home.name + ".elsewhere") / "dotfiles" / path.name
        target.parent.mkdir(parents=True)
        target.write_bytes(self.seed if self.seed is not None else self.broken)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.symlink_to(target)
        original = target.read_bytes()
        proc = self.run(editor_env, self.setup_args)
        assert path.is_symlink() and os.readlink(path) == str(target), describe(proc)
        if proc.returncode == 0 and target.read_bytes() != original and self.remove_args:
            self.ok(editor_env, self.remove_args)  # it was edited at the target: undo there too
            assert path.is_symlink() and target.read_bytes() == original

    def test_a_symlink_to_a_fifo_is_refused_at_once(self, editor_env: dict[str, str]) -> None:
        path = self.path(editor_env)
        home = Path(editor_env["HOME"])
        fifo = home.with_name(home.name + ".elsewhere") / "fifo"
        fifo.parent.mkdir(parents=True)
        os.mkfifo(fifo)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.symlink_to(fifo)
        before = tree(home)
        proc = self.run(editor_env, self.setup_args)
        assert proc.returncode == 1, describe(proc)
        assert tree(home) == before

    def test_dry_run_writes_nothing(self, editor_env: dict[str, str]) -> None:
        self.place(editor_env, self.seed)
        home = Path(editor_env["HOME"])
        before = tree(home)
        proc = self.ok(editor_env, self.setup_args, "--dry-run")
        assert tree(home) == before, describe(proc)
        assert "dry run:" in proc.stdout or "would add" in proc.stdout + proc.stderr, describe(
            proc
        )
        if self.remove_args is not None:
            self.ok(editor_env, self.setup_args)
            set_up = tree(home)
            self.ok(editor_env, self.remove_args, "--dry-run")
            assert tree(home) == set_up

    def test_a_broken_file_is_refused_unchanged(self, editor_env: dict[str, str]) -> None:
        path = self.place(editor_env, self.broken)
        proc = self.run(editor_env, self.setup_args)
        assert path.read_bytes() == self.broken, describe(proc)
        if self.broken_is_an_error:
            self.refused(proc)
        else:  # not the editor's file: left alone, with a warning naming it
            assert proc.returncode == 0, describe(proc)
            assert f"{path} exists and was not written by aqora-helper" in proc.stderr, describe(
                proc
            )
