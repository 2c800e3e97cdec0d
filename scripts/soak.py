#!/usr/bin/env python3
"""Run the suite many times in a row and report every test that ever failed.

    .venv/bin/python scripts/soak.py [--runs N] [--workers W] [paths...]

Each run is a plain `pytest -n W -p no:cacheprovider -q --junitxml=...`: no reruns, no retries
(the rerun plugins are blocked even if installed), so a test that fails once in N runs shows
up as 1/N. The JUnit XML of every run is parsed; the report lists each test that failed or
errored in any run with its failure count and the first line of its first failure message,
then `soak: N runs, T tests, F failures, flake rate X%` and the duration of every run.

The flake rate is F over the test executions that were not skipped (N runs x the tests each ran).
The exit status is 1 when any test failed or errored in any run, or when a run ended without a
usable report (pytest crashed, was interrupted, or collected nothing); otherwise 0.

The parsing and summarising functions are importable; tests/unit/test_soak_report.py tests them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = ("tests/integration", "tests/e2e")
# Blocked on every run: a soak measures how often tests fail, and a rerun would hide that.
NO_RETRY_PLUGINS = ("rerunfailures", "flaky")
MESSAGE_WIDTH = 160
# pytest's own exit codes: 0 all passed, 1 some tests failed; anything else is a broken run.
PYTEST_OK = 0
PYTEST_TESTS_FAILED = 1


class Status(Enum):
    """What became of one test in one run, from best to worst."""

    PASSED = 0
    SKIPPED = 1
    FAILED = 2
    ERROR = 3

    @property
    def is_failure(self) -> bool:
        return self in (Status.FAILED, Status.ERROR)


@dataclass(frozen=True)
class Outcome:
    """One test's result in one run; `message` is the first line of its failure, if any."""

    status: Status
    message: str = ""


@dataclass(frozen=True)
class Run:
    """One pytest run: its outcomes by test id, its wall-clock duration and pytest's exit code."""

    index: int
    outcomes: dict[str, Outcome]
    duration: float = 0.0
    returncode: int = PYTEST_OK
    report_missing: bool = False

    @property
    def failures(self) -> int:
        return sum(outcome.status.is_failure for outcome in self.outcomes.values())

    @property
    def broken(self) -> bool:
        """Whether the run itself went wrong, beyond tests failing."""
        return self.report_missing or self.returncode not in (PYTEST_OK, PYTEST_TESTS_FAILED)


@dataclass(frozen=True)
class Flake:
    """A test that failed or errored in at least one run."""

    test_id: str
    failures: int
    first_message: str


@dataclass(frozen=True)
class Report:
    runs: int
    tests: int
    executions: int
    failures: int
    flakes: list[Flake] = field(default_factory=list)
    broken_runs: list[int] = field(default_factory=list)

    @property
    def flake_rate(self) -> float:
        """Failed executions as a percentage of executions that were not skipped."""
        return 100.0 * self.failures / self.executions if self.executions else 0.0


def test_id(classname: str, name: str) -> str:
    """Turn JUnit's `classname` and `name` into a pytest node id one can paste back.

    pytest writes `tests.unit.test_x.TestClass` as the classname; the trailing parts that start
    with an upper-case letter are taken to be classes. A collection error has no classname and
    the module's dotted name as its name; that is kept as it is.
    """
    if not classname:
        return name
    parts = classname.split(".")
    classes: list[str] = []
    while len(parts) > 1 and parts[-1][:1].isupper():
        classes.insert(0, parts.pop())
    module = "/".join(parts) + ".py"
    return "::".join([module, *classes, name])


def _first_line(element: ET.Element) -> str:
    text = element.get("message") or element.text or ""
    for raw in text.splitlines():
        line = raw.strip()
        if line:
            return line if len(line) <= MESSAGE_WIDTH else line[: MESSAGE_WIDTH - 3] + "..."
    return element.tag


def _outcome(testcase: ET.Element) -> Outcome:
    for tag, status in (("error", Status.ERROR), ("failure", Status.FAILED)):
        found = testcase.find(tag)
        if found is not None:
            return Outcome(status, _first_line(found))
    if testcase.find("skipped") is not None:
        return Outcome(Status.SKIPPED)
    return Outcome(Status.PASSED)


