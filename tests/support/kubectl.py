"""Run the real kubectl against the Kubernetes API test server, and read what it prints.

`kubectl` is Debian's kubernetes-client (`scripts/ensure-kubectl.sh` installs it when missing);
`KUBECTL_BIN` may name another one. Each run gets its own HOME, so kubectl's discovery cache
stays in the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path
from types import TracebackType

from tests.support.processes import ensure_tool

BINARY = os.environ.get("KUBECTL_BIN", "/usr/bin/kubectl")
TIMEOUT = 30.0


def ensure_installed() -> str:
    """Return kubectl's path, installing the package first when it is missing."""
    return ensure_tool(BINARY, "ensure-kubectl.sh")


def environ(home: Path) -> dict[str, str]:
    """Return the environment for kubectl: this one, with HOME at `home` and no KUBECONFIG."""
    home.mkdir(parents=True, exist_ok=True)
    kept = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return {**kept, "HOME": str(home)}


def kubectl(*args: str, kubeconfig: Path, home: Path) -> str:
    """Run `kubectl --kubeconfig <kubeconfig> <args>`; return its output, failing on an error."""
    result = subprocess.run(
        [ensure_installed(), "--kubeconfig", str(kubeconfig), *args],
        env=environ(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


def parse_table(text: str) -> list[dict[str, str]]:
    """Read kubectl's table output into one dict per row, keyed by header.

    Columns are cut where their headers start: a cell may be empty (kubectl prints nothing for
    a value the column's path does not find), so splitting on spaces would shift the others.
    """
    header, *rows = [line for line in text.splitlines() if line.strip()]
    # A header is words with single spaces between them; kubectl pads columns with three.
    found = list(re.finditer(r"\S+(?: \S+)*", header))
    starts = [match.start() for match in found]
    names = [match.group() for match in found]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    return [
        {name: row[start:end].strip() for name, (start, end) in zip(names, bounds, strict=True)}
        for row in rows
    ]


class KubectlWatch:
    """`kubectl <args>` left running (e.g. `get -w`), its output lines collected as they come."""

    def __init__(self, *args: str, kubeconfig: Path, home: Path) -> None:
        self._process = subprocess.Popen(
            [ensure_installed(), "--kubeconfig", str(kubeconfig), *args],
            env=environ(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    @property
    def lines(self) -> list[str]:
        """Return what kubectl printed so far, line by line."""
        with self._lock:
            return list(self._lines)

    @property
    def running(self) -> bool:
        """Return whether kubectl is still running."""
        return self._process.poll() is None

    def stop(self) -> None:
        """Stop kubectl (SIGTERM, then SIGKILL) and wait for its last output."""
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=10)

    def __enter__(self) -> KubectlWatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
