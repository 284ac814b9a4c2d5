"""No import circle anywhere in the package.

The graph is built from the source with `ast`: every import statement, at module level
and inside functions (a lazy import is still a dependency: it runs on some path), from
each module to each module of the package it names. Imports under `if TYPE_CHECKING:`
are left out: they never run (annotations only). A circle is named module by module.
"""

from __future__ import annotations

import ast
from pathlib import Path

from shared.layers import PACKAGE


def module_name(root: Path, path: Path) -> str:
    """`aqora_helper.fast.credential` for `<root>/fast/credential.py` (a package by its
    `__init__.py`)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name):
            if node.test.id == "TYPE_CHECKING":
                skipped |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return skipped


def imported_names(module: str, is_package: bool, tree: ast.Module) -> set[str]:
    """Every dotted name `module` imports (`from x import y` names both x and x.y)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    skipped = _type_checking_only(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names |= {source, *(f"{source}.{alias.name}" for alias in node.names)}
    return names


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the modules of the package under `root` it imports."""
    paths = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = imported_names(module, path.name == "__init__.py", tree)
        graph[module] = {name for name in names if name in paths and name != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle `[a, b, ..., a]` through each group of modules that import one another
    (Tarjan's strongly connected components, then a path around each)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_around(graph, group) for group in groups]


def _path_around(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest circle through the group's first module (breadth-first)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    return sorted(group)  # unreachable for a strongly connected group


def test_the_package_has_no_import_circle() -> None:
    found = circles(import_graph(PACKAGE))
    assert found == [], "import circles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_graph_sees_every_kind_of_import() -> None:
    """Module level, relative, inside a function, `from . import x`; not TYPE_CHECKING."""
    graph = import_graph(PACKAGE)
    assert "aqora_helper.fast.hostindex" in graph["aqora_helper.fast.credential"]
    assert "aqora_helper.engine.served" in graph["aqora_helper.fast.credential"]  # lazy
    assert "aqora_helper.engine.log" in graph["aqora_helper.engine.served"]  # from . import
    assert "aqora_helper.client.tokens" not in graph["aqora_helper"]  # TYPE_CHECKING only


def test_a_circle_is_found_and_named(tmp_path: Path) -> None:
    """The check fails on a circle, whether its imports are at the top or in a function."""
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from .sub import b\n",
        "sub/__init__.py": "",
        "sub/b.py": "def f():\n    from ..c import g\n",
        "c.py": "import pkg.a\n",
        "d.py": "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from . import e\n",
        "e.py": "from . import d\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    assert circles(import_graph(root)) == [["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]]
