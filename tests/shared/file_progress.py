"""`--per-file`: one line per test file as it completes, with its outcome and time,
instead of pytest's rows of dots (which pytest-xdist prints without file names).

    PASS  e2e/git/test_setup_git.py                 10 passed                  4.2 s
    FAIL  e2e/docker/test_credsstore.py              8 passed, 1 failed         31.0 s

The time is the sum of the file's test durations (setup, call, teardown), whichever
worker ran them. Failures are reported in full by pytest at the end, as always.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class FileProgress:
    """Counts each file's finished tests and writes its line when the last one ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.expected: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self.seconds: Counter[str] = Counter()
        self.failed: set[str] = set()  # nodeids whose setup or call failed
        self.collected = False

    def _expect(self, nodeids: list[str]) -> None:
        if not self.collected:  # every xdist worker collects the same tests
            self.expected.update(file_of(n) for n in nodeids)
            self.collected = True

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput"):  # a worker's tests are the controller's
            if session.items:
                self._expect([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._expect(list(ids))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> Any:
        outcome = yield
        category, _letter, word = outcome.get_result()
        outcome.force_result((category, "", word))  # no dot: the file's line says it

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = file_of(report.nodeid)
        self.seconds[name] += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            kind = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
            self.outcomes[name][kind] += 1
            if report.failed:
                self.failed.add(report.nodeid)
        elif report.when == "teardown" and report.failed:
            self.outcomes[name]["error"] += 1
        if report.when != "teardown":
            return
        self.finished[name] += 1
        if self.finished[name] == self.expected.get(name, -1):
            self._write(name)

    def _write(self, name: str) -> None:
        counts = self.outcomes[name]
        bad = counts["failed"] + counts["error"]
        words = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()) if n)
        short = name.removeprefix("tests/")
        line = f"{'FAIL' if bad else 'PASS'}  {short:<58} {words:<26} {self.seconds[name]:6.1f} s"
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line, red=bool(bad), green=not bad)
