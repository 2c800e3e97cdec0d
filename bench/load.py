"""Drive load with wrk and read its report (the BENCH-JSON line of bench/wrk/report.lua)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRK_DIR = Path(__file__).resolve().parent / "wrk"
ENSURE_WRK = Path(__file__).resolve().parents[1] / "scripts" / "ensure-wrk.sh"
CONNECTIONS = 8
THREADS = 2
# wrk's own duration is whole seconds; the harness ends a run itself with SIGINT (wrk then
# prints its normal report), so this is only the backstop.
_BACKSTOP_SECONDS = 900
_REPORT = "BENCH-JSON "
_LIMIT = "BENCH-LIMIT-REACHED"
# A webhook that creates 50 resources takes well under a second.
_POST_TIMEOUT = 30.0


class LoadError(RuntimeError):
    """wrk could not run or did not report."""


def ensure_wrk() -> str:
    """Return the wrk binary, installing it with scripts/ensure-wrk.sh when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run([str(ENSURE_WRK)], check=True)
    found = shutil.which("wrk")
    if not found:
        raise LoadError("wrk is still missing after scripts/ensure-wrk.sh")
    return found


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: what it sent, how fast, how long requests took."""

    requests: int
    seconds: float
    latency_us: dict[str, float]
    errors: dict[str, int]
    raw: dict[str, Any] = field(repr=False)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, p: str) -> float:
        return float(self.latency_us[p]) / 1000.0

    @property
    def failed(self) -> int:
        """Non-2xx/3xx answers plus socket errors and timeouts."""
        return sum(self.errors.values())


def run_wrk(
    url: str,
    script: str,
    args: list[str],
    *,
    seconds: float | None,
    threads: int = THREADS,
    connections: int = CONNECTIONS,
    limit_per_thread: int = 0,
    timeout: float = 600.0,
) -> WrkResult:
    """Run `wrk` with bench/wrk/<script> until `seconds` pass or every thread hit its limit.

    `limit_per_thread` is passed to the script as its last argument when non-zero (the scripts
    that support it stop a thread after that many responses).
    """
    wrk = ensure_wrk()
    script_args = [*args, str(limit_per_thread)] if limit_per_thread else args
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{_BACKSTOP_SECONDS}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(WRK_DIR / script),
        url,
        "--",
        *script_args,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    lines: list[str] = []
    all_limited = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        reached = 0
        for line in process.stdout:
            lines.append(line)
            if line.startswith(_LIMIT):
                reached += 1
                if reached >= threads:
                    all_limited.set()
        all_limited.set()

    reader = threading.Thread(target=read, name="wrk-reader", daemon=True)
    reader.start()
    try:
        all_limited.wait(seconds if seconds is not None else timeout)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        reader.join(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    for line in lines:
        if line.startswith(_REPORT):
            report: dict[str, Any] = json.loads(line[len(_REPORT) :])
            return WrkResult(
                requests=int(report["requests"]),
                seconds=float(report["duration_us"]) / 1e6,
                latency_us={k: float(v) for k, v in report["latency_us"]["percentiles"].items()},
                errors={k: int(v) for k, v in report["errors"].items()},
                raw=report,
            )
    output = "".join(lines)[-2000:]
    raise LoadError(f"wrk did not report (exit {process.returncode}): {stderr}{output}")


def bench_alert(alertname: str, namespace: str, pod: str) -> dict[str, Any]:
    """One firing Alertmanager alert, shaped as the wrk scripts' (report.lua's alert())."""
    return {
        "status": "firing",
        "labels": {
            "alertname": alertname,
            "namespace": namespace,
            "pod": pod,
            "severity": "warning",
        },
        "annotations": {"summary": "bench"},
    }


def post_webhook(url: str, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send one webhook of `alerts` outside wrk; return its results, in order."""
    body = {"version": "4", "receiver": "kubernaut", "status": "firing", "alerts": alerts}
    request = urllib.request.Request(  # noqa: S310 - the bench's own loopback server
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=_POST_TIMEOUT) as answer:  # noqa: S310
        results: list[dict[str, Any]] = json.load(answer)["results"]
    return results
