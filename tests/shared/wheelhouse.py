"""A wheelhouse: wheels of every dependency of aqora-helper, and of setuptools (which
builds it), so that install.sh (and `python -m build`) in the tests install without any
package index: the same wheels every time, no network, no resolver round trips.

`bash tests/run` makes it next to the test venv when it builds that venv (it depends on
pyproject.toml only) and names it in AQORA_TEST_WHEELHOUSE; without it, the `wheelhouse`
fixture (shared/install.py) makes one per pytest process. install.sh itself is not
changed: pip reads PIP_NO_INDEX and PIP_FIND_LINKS from the environment (`offline`).

    python tests/shared/wheelhouse.py DEST    # what tests/run runs
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_REQUIREMENTS = ["setuptools>=77"]  # pyproject.toml's [build-system] requires
READY = ".complete"  # written last: a folder without it is a half-made wheelhouse


def build(dest: Path, python: str = sys.executable) -> Path:
    """Fill `dest` with the wheels (from the index pip is configured with, which the
    machine's local wheel folders do not shadow); returns `dest`."""
    if (dest / READY).exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"}
    env["PIP_CONFIG_FILE"] = "/dev/null"
    env.setdefault("PIP_CACHE_DIR", str(dest / ".pip-cache"))
    proc = subprocess.run(
        [python, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-input",
         "--wheel-dir", str(dest), str(REPO), *BUILD_REQUIREMENTS],
        env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"pip wheel failed:\n{proc.stdout}\n{proc.stderr}")
    for own in dest.glob("aqora_helper-*.whl"):  # each test builds its own from source
        own.unlink()
    (dest / READY).write_text("")
    return dest


def offline(env: dict[str, str], wheelhouse: Path) -> dict[str, str]:
    """`env` with pip installing from `wheelhouse` only (no index, no other wheel folder)."""
    return dict(env, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/shared/wheelhouse.py DEST")
    print(build(Path(sys.argv[1])))
