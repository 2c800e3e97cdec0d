"""scripts/soak.py: its JUnit parsing, its counting and its exit code, on hand-written reports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules.setdefault("soak", module)
    spec.loader.exec_module(module)
    return module


soak = _load()

PASSING = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="0" skipped="0"
 tests="2" time="0.1">
<testcase classname="tests.integration.test_dedup" name="test_repeat[standalone]" time="0.01"/>
<testcase classname="tests.integration.test_dedup" name="test_repeat[cluster]" time="0.02"/>
</testsuite></testsuites>
"""

# As pytest-xdist writes it: a failure in the call and an error in teardown are two testcases.
FAILING = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="0"
 tests="3" time="0.1">
<testcase classname="tests.integration.test_dedup" name="test_repeat[standalone]" time="0.01">
<failure message="AssertionError: expected 2&#10;  got 1&#10;assert 1 == 2">long traceback
</failure></testcase>
<testcase classname="tests.integration.test_dedup" name="test_repeat[standalone]" time="0.0">
<error message="failed on teardown with &quot;RuntimeError: boom&quot;">traceback</error>
</testcase>
<testcase classname="tests.integration.test_dedup" name="test_repeat[cluster]" time="0.02"/>
</testsuite></testsuites>
"""

SETUP_ERROR = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="0" skipped="0" tests="2" time="0.1">
<testcase classname="tests.integration.test_dedup" name="test_repeat[standalone]" time="0.01"/>
<testcase classname="tests.integration.test_dedup" name="test_repeat[cluster]" time="0.0">
<error message="failed on setup with &quot;RedisServerError: no free port&quot;">trace</error>
</testcase>
</testsuite></testsuites>
"""

