"""Run the real Prometheus and promtool (Debian's `prometheus`) for the rule and pipeline tests.

`Prometheus` starts the server on a free loopback port with its own storage directory and the
configuration a test gives it, waits for `/-/ready`, answers PromQL through the HTTP API and
stops with SIGTERM. `promtool` runs the rule checks and unit tests.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.processes import NotReady, answers_ok, ensure_tool, free_port, stop_process

BINARY = os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus")
PROMTOOL = os.environ.get("PROMTOOL_BIN", "/usr/bin/promtool")


def ensure_installed(binary: str) -> str:
    """Return `binary` (prometheus or promtool), installing the package first when it is missing."""
    return ensure_tool(binary, "ensure-prometheus.sh")


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run promtool with `args`; return what it did (it is not checked here)."""
    command = [ensure_installed(PROMTOOL), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=cwd)


def write_rules(prometheus_rule: Mapping[str, Any], path: Path) -> Path:
    """Write a PrometheusRule's spec.groups as a Prometheus rule file; return its path."""
    path.write_text(yaml.safe_dump({"groups": prometheus_rule["spec"]["groups"]}, sort_keys=False))
    return path


def fast_config(
    *, rules: list[Path], alertmanager: str, jobs: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Return a configuration that scrapes and evaluates every second, loads `rules` and sends
    alerts to `alertmanager` (host:port); `jobs` maps each job's name to its static config."""
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(path) for path in rules],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [
            {"job_name": name, "static_configs": [dict(static)]} for name, static in jobs.items()
        ],
    }


class Prometheus:
    """One real Prometheus server on a free loopback port; use it as a context manager."""

    def __init__(self, config: Mapping[str, Any], workdir: Path, *, timeout: float = 20.0) -> None:
        self.workdir = workdir
        self.config_path = workdir / "prometheus.yml"
        self.log_path = workdir / "prometheus.log"
        self.timeout = timeout
        self.config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Prometheus:
        binary = ensure_installed(BINARY)
        # A free port can be taken between probing and binding: try a few.
        for _ in range(3):
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [
                        binary,
                        f"--config.file={self.config_path}",
                        f"--storage.tsdb.path={self.workdir / f'data-{self.port}'}",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                        # Resend firing alerts every second, not every minute.
                        "--rules.alert.resend-delay=1s",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            if self._ready():
                return self
        raise AssertionError(f"Prometheus did not start:\n{self.log_tail()}")

    def __exit__(self, *exc_info: object) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, timeout=10)

    def _ready(self) -> bool:
        """Wait for /-/ready: True once it answers, False if the process exits first."""
        assert self.process is not None
        try:
            return answers_ok(f"{self.url}/-/ready", self.process, timeout=self.timeout)
        except NotReady as exc:
            self.__exit__()
            raise AssertionError(f"Prometheus {exc}:\n{self.log_tail()}") from None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; return its data, or fail with Prometheus' error."""
        answer = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10).json()
        if answer.get("status") != "success":
            raise AssertionError(
                f"{path} {params}: {answer.get('errorType')}: {answer.get('error')}"
            )
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Evaluate an instant query now; return its result (a vector's samples, or [])."""
        data = self.api("query", query=expr)
        result: list[dict[str, Any]] = data["result"] if data["resultType"] == "vector" else []
        return result
