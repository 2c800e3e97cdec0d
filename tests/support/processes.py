"""Start the gateway's own commands as real processes and wait for them, with deadlines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from tests.support.waiting import eventually

# What makes coverage trace a Python subprocess (the test suite measures some of its own).
_COVERAGE_PREFIXES = ("COVERAGE_", "COV_CORE_")
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def untraced(environ: Mapping[str, str]) -> dict[str, str]:
    """Return `environ` without the variables that make coverage trace a Python subprocess."""
    return {k: v for k, v in environ.items() if not k.startswith(_COVERAGE_PREFIXES)}


class NotReady(RuntimeError):
    """A started gateway exited, or did not become ready in time."""


def wait_ready(url: str, process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """Poll /readyz until it answers 200; raise NotReady if the process exits or time runs out."""
    if not answers_ok(f"{url}/readyz", process, timeout=timeout):
        raise NotReady(f"exited with {process.returncode} before it was ready")


def answers_ok(url: str, process: subprocess.Popen[bytes], *, timeout: float) -> bool:
    """Poll `url` until it answers 200 (True) or `process` exits (False); raise NotReady when
    `timeout` s pass first."""

    def state() -> str | None:
        if process.poll() is not None:
            return "exited"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return "ok" if response.status == 200 else None
        except OSError:
            return None

    what = f"{url} answering 200"
    return eventually(state, within=timeout, what=what, every=0.05, error=NotReady) == "ok"


def ensure_tool(binary: str, script: str) -> str:
    """Return `binary`, running scripts/<script> first to install it when it is missing."""
    if os.access(binary, os.X_OK):
        return binary
    installer = SCRIPTS / script
    result = subprocess.run(
        [str(installer)], capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0 or not os.access(binary, os.X_OK):
        raise RuntimeError(
            f"{binary} is missing and {script} could not install it "
            f"(exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return binary


def stop_process(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """SIGTERM `process` and wait up to `timeout` s; SIGKILL it after that. Always reaps it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(
    args: list[str],
    *,
    env: Mapping[str, str],
    url: str,
    log: Path,
    traced: bool = False,
    module: str = "app",
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m <module> <args>` until the block ends; stop it with SIGTERM.

    Under `make test` coverage would trace the process and every gunicorn worker, which makes
    each of them several times slower. Only `traced` processes are measured: the tests about the
    server process itself (tests/e2e/test_server.py, test_readme.py, test_observability.py's
    metrics and access-log tests, and test_operations.py's shutdown test).
    """
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
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


class Running:
    """Something a test starts and stops; a with-block does both (`start()` on entering)."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
