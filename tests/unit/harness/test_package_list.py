"""The system packages the tests need are listed once, in tests/packages.txt: tests/run
installs those, and docs/testing.md shows the same list."""

from __future__ import annotations

import re

from support import REPO, TESTS


def listed_packages() -> list[str]:
    """tests/packages.txt without its comments: one package a line."""
    names = [line.split("#", 1)[0].strip() for line in (TESTS / "packages.txt").read_text().splitlines()]
    return [name for name in names if name]


def test_the_list_is_package_names_each_once() -> None:
    names = listed_packages()
    assert names and len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", name) for name in names), names


def test_the_docs_show_the_list() -> None:
    doc = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    section = doc.split("<!-- packages: the list in tests/packages.txt -->", 1)[1]
    section = section.split("<!-- end of packages -->", 1)[0]
    assert re.findall(r"^- `([^`]+)`$", section, re.M) == listed_packages()


def test_tests_run_reads_the_list_and_keeps_none_of_its_own() -> None:
    script = (TESTS / "run").read_text(encoding="utf-8")
    assert "< <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' tests/packages.txt)" in script
    assert "PKGS=(" not in script  # the list it had: now tests/packages.txt
