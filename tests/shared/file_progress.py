"""`--per-file`: one line per test file as it completes, with its outcome, time and
CPU time, instead of pytest's rows of dots (which pytest-xdist prints without file
names); at the end, the tests that cost the most CPU.

    PASS  e2e/git/test_setup_git.py                 10 passed             4.2 s   2.1 cpu
    FAIL  e2e/docker/test_credsstore.py              8 passed, 1 failed   31.0 s  12.5 cpu

The time is the sum of the file's test durations (setup, call, teardown), whichever
worker ran them; the CPU time is the test process's and that of the programs it ran
(and waited for) meanwhile. Failures are reported in full by pytest at the end.
"""

from __future__ import annotations

import resource
from collections import Counter, defaultdict
from typing import Any

import pytest

SLOWEST_CPU = 10  # tests listed at the end


def cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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
        self.cpu: Counter[str] = Counter()  # per file
        self.test_cpu: Counter[str] = Counter()  # per test
        self.collected = False
        self.mark = 0.0  # CPU time when the current phase began (in the process running it)

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

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        self.mark = cpu_seconds()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        outcome = yield
        now = cpu_seconds()
        outcome.get_result().user_properties.append(("cpu", now - self.mark))
        self.mark = now

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> Any:
        outcome = yield
        category, _letter, word = outcome.get_result()
        outcome.force_result((category, "", word))  # no dot: the file's line says it

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = file_of(report.nodeid)
        self.seconds[name] += report.duration
        cpu = sum(value for key, value in report.user_properties if key == "cpu")
        self.cpu[name] += cpu
        self.test_cpu[report.nodeid] += cpu
        if report.when == "call" or (report.when == "setup" and not report.passed):
            kind = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
            self.outcomes[name][kind] += 1
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
        line = (
            f"{'FAIL' if bad else 'PASS'}  {short:<56} {words:<22} "
            f"{self.seconds[name]:6.1f} s {self.cpu[name]:6.1f} cpu"
        )
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line, red=bool(bad), green=not bad)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.test_cpu:
            return
        total = sum(self.cpu.values())
        terminalreporter.write_sep("=", f"most CPU ({total:.0f} s of CPU in all)")
        for nodeid, cpu in self.test_cpu.most_common(SLOWEST_CPU):
            terminalreporter.write_line(f"{cpu:7.1f} cpu  {nodeid}")
