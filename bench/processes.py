"""The servers under test as subprocesses: started, awaited, measured and always stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from app.config import Config
from app.wsgi import MULTIPROC_ENV
from tests.support.metrics import worker_gauges
from tests.support.processes import NotReady, stop_process, untraced, wait_ready

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0
# Settings of the surrounding environment that must not leak into the servers under test.
_OWN_VARIABLES = ("REDIS_URL", "KUBECONFIG", "PROMETHEUS_MULTIPROC_DIR")


class ServerError(RuntimeError):
    """A server under test did not start, or died."""


def clean_environ() -> dict[str, str]:
    """Return this process's environment without gateway or coverage settings.

    A server traced by coverage runs several times slower: a benchmark never inherits it.
    """
    return {
        key: value
        for key, value in untraced(os.environ).items()
        if not key.startswith("GATEWAY_") and key not in _OWN_VARIABLES
    }


# Whether each of these workers (pids) serves.
Serving = Callable[[list[int]], bool]


class Server:
    """One server process (the gateway or the ceiling) on a loopback port, logging to a file:
    a gunicorn master with `workers` workers, each of which `serving` tells apart."""

    def __init__(
        self,
        name: str,
        args: list[str],
        *,
        env: Mapping[str, str],
        port: int,
        log: Path,
        workers: int,
        serving: Serving,
    ) -> None:
        self.name = name
        self.args = args
        self.env = dict(env)
        self.port = port
        self.log = log
        self.workers = workers
        self.serving = serving
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServerError(f"{self.name} is not running")
        return self.process.pid

    def start(self) -> Server:
        """Spawn the process; call wait_ready() before sending load."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        # Append mode: truncate_log() may empty the file while the server writes to it.
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.args,
                env={**self.env, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until every worker serves; fail early, with the log's tail, if the process exits.

        /readyz answers once one worker serves. wrk opens its connections when a run starts
        and each stays with the worker that accepted it: a worker still starting then would
        get none of them for the whole run, which would measure one worker of two.
        """
        process = self.process
        if process is None:
            raise ServerError(f"{self.name} was not started")
        deadline = time.monotonic() + timeout
        try:
            wait_ready(self.url, process, timeout=timeout)
        except NotReady as exc:
            raise ServerError(f"{self.name} {exc}\n{self.tail()}") from exc
        while time.monotonic() < deadline and process.poll() is None:
            pids = self.worker_pids()
            if len(pids) == self.workers and self.serving(pids):
                return
            time.sleep(0.05)
        state = "exited" if process.poll() is not None else f"not all {self.workers} workers serve"
        raise ServerError(f"{self.name} {state}\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def truncate_log(self) -> None:
        """Empty the log (it only needs to explain the current scenario)."""
        if self.log.exists():
            os.truncate(self.log, 0)

    def stop(self) -> None:
        """SIGTERM and wait (gunicorn stops its workers gracefully); SIGKILL after a timeout."""
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, timeout=_STOP_TIMEOUT)

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers: the children of the master process."""
        return child_pids(self.pid)


def child_pids(parent: int) -> list[int]:
    """Return the pids of the processes whose parent is `parent`, read from /proc."""
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                if int(line.split()[1]) == parent:
                    children.append(int(entry.name))
                break
    return sorted(children)


def rss_kib(pid: int) -> int:
    """Return the resident set size of `pid` (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ServerError(f"no VmRSS for pid {pid}")


def index_synced(metrics_dir: Path) -> Serving:
    """A gateway worker serves the steady state once its resource index has listed every
    resource (its own gauge says so): not while it lists those the earlier scenarios made."""

    def serving(pids: list[int]) -> bool:
        synced = worker_gauges(metrics_dir, "gateway_resource_index_synced", pids)
        return all(value == 1 for value in synced.values())

    return serving


def answered_readyz(url: str) -> Serving:
    """A ceiling worker serves once it has answered /readyz (which names it) itself."""
    seen: set[int] = set()

    def serving(pids: list[int]) -> bool:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as answer:  # noqa: S310
            seen.add(int(json.load(answer)["pid"]))
        return set(pids) <= seen

    return serving


def gateway(
    name: str, *, port: int, state: Path, redis_url: str, kubeconfig: Path, **settings: str
) -> Server:
    """Return `kubernaut-gateway serve` configured like the chart's defaults, for the bench."""
    metrics_dir = state / f"{name}-metrics"
    env = {
        **clean_environ(),
        "GATEWAY_BIND": f"127.0.0.1:{port}",
        "GATEWAY_WORKERS": str(Config().workers),  # the chart's default, as the ceiling
        "GATEWAY_AUTH_MODE": "none",
        # Rate limiting on, as by default, at a rate wrk never reaches: every request takes
        # its token, and the figures are those of the default code path.
        "GATEWAY_RATE_LIMIT": "1000000",
        "GATEWAY_RATE_LIMIT_BURST": "1000000",
        "GATEWAY_DRAIN_SECONDS": "0",
        "REDIS_URL": redis_url,
        "KUBECONFIG": str(kubeconfig),
        MULTIPROC_ENV: str(metrics_dir),
        **settings,
    }
    return Server(
        name,
        [sys.executable, "-m", "app", "serve"],
        env=env,
        port=port,
        log=state / f"{name}.log",
        workers=int(env["GATEWAY_WORKERS"]),
        serving=index_synced(metrics_dir),
    )


def ceiling(*, port: int, state: Path, workers: int, threads: int) -> Server:
    """Return the bare Flask endpoint under the gateway's gunicorn settings."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.ceiling:app",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        # The gateway's worker class (gthread, sharing connections between workers).
        "--worker-class",
        "app.workers.BalancedThreadWorker",
        "--threads",
        str(threads),
        "--timeout",
        "30",
        "--keep-alive",
        "5",
    ]
    return Server(
        "ceiling",
        args,
        env=clean_environ(),
        port=port,
        log=state / "ceiling.log",
        workers=workers,
        serving=answered_readyz(f"http://127.0.0.1:{port}"),
    )
