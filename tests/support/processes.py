"""Start the gateway's own commands as real processes and wait for them, with deadlines."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from app.sandbox.run import NotReady, stop_process, wait_ready
from bench.processes import free_port, untraced

__all__ = ["free_port", "running"]


@contextmanager
def running(
    args: list[str], *, env: Mapping[str, str], url: str, log: Path, traced: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m app <args>` until the block ends; stop it with SIGTERM.

    Under `make test` coverage would trace the process and every gunicorn worker, which makes
    each of them several times slower. Only `traced` processes are measured: the tests about the
    server process itself (tests/e2e/test_server.py, test_readme.py, test_observability.py's
    metrics and access-log tests, and test_operations.py's shutdown test).
    """
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            env={**(os.environ if traced else untraced(os.environ)), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_ready(url, process, timeout=30)
            except NotReady as exc:
                raise AssertionError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from exc
            yield process
        finally:
            stop_process(process, timeout=30)
