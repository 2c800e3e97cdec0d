"""The test modules coverage does not measure.

They run no gateway code in the test process nor in a traced server (their gateways run
untraced, see tests/support/processes.py:running): coverage would only slow them down, as it
traces every call the test process makes. tests/conftest.py marks their tests `no_cover`
(pytest-cov pauses while they run); tests/e2e/conftest.py refuses a traced gateway in them.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
UNMEASURED = (
    "chart/",
    "e2e/test_alertmanager.py",
    "e2e/test_concurrency.py",
    "e2e/test_prometheus.py",
    "e2e/test_security.py",
    "e2e/test_storms.py",
)


def unmeasured(path: Path) -> bool:
    """Whether the test module at `path` runs without coverage."""
    return path.resolve().relative_to(TESTS).as_posix().startswith(UNMEASURED)
