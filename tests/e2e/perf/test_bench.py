"""`tests/bench` runs end to end and prints every row.

Speed is judged by the benchmark itself, never by a timed test: this only checks that a
short run (`--rounds 3`) sets itself up, measures each figure, cleans up after itself,
and that the concurrency burst was answered with exactly one refresh. It asserts no
timing, so it runs in the parallel part; figures worth reading come from a quiet machine.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import TESTS

BENCH = TESTS / "bench"

ROWS = (
    "python -I -c pass",
    "git-credential-aqora get (cached)",
    "docker-credential-aqora get (cached)",
    "aqora-helper token (cached)",
    "keyring get URL alice (cached)",
    "keyring get URL --mode creds (cached)",
    "keyring --mode=creds --output=json get URL alice (cached)",
    "git-credential-aqora get (stale: refresh)",
    "peer: git credential-store get",
    "peer: keyring's own CLI, --mode creds get",
    *(f"official CLI source (cached): {door}" for door in ("git get", "docker get", "token",
                                                            "keyring get URL alice")),
    "official CLI source (stale: refresh in credentials.json): git get",
    *(f"{route}: {door}"
      for route in ("uv tool install WHEEL", "uv tool install CLONE", "pipx install WHEEL",
                    "uv tool install --compile-bytecode WHEEL, PYTHONDONTWRITEBYTECODE=1",
                    "uv tool install WHEEL, PYTHONDONTWRITEBYTECODE=1")
      for door in ("git get", "docker get", "token", "keyring get URL alice")),
    "peer: docker-credential-secretservice get (the store alone)",
    "peer: docker-credential-secretservice list (the store alone)",
    "credsStore, a registry aqora does not serve: docker get",
    "credsStore: docker list (aqora's hosts + the store's)",
    *(f"1000 environments: {door}" for door in ("git get", "docker get", "token",
                                                "keyring get URL alice")),
    "git get, an unserved host (1 environment)",
    "1000 environments: git get, an unserved host",
    "pip download, keyring program / (token in URL + 1 keyring run)",
    "uv pip install, keyring program / (token in URL + 1 keyring run)",
    "keyring backend get_credential (in-process, cached)",
    "same through keyring.get_credential (chainer, info)",
    "keyring import (info)",
    "keyring.get_keyring() discovery (info)",
    "50 concurrent gets, stale",
    "100 concurrent gets, stale",
)


@pytest.mark.skipif(
    not (shutil.which("dbus-daemon") and shutil.which("gnome-keyring-daemon")),
    reason="the benchmark starts its own dbus-daemon and gnome-keyring-daemon",
)
def test_bench_runs_and_reports_every_row(tmp_path: Path) -> None:
    out_json = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "3", "--json", str(out_json)],
        capture_output=True,
        text=True,
        timeout=1200,  # five installs besides install.sh's (issue 24's routes)
        stdin=subprocess.DEVNULL,
    )
    detail = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    # 0: every budget met, 1: a budget missed (timing is not this test's business);
    # 2 would mean the set-up or a command's answer failed.
    assert proc.returncode in (0, 1), detail
    assert "Traceback" not in proc.stderr, detail

    table = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    for row in ROWS:
        assert any(row in line for line in table), f"row {row!r} missing\n{detail}"
    assert "| name" in proc.stdout and "median ms" in proc.stdout, detail
    assert "budgets" in proc.stdout.splitlines()[-1], detail  # the verdict line

    data = json.loads(out_json.read_text())
    assert data["meta"]["rounds"] == 3
    rows = {row["name"].strip(): row for row in data["rows"]}
    assert len(rows) == len(ROWS), rows.keys()
    timed = [row for row in data["rows"] if not row["name"].startswith(("50 ", "100 ", " "))]
    for row in timed:
        assert row["samples"] == 3 and row["median_ms"] > 0, row

    for size in ("50", "100"):
        burst = next(row for name, row in rows.items() if name.startswith(f"{size} concurrent"))
        assert "refreshes=1" in burst["name"], burst
        for one in burst["bursts"]:
            assert one["refreshes"] == 1, burst
            assert one["failures"] == [], burst
            assert one["distinct_tokens"] == 1, burst

    for name in ("python -I -c pass", "git-credential-aqora get (cached)"):
        assert rows[name]["peak_mib"] > 0, rows[name]  # peak RSS measured
    for name in ("pip download", "uv pip install"):
        pair = next(row for key, row in rows.items() if key.startswith(name))
        assert pair["ratio"] > 0 and pair["index_accepted"] > 0, pair

    stale = rows["git-credential-aqora get (stale: refresh)"]
    assert stale["refreshes"] == stale["runs"], stale  # one refresh per stale get

    work = re.search(r"^\[bench\] work dir (\S+)$", proc.stderr, re.MULTILINE)
    assert work is not None, detail
    assert not Path(work.group(1)).exists(), "the work dir was left behind"