def parse_junit(path: Path) -> dict[str, Outcome]:
    """Return the outcome of every test in a JUnit XML report written by pytest.

    pytest-xdist writes a test that fails and then errors in teardown as two testcases; they are
    merged, keeping the worst status and the first failure's message, so it counts once.
    """
    outcomes: dict[str, Outcome] = {}
    # The report is one our own pytest run just wrote, not untrusted input.
    for testcase in ET.parse(path).getroot().iter("testcase"):  # noqa: S314
        key = test_id(testcase.get("classname", ""), testcase.get("name", ""))
        outcome = _outcome(testcase)
        earlier = outcomes.get(key)
        if earlier is not None:
            status = max(earlier.status, outcome.status, key=lambda s: s.value)
            message = earlier.message if earlier.status.is_failure else outcome.message
            outcome = Outcome(status, message if status.is_failure else "")
        outcomes[key] = outcome
    return outcomes


def summarize(runs: Sequence[Run]) -> Report:
    """Count, for every test, the runs it failed or errored in."""
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    tests: set[str] = set()
    executions = 0
    for run in runs:
        for key, outcome in run.outcomes.items():
            tests.add(key)
            if outcome.status is not Status.SKIPPED:
                executions += 1
            if outcome.status.is_failure:
                counts[key] = counts.get(key, 0) + 1
                messages.setdefault(key, outcome.message)
    flakes = [Flake(key, counts[key], messages[key]) for key in counts]
    flakes.sort(key=lambda flake: (-flake.failures, flake.test_id))
    return Report(
        runs=len(runs),
        tests=len(tests),
        executions=executions,
        failures=sum(counts.values()),
        flakes=flakes,
        broken_runs=[run.index for run in runs if run.broken],
    )


def exit_code(report: Report) -> int:
    """0 when every run completed and no test ever failed, else 1."""
    return 1 if report.failures or report.broken_runs else 0


def format_report(report: Report, runs: Sequence[Run]) -> str:
    lines: list[str] = []
    if report.flakes:
        lines.append(f"tests that failed (failed runs / {report.runs}, first failure):")
        width = len(str(report.runs))
        for flake in report.flakes:
            lines.append(f"  {flake.failures:>{width}}/{report.runs}  {flake.test_id}")
            lines.append(f"  {'':>{2 * width + 1}}  {flake.first_message}")
    else:
        lines.append(f"no test failed in {report.runs} runs")
    lines.append(
        f"soak: {report.runs} runs, {report.tests} tests, {report.failures} failures, "
        f"flake rate {report.flake_rate:.2f}%"
    )
    for run in runs:
        note = f"{run.failures} failed, pytest exit {run.returncode}"
        if run.report_missing:
            note += ", no JUnit report"
        lines.append(f"  run {run.index}: {run.duration:.1f}s ({note})")
    if report.broken_runs:
        broken = ", ".join(str(index) for index in report.broken_runs)
        lines.append(f"runs that did not complete normally: {broken}")
    return "\n".join(lines)


def pytest_command(paths: Sequence[str], workers: int, junitxml: Path) -> list[str]:
    blocked = [arg for plugin in NO_RETRY_PLUGINS for arg in ("-p", f"no:{plugin}")]
    return [
        sys.executable,
        "-m",
        "pytest",
        *paths,
        "-n",
        str(workers),
        "-p",
        "no:cacheprovider",
        *blocked,
        "-q",
        f"--junitxml={junitxml}",
    ]


def run_once(index: int, paths: Sequence[str], workers: int, workdir: Path) -> Run:
    junitxml = workdir / f"run-{index}.xml"
    started = time.monotonic()
    completed = subprocess.run(pytest_command(paths, workers, junitxml), cwd=ROOT, check=False)
    duration = time.monotonic() - started
    try:
        outcomes = parse_junit(junitxml)
    except (OSError, ET.ParseError):
        return Run(index, {}, duration, completed.returncode, report_missing=True)
    return Run(index, outcomes, duration, completed.returncode)


def _from_caller(path: str) -> str:
    """Make a path (or node id) given relative to the caller's directory work from ROOT."""
    file_part, sep, rest = path.partition("::")
    candidate = Path(file_part)
    if Path.cwd() != ROOT and not candidate.is_absolute() and candidate.exists():
        return str(candidate.resolve()) + sep + rest
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="how many runs (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    parser.add_argument(
        "paths", nargs="*", help=f"what to run (default: {' '.join(DEFAULT_PATHS)})"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.workers < 1:
        parser.error("--runs and --workers must be at least 1")
    paths = [_from_caller(path) for path in args.paths] or list(DEFAULT_PATHS)

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        for index in range(1, args.runs + 1):
            print(f"=== soak run {index}/{args.runs}: pytest {' '.join(paths)}", flush=True)
            runs.append(run_once(index, paths, args.workers, Path(tmp)))
    report = summarize(runs)
    print()
    print(format_report(report, runs))
    return exit_code(report)


if __name__ == "__main__":
    sys.exit(main())
