"""Start the gateway's own commands as real processes and wait for them, with deadlines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from app.sandbox.run import NotReady, wait_ready


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def untraced(environ: Mapping[str, str]) -> dict[str, str]:
    """Return `environ` without the variables that make coverage trace a Python subprocess."""
    return {k: v for k, v in environ.items() if not k.startswith(("COVERAGE_", "COV_CORE_"))}


@contextmanager
def running(
    args: list[str], *, env: Mapping[str, str], url: str, log: Path, traced: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m app <args>` until the block ends; stop it with SIGTERM.

    Under `make test` coverage would trace the process and every gunicorn worker, which makes
    each of them several times slower. Only `traced` processes are measured: the tests about the
    server process itself (tests/e2e/test_server.py, test_readme.py, and test_operations.py's
    metrics, logs and shutdown tests).
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
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
