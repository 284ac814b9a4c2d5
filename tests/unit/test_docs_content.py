"""What the docs promise a reader: a README read in minutes, Python examples that run as
a script (not only in a notebook), no aqora hostname that nothing confirms (only the API
host aqora.io is known; the rest are placeholders saying where the value comes from),
and CONTRIBUTING's list of system packages being the one tests/run installs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support import REPO, doc_pages

README_MAX_LINES = 250
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
AQORA_SUBDOMAIN = re.compile(r"(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.aqora\.io\b")


def ids(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


def test_the_readme_stays_short():
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move details into docs/"


@pytest.mark.parametrize("page", doc_pages(), ids=ids)
def test_every_python_example_compiles_as_a_script(page):
    for number, block in enumerate(PYTHON_BLOCK.findall(page.read_text(encoding="utf-8")), 1):
        compile(block, f"{ids(page)}, python block {number}", "exec")  # SyntaxError: fails


@pytest.mark.parametrize("page", doc_pages(), ids=ids)
def test_no_page_names_an_unconfirmed_aqora_host(page):
    assert AQORA_SUBDOMAIN.findall(page.read_text(encoding="utf-8")) == []


def test_contributing_lists_the_system_packages_tests_run_installs():
    listing = (REPO / "tests" / "packages.txt").read_text(encoding="utf-8").splitlines()
    installed = [line.split("#")[0].strip() for line in listing if line.split("#")[0].strip()]
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    listed = re.search(r"with apt-get \(the list in `tests/packages.txt`\): `([^`]*)`", guide)
    assert listed, "CONTRIBUTING.md no longer lists tests/packages.txt where expected"
    assert listed.group(1).split() == installed
    script = (REPO / "tests" / "run").read_text(encoding="utf-8")
    assert "python3-venv" in script and "`python3-venv` when" in guide


def test_the_checks_see_what_they_look_for():
    top_level_await = "import httpx\nasync with httpx.AsyncClient() as c:\n    await c.get('x')\n"
    with pytest.raises(SyntaxError):
        compile(top_level_await, "example", "exec")
    text = "`https://pypi.aqora.io/simple/` registry.aqora.io aqora.io aqora.io.evil.com"
    assert AQORA_SUBDOMAIN.findall(text) == ["pypi.aqora.io", "registry.aqora.io"]
