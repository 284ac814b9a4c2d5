"""fast/lightos.py: the `os` calls of the fast path, without importing `os`, give what
`os` and `posixpath` give."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import pytest

from aqora_helper.fast import lightos

PATHS = ["", "/", "//", "///", "a", "a/", "a/b", "/a/b", "/a/b/", "a//b", "//a", "/a//", ".", ".."]


@pytest.mark.parametrize("path", PATHS)
def test_dirname_and_isabs_are_posixpaths(path: str) -> None:
    assert lightos.dirname(path) == posixpath.dirname(path)
    assert lightos.isabs(path) == posixpath.isabs(path)


@pytest.mark.parametrize("first", PATHS)
@pytest.mark.parametrize("rest", [(), ("b",), ("/b",), ("b/", "c"), ("", "c"), ("b", "/c", "d")])
def test_join_is_posixpaths(first: str, rest: tuple[str, ...]) -> None:
    assert lightos.join(first, *rest) == posixpath.join(first, *rest)


@pytest.mark.parametrize("home", ["/home/alice", "/home/alice/", "/", "", "//", "/home/a b"])
@pytest.mark.parametrize("path", ["~", "~/", "~/x", "~/x/y", "x", "/x", "", "~x/y", "a~"])
def test_expanduser_and_home_follow_home(
    monkeypatch: pytest.MonkeyPatch, home: str, path: str
) -> None:
    monkeypatch.setenv("HOME", home)
    assert lightos.expanduser(path) == os.path.expanduser(path)
    assert lightos.home() == os.path.expanduser("~")


def test_without_home_the_password_database_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME")
    assert lightos.home() == os.path.expanduser("~")
    assert lightos.expanduser("~/x") == os.path.expanduser("~/x")


def test_the_environment_is_os_environ_with_its_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AQORA_LIGHTOS_TEST", "h\u00e9llo")
    monkeypatch.setenv("AQORA_LIGHTOS_UNDECODABLE", os.fsdecode(b"\xff\xfe"))
    monkeypatch.delenv("AQORA_LIGHTOS_ABSENT", raising=False)
    assert lightos.getenv("AQORA_LIGHTOS_TEST") == "h\u00e9llo"
    assert lightos.getenv("AQORA_LIGHTOS_UNDECODABLE") == os.environ["AQORA_LIGHTOS_UNDECODABLE"]
    assert lightos.getenv("AQORA_LIGHTOS_ABSENT") is None
    assert lightos.environ() == dict(os.environ)


def test_files_are_read_as_os_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    fd = lightos.open(str(path), lightos.O_RDONLY | lightos.O_CLOEXEC)
    try:
        assert lightos.fstat(fd).st_size == 10
        assert lightos.pread(fd, 3, 4) == b"456"
        assert lightos.read(fd, 4) == b"0123"
    finally:
        lightos.close(fd)
    assert lightos.exists(str(path)) and not lightos.exists(str(tmp_path / "missing"))
    assert lightos.exists(str(tmp_path)) and not lightos.exists("bad\0path")
    assert lightos.getuid() == os.getuid()
    assert lightos.listdir(str(tmp_path)) == ["f"]
