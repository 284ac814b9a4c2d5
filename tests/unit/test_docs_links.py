"""Every relative link in README.md, CONTRIBUTING.md and docs/ points to a file of the
repository, and a `#fragment` to a heading of that file (as GitHub names its anchors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support import REPO, doc_pages

LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def links(text: str) -> list[str]:
    """Link targets of Markdown text, minus those in code blocks and code spans."""
    return LINK.findall(CODE_SPAN.sub("", FENCE.sub("", text)))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Anchors of the headings of Markdown text (a repeated one gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", FENCE.sub("", text), re.M):
        name = anchor(heading)
        count = seen.get(name, 0)
        seen[name] = count + 1
        found.add(name if count == 0 else f"{name}-{count}")
    return found


def broken_links(page: Path, root: Path = REPO) -> list[str]:
    """The links of `page` that point nowhere (or out of `root`), each with the reason."""
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
            continue
        path_part, _, fragment = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        rel = dest.relative_to(root).as_posix() if dest.is_relative_to(root) else None
        if rel is None:
            broken.append(f"{target}: outside the repository")
        elif not dest.exists():
            broken.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md":
            if fragment not in anchors(dest.read_text(encoding="utf-8")):
                broken.append(f"{target}: no heading #{fragment} in {rel}")
    return broken


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_points_to_an_existing_file_and_heading(page):
    assert broken_links(page) == []


def test_the_pages_the_readme_links_to_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("install", "reference", "clients", "security", "troubleshooting"):
        assert f"(docs/{name}.md" in readme
    assert (REPO / "LICENSE").is_file() and (REPO / "CONTRIBUTING.md").is_file()


def test_the_check_sees_a_broken_link(tmp_path):
    root = tmp_path.resolve()
    (root / "docs").mkdir()
    (root / "docs" / "a.md").write_text("# Title\n\n## The `x` part\n")
    page = root / "README.md"
    page.write_text(
        "[ok](docs/a.md) [ok](docs/a.md#the-x-part) [ok](#top) [web](https://example.org)\n"
        "`[code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n"
        "[gone](docs/b.md) [bad](docs/a.md#nothing) [out](../x.md)\n"
        "# Top\n"
    )
    assert broken_links(page, root) == [
        "docs/b.md: no such file",
        "docs/a.md#nothing: no heading #nothing in docs/a.md",
        "../x.md: outside the repository",
    ]


def test_anchors_follow_githubs_rule():
    text = "# Docker (docker CLI, skopeo)\n## One `get`, traced\n## Notes\n## Notes\n"
    assert anchors(text) == {"docker-docker-cli-skopeo", "one-get-traced", "notes", "notes-1"}
