"""Run a scenario with wrk against a server, and count what it costs Redis (command calls, and
round trips by MONITOR) and the Kubernetes API (the test server's request log)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bench.figures import run_figures, summary
from bench.load import WrkResult, run_wrk
from bench.processes import Server
from bench.redis_probe import Monitor, command_calls
from bench.scenarios import PATH, Mode, Scenario
from bench.stack import Stack


class BenchError(RuntimeError):
    """A scenario could not be measured (the server failed, or answered errors)."""


class Measurer:
    """Measure scenarios on one stack, `mode.runs` runs each, keeping every scenario's figures;
    a gateway scenario's req/s are read against the ceiling's, once that is measured."""

    def __init__(self, stack: Stack, mode: Mode) -> None:
        self.stack = stack
        self.mode = mode
        self.ceiling_rps: float | None = None
        self.scenarios: dict[str, dict[str, Any]] = {}

    def wrk(self, server: Server, scenario: Scenario, tag: str, *, seconds: float) -> WrkResult:
        """Drive the scenario at `server` for `seconds` (the mode's threads and connections)."""
        return run_wrk(
            server.url + PATH,
            scenario.script,
            scenario.args(tag),
            seconds=seconds,
            threads=self.mode.wrk_threads,
            connections=self.mode.wrk_connections,
        )

    def prime(self, server: Server, scenario: Scenario, tag: str) -> None:
        """Send the scenario's webhook once (1 connection, 1 request): what it creates repeats."""
        assert scenario.prime is not None
        result = run_wrk(
            server.url + PATH,
            scenario.script,
            scenario.prime(tag),
            seconds=30,
            threads=1,
            connections=1,
            limit_per_thread=1,
        )
        if result.failed or result.requests < 1:
            raise BenchError(f"{scenario.key}: priming failed {result.errors}\n{server.tail()}")

    def measure(
        self,
        server: Server,
        scenario: Scenario,
        *,
        backend: bool = True,
        after_runs: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Run the scenario `mode.runs` times; return its figures (medians) and every run's.

        `after_runs` is called after the measured runs, before the extra MONITOR run.
        """
        server.truncate_log()
        base_tag = f"{scenario.key.replace('_', '')}{uuid.uuid4().hex[:6]}"
        if scenario.prime is not None:
            self.prime(server, scenario, base_tag)
        runs = [
            self._run(
                server,
                scenario,
                tag=f"{base_tag}r{n}" if scenario.fresh_tag else base_tag,
                backend=backend,
            )
            for n in range(self.mode.runs)
        ]
        figures = summary(scenario, runs, backend=backend, ceiling_rps=self.ceiling_rps)
        if after_runs is not None:
            after_runs()
        if backend:
            figures["redis_round_trips_per_request"] = self._round_trips(server, scenario, base_tag)
        self.scenarios[scenario.key] = figures
        return figures

    def _run(
        self, server: Server, scenario: Scenario, *, tag: str, backend: bool
    ) -> dict[str, Any]:
        """One measured run: wrk's figures, and the Redis commands and API calls it made."""
        redis_before = command_calls(self.stack.redis) if backend else 0
        kube_before = len(self.stack.kube.requests)
        result = self.wrk(server, scenario, tag, seconds=self.mode.seconds)
        redis_after = command_calls(self.stack.redis) if backend else 0
        calls = self.stack.kube.requests[kube_before:]
        if result.failed:
            raise BenchError(
                f"{scenario.key}: {result.failed} failed requests {result.errors}\n{server.tail()}"
            )
        # The second snapshot counts the first one's INFO: not a call of the run.
        redis_calls = redis_after - redis_before - 1
        return run_figures(scenario, result, redis_calls=redis_calls, kube_calls=calls)

    def _round_trips(self, server: Server, scenario: Scenario, base_tag: str) -> float:
        """Commands clients send per request (MONITOR, not Lua's), in a short extra run."""
        tag = f"{base_tag}m" if scenario.fresh_tag else base_tag
        monitor = Monitor("127.0.0.1", self.stack.redis_server.port)
        try:
            result = self.wrk(server, scenario, tag, seconds=self.mode.monitor_seconds)
        finally:
            monitor.stop()
        return monitor.client_commands / max(result.requests, 1)
