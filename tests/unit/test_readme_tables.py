"""The docs' tables (README.md, CONTRIBUTING.md, docs/) as a newcomer's Markdown viewer
shows them: a blank line inside a table ends it, and the rows after it render as one
paragraph of pipes."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import REPO, doc_pages


def tables_split_by_a_blank_line(text: str) -> list[int]:
    """1-based numbers of blank lines that sit between two table rows."""
    lines = text.splitlines()
    return [
        i + 1
        for i in range(1, len(lines) - 1)
        if not lines[i].strip()
        and lines[i - 1].startswith("|")
        and lines[i + 1].startswith("|")
        and not lines[i + 2 if i + 2 < len(lines) else i + 1].startswith("|---")
    ]


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_docs_table_is_cut_in_two_by_a_blank_line(page: Path):
    """Origin: a newcomer's walkthrough (was tests/unit/test_newcomer_readme.py)."""
    assert tables_split_by_a_blank_line(page.read_text(encoding="utf-8")) == []


def test_the_check_sees_a_cut_table():
    """Origin: a newcomer's walkthrough (was tests/unit/test_newcomer_readme.py)."""
    assert tables_split_by_a_blank_line("| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n") == [4]
    assert tables_split_by_a_blank_line("| a |\n|---|\n| 1 |\n\n| b |\n|---|\n| 2 |\n") == []