SKIPPED = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="0" skipped="2" tests="3" time="0.1">
<testcase classname="tests.integration.test_dedup" name="test_repeat[standalone]" time="0.01"/>
<testcase classname="tests.integration.test_real_cluster_mode.TestOnly" name="test_x" time="0">
<skipped type="pytest.skip" message="needs KUBERNAUT_REAL_CLUSTER=1">skip</skipped>
</testcase>
<testcase classname="tests.integration.test_dedup" name="test_known_bug" time="0.0">
<skipped type="pytest.xfail" message=""/>
</testcase>
</testsuite></testsuites>
"""

STANDALONE = "tests/integration/test_dedup.py::test_repeat[standalone]"
CLUSTER = "tests/integration/test_dedup.py::test_repeat[cluster]"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path: Path, index: int, text: str, returncode: int | None = None):
    outcomes = soak.parse_junit(_write(tmp_path, f"run-{index}.xml", text))
    if returncode is None:
        returncode = 1 if any(o.status.is_failure for o in outcomes.values()) else 0
    return soak.Run(index, outcomes, duration=1.5, returncode=returncode)


def test_a_passing_run_has_every_test_passed_and_exits_0(tmp_path):
    outcomes = soak.parse_junit(_write(tmp_path, "run-1.xml", PASSING))

    assert outcomes == {
        STANDALONE: soak.Outcome(soak.Status.PASSED),
        CLUSTER: soak.Outcome(soak.Status.PASSED),
    }
    report = soak.summarize([_run(tmp_path, 1, PASSING), _run(tmp_path, 2, PASSING)])
    assert (report.runs, report.tests, report.executions, report.failures) == (2, 2, 4, 0)
    assert report.flakes == []
    assert report.flake_rate == 0.0
    assert soak.exit_code(report) == 0


def test_a_test_failing_and_erroring_in_one_run_counts_once_with_its_first_message(tmp_path):
    outcomes = soak.parse_junit(_write(tmp_path, "run-1.xml", FAILING))

    assert outcomes[STANDALONE] == soak.Outcome(soak.Status.ERROR, "AssertionError: expected 2")
    assert outcomes[CLUSTER].status is soak.Status.PASSED
    report = soak.summarize([_run(tmp_path, 1, FAILING), _run(tmp_path, 2, PASSING)])
    assert report.flakes == [soak.Flake(STANDALONE, 1, "AssertionError: expected 2")]
    assert (report.tests, report.executions, report.failures) == (2, 4, 1)
    assert report.flake_rate == 25.0


def test_failures_are_counted_per_run(tmp_path):
    runs = [_run(tmp_path, i, text) for i, text in enumerate([FAILING, PASSING, FAILING], 1)]

    report = soak.summarize(runs)

    assert report.flakes == [soak.Flake(STANDALONE, 2, "AssertionError: expected 2")]
    assert report.failures == 2


def test_an_error_in_setup_is_a_failure(tmp_path):
    outcomes = soak.parse_junit(_write(tmp_path, "run-1.xml", SETUP_ERROR))

    assert outcomes[CLUSTER] == soak.Outcome(
        soak.Status.ERROR, 'failed on setup with "RedisServerError: no free port"'
    )
    report = soak.summarize([_run(tmp_path, 1, SETUP_ERROR)])
    assert [(f.test_id, f.failures) for f in report.flakes] == [(CLUSTER, 1)]
    assert soak.exit_code(report) == 1


def test_skipped_and_xfailed_tests_are_not_failures_nor_executions(tmp_path):
    outcomes = soak.parse_junit(_write(tmp_path, "run-1.xml", SKIPPED))

    assert outcomes["tests/integration/test_real_cluster_mode.py::TestOnly::test_x"].status is (
        soak.Status.SKIPPED
    )
    report = soak.summarize([_run(tmp_path, 1, SKIPPED)])
    assert (report.tests, report.executions, report.failures) == (3, 1, 0)
    assert report.flakes == []
    assert soak.exit_code(report) == 0


def test_any_failure_in_any_run_makes_the_exit_code_1(tmp_path):
    clean = [_run(tmp_path, i, PASSING) for i in range(1, 10)]

    assert soak.exit_code(soak.summarize(clean)) == 0
    assert soak.exit_code(soak.summarize([*clean, _run(tmp_path, 10, FAILING)])) == 1


@pytest.mark.parametrize("returncode", [2, 3, 4, 5])
def test_a_run_that_did_not_complete_makes_the_exit_code_1(tmp_path, returncode):
    # Interrupted, internal error, usage error, no tests collected: the run proves nothing.
    runs = [_run(tmp_path, 1, PASSING), _run(tmp_path, 2, PASSING, returncode=returncode)]

    report = soak.summarize(runs)

    assert report.failures == 0
    assert report.broken_runs == [2]
    assert soak.exit_code(report) == 1


def test_a_run_without_a_junit_report_makes_the_exit_code_1():
    report = soak.summarize([soak.Run(1, {}, duration=0.1, returncode=1, report_missing=True)])

    assert report.broken_runs == [1]
    assert soak.exit_code(report) == 1


def test_the_report_lists_each_flaky_test_then_the_summary_and_durations(tmp_path):
    runs = [_run(tmp_path, 1, FAILING), _run(tmp_path, 2, PASSING)]

    text = soak.format_report(soak.summarize(runs), runs)

    assert text.splitlines() == [
        "tests that failed (failed runs / 2, first failure):",
        f"  1/2  {STANDALONE}",
        "       AssertionError: expected 2",
        "soak: 2 runs, 2 tests, 1 failures, flake rate 25.00%",
        "  run 1: 1.5s (1 failed, pytest exit 1)",
        "  run 2: 1.5s (0 failed, pytest exit 0)",
    ]


def test_the_pytest_command_has_no_retries_and_writes_junit(tmp_path):
    command = soak.pytest_command(["tests/integration"], 2, tmp_path / "run-1.xml")

    assert command[1:] == [
        "-m",
        "pytest",
        "tests/integration",
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:rerunfailures",
        "-p",
        "no:flaky",
        "-q",
        f"--junitxml={tmp_path / 'run-1.xml'}",
    ]
    assert not any("rerun" in arg and not arg.startswith("no:") for arg in command)
