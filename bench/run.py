"""`make bench`: the real server under load, next to a bare-Flask ceiling.

    .venv/bin/python -m bench.run [--quick | --smoke] [--out .bench/results.json]

Starts its own Redis, the Kubernetes API test server and `kubernaut-gateway serve` (the chart's
worker settings), drives every scenario with wrk (8 connections, 2 threads), prints one table
with the targets next to the figures (not asserted), writes every figure as JSON, and stops
everything it started, also on Ctrl-C or failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import processes
from bench.figures import storm_figures, workload_figures
from bench.load import ensure_wrk
from bench.measure import BenchError, Measurer
from bench.memory import active_records, created_records, worker_rss
from bench.processes import Server
from bench.report import render
from bench.scenarios import (
    AUTH,
    CEILING,
    GATEWAY_SCENARIOS,
    MODES,
    WORKLOAD,
    WORKLOAD_DEPLOYMENTS,
    Mode,
    targets,
)
from bench.stack import Stack

DEFAULT_OUT = processes.ROOT / ".bench" / "results.json"


def measure_all(stack: Stack, mode: Mode) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run every scenario; return the scenarios' figures and the resource figures."""
    ensure_wrk()
    log(f"bench ({mode.name}): starting the ceiling and the gateway")
    measurer = Measurer(stack, mode)
    ceiling = stack.ceiling()
    gateway = stack.gateway("gateway")
    # A smoke run's figures mean nothing: its later servers start now, not one by one.
    later = (
        (stack.auth_gateway(), stack.workload_gateway(), stack.gateway("gateway-rss"))
        if mode.name == "smoke"
        else None
    )
    ceiling.wait_ready()
    gateway.wait_ready()

    log("bench: ceiling")
    measurer.ceiling_rps = measurer.measure(ceiling, CEILING, backend=False)["requests_per_s"]
    ceiling.stop()
    figures = _gateway_scenarios(measurer, gateway)
    gateway.stop()
    return measurer.scenarios, figures | _later_phases(measurer, later)


def _gateway_scenarios(measurer: Measurer, gateway: Server) -> dict[str, Any]:
    """Every gateway scenario, the create path's with what its records cost Redis."""
    figures: dict[str, Any] = {}
    for scenario in GATEWAY_SCENARIOS:
        log(f"bench: {scenario.title}")
        if scenario.key == "new_fingerprint":
            figures |= created_records(measurer, gateway, scenario)
            created_bytes = figures.get("redis_bytes_per_fingerprint")
            figures |= active_records(measurer, gateway, created_bytes=created_bytes)
        else:
            measurer.measure(gateway, scenario)
    threshold = measurer.stack.defaults.storms.pattern_threshold
    return figures | storm_figures(measurer.scenarios["storm"], pattern_threshold=threshold)


def _later_phases(
    measurer: Measurer, later: tuple[Server, Server, Server] | None
) -> dict[str, Any]:
    """The authenticated scenario, the workload one, then worker RSS on a fresh gateway."""
    stack = measurer.stack
    log(f"bench: {AUTH.title}")
    # Not beside the fresh gateway of the RSS phase: its workers' resource indexes list
    # every resource the scenarios created when it starts, which would load the machine.
    auth = later[0] if later else stack.auth_gateway()
    auth.wait_ready()
    measurer.measure(auth, AUTH)
    auth.stop()

    log(f"bench: {WORKLOAD.title}")
    workload = later[1] if later else stack.workload_gateway()
    workload.wait_ready()
    figures = workload_figures(measurer.measure(workload, WORKLOAD), workloads=WORKLOAD_DEPLOYMENTS)
    workload.stop()

    fresh = later[2] if later else stack.gateway("gateway-rss")
    fresh.wait_ready()
    log(f"bench: worker RSS over {2 * measurer.mode.rss_half:,} duplicate requests")
    return figures | worker_rss(measurer, fresh)


def machine() -> dict[str, Any]:
    """The machine the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        [ensure_wrk(), "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n", 1)[0]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk_version.strip(),
    }


def log(message: str) -> None:
    """Say what the bench does now, on stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


_interrupted: list[int] = []


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C reaches the whole process group: Redis and the servers may die first, so what
    # fails next is an interruption, not an error.
    _interrupted.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def _workspace() -> Iterator[tuple[Path, contextlib.ExitStack]]:
    state = Path(tempfile.mkdtemp(prefix="kgw-bench-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, state, ignore_errors=True)
        yield state, stack


def bench(mode: Mode) -> dict[str, Any]:
    """Run every scenario in `mode`; return all figures (the JSON document)."""
    started = time.monotonic()
    with _workspace() as (state, exits):
        stack = Stack(state, exits, workers=mode.workers)
        scenarios, figures = measure_all(stack, mode)
        redis_version = stack.redis.info("server")["redis_version"]
        results: dict[str, Any] = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": mode.name,
            "machine": machine() | {"redis": redis_version},
            "settings": {
                "workers": stack.workers,
                "threads": stack.defaults.threads,
                "worker_class": "gthread",
                "wrk_connections": mode.wrk_connections,
                "wrk_threads": mode.wrk_threads,
                "seconds_per_run": mode.seconds,
                "runs_per_scenario": mode.runs,
                "rss_requests": 2 * mode.rss_half,
            },
            "scenarios": scenarios,
            "figures": figures,
        }
    results["targets"] = targets(results["scenarios"], results["figures"])
    results["seconds"] = round(time.monotonic() - started, 1)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the bench, write its JSON, print its table; 1 when a scenario failed, 130 when
    interrupted."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="1 s and one run per scenario")
    speed.add_argument(
        "--smoke", action="store_true", help="a few seconds in all: proves the harness runs"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    options = parser.parse_args(argv)
    mode = MODES["smoke" if options.smoke else "quick" if options.quick else "full"]
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        results = bench(mode)
    except (KeyboardInterrupt, Exception) as error:
        if _interrupted:
            log("bench: interrupted; everything it started is stopped")
            return 130
        if not isinstance(error, BenchError):
            raise
        log(f"bench: {error}")
        return 1
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _print(results, mode=mode, out=options.out)
    return 0


def _print(results: dict[str, Any], *, mode: Mode, out: Path) -> None:
    """Print the heading, the table, and where every figure went."""
    m, settings = results["machine"], results["settings"]
    print(
        f"kubernaut-gateway bench ({mode.name}: {mode.seconds:g} s x {mode.runs} run(s), "
        f"wrk {mode.wrk_threads} threads x {mode.wrk_connections} connections; gunicorn "
        f"{settings['workers']} workers x {settings['threads']} threads) "
        f"on {m['nproc']} x {m['cpu_model']}, Python {m['python']}"
    )
    print(render(results))
    if mode.name != "full":
        print(
            f"({mode.name} mode: worker RSS after {2 * mode.rss_half:,} requests, "
            f"not 100,000; figures are indicative only)"
        )
    print(f"all figures: {out}")


if __name__ == "__main__":
    raise SystemExit(main())
