"""Run the real Alertmanager binary for end-to-end tests, and watch what it delivers.

`Alertmanager` starts `prometheus-alertmanager` (Debian's package; `scripts/ensure-alertmanager.sh`
installs it) on a free loopback port with clustering off and its own storage directory, waits
for `/-/ready`, and stops it with SIGTERM. `WebhookRecorder` sits between Alertmanager and the
gateway: it forwards every notification unchanged and records the gateway's answer, so tests
can see what Alertmanager sent, when, and what it was told.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.local_http import LocalHttp
from tests.support.processes import NotReady, answers_ok, ensure_tool, free_port, stop_process

BINARY = os.environ.get("ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager")

# Fast notifications for tests. Alertmanager 0.25 only rejects zero group_interval and
# repeat_interval (any positive duration is accepted); a flush happens every group_interval, and
# a repeat is sent on the first flush at least repeat_interval after the last successful one,
# so repeat_interval below group_interval means "repeat on every flush".
GROUP_WAIT = "100ms"
GROUP_INTERVAL = "1s"
REPEAT_INTERVAL = "500ms"


def ensure_installed() -> str:
    """Return the binary's path, installing the package first when it is missing."""
    return ensure_tool(BINARY, "ensure-alertmanager.sh")


def webhook_receiver(name: str, url: str, *, token: str = "") -> dict[str, Any]:
    """Return one receiver that posts every alert of a group (max_alerts 0) to `url`, with
    `token` as its bearer token when one is given."""
    webhook: dict[str, Any] = {"url": url, "send_resolved": True, "max_alerts": 0}
    if token:
        webhook["http_config"] = {"authorization": {"credentials": token}}
    return {"name": name, "webhook_configs": [webhook]}


def routing_config(
    default_url: str,
    *,
    routes: Mapping[str, str] | None = None,
    group_by: Sequence[str] = ("alertname", "namespace"),
) -> str:
    """Return an Alertmanager configuration with fast intervals.

    Alerts go to `default_url`, except those matching a key of `routes` (a matcher such as
    `gateway="fast"`), which go to that key's URL.
    """
    receivers = [webhook_receiver("default", default_url)]
    children = []
    for index, (matcher, url) in enumerate((routes or {}).items()):
        name = f"route-{index}"
        receivers.append(webhook_receiver(name, url))
        children.append({"receiver": name, "matchers": [matcher]})
    config = {
        "route": {
            "receiver": "default",
            "group_by": list(group_by),
            "group_wait": GROUP_WAIT,
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": REPEAT_INTERVAL,
            "routes": children,
        },
        "receivers": receivers,
    }
    return yaml.safe_dump(config, sort_keys=False)


def rfc3339(moment: datetime) -> str:
    """Format a time the way Alertmanager's API accepts it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def firing(alertname: str, **labels: str) -> dict[str, Any]:
    """Return an alert for Alertmanager's API: firing from now (startsAt left to Alertmanager)."""
    return {
        "labels": {"alertname": alertname, "severity": "critical", **labels},
        "annotations": {"summary": f"{alertname} is firing"},
        "generatorURL": "http://prometheus.test/graph",
    }


def resolved(alert: Mapping[str, Any], *, ago: float = 1.0) -> dict[str, Any]:
    """Return `alert` resolved `ago` seconds in the past (same labels, so the same alert)."""
    now = datetime.now(UTC)
    return {
        **alert,
        "startsAt": rfc3339(now - timedelta(minutes=5)),
        "endsAt": rfc3339(now - timedelta(seconds=ago)),
    }


class Alertmanager:
    """One real Alertmanager process on a free loopback port; use it as a context manager."""

    def __init__(self, config_yaml: str, workdir: Path, *, start_timeout: float = 20.0) -> None:
        self.workdir = workdir
        self.config_path = workdir / "alertmanager.yml"
        self.log_path = workdir / "alertmanager.log"
        self.start_timeout = start_timeout
        self.config_path.write_text(config_yaml)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Alertmanager:
        binary = ensure_installed()
        # A free port can be taken between probing and binding: try a few.
        for _ in range(3):
            self.port = free_port()
            storage = self.workdir / f"data-{self.port}"
            storage.mkdir()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [
                        binary,
                        f"--config.file={self.config_path}",
                        f"--storage.path={storage}",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                        "--cluster.listen-address=",
                        "--log.level=debug",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            if self._wait_ready():
                return self
        raise AssertionError(f"Alertmanager did not start:\n{self.log_tail()}")

    def _wait_ready(self) -> bool:
        """Wait for /-/ready: True once it answers, False if the process exits first."""
        assert self.process is not None
        try:
            return answers_ok(f"{self.url}/-/ready", self.process, timeout=self.start_timeout)
        except NotReady as exc:
            self.stop()
            raise AssertionError(f"Alertmanager {exc}:\n{self.log_tail()}") from None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, timeout=10)

    def __enter__(self) -> Alertmanager:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def post_alerts(self, alerts: Iterable[Mapping[str, Any]]) -> None:
        """Send alerts the way Prometheus does: POST /api/v2/alerts."""
        response = requests.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=5)
        assert response.status_code == 200, response.text


@dataclass(frozen=True)
class Delivery:
    """One notification Alertmanager sent, and what the gateway answered."""

    at: float
    payload: dict[str, Any]
    status: int
    answer: dict[str, Any]

    @property
    def group_labels(self) -> dict[str, str]:
        labels: dict[str, str] = self.payload.get("groupLabels", {})
        return labels

    @property
    def results(self) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.answer.get("results", [])
        return results


class WebhookRecorder(LocalHttp):
    """A forwarding HTTP server: Alertmanager -> recorder -> gateway, recording each answer."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        super().__init__(self._handler())

    def deliveries(self, **group_labels: str) -> list[Delivery]:
        """Return the deliveries of the group with these labels, oldest first."""
        with self._lock:
            found = list(self._deliveries)
        return [
            d
            for d in found
            if all(d.group_labels.get(key) == value for key, value in group_labels.items())
        ]

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                if "Authorization" in self.headers:  # a receiver's bearer token
                    headers["Authorization"] = self.headers["Authorization"]
                try:
                    answer = requests.post(
                        f"{recorder.upstream}{self.path}", data=body, headers=headers, timeout=30
                    )
                except requests.RequestException as exc:
                    self.send_error(502, f"upstream: {exc}")
                    return
                try:
                    parsed = answer.json()
                except ValueError:
                    parsed = {"text": answer.text}
                recorder._record(
                    Delivery(time.monotonic(), json.loads(body), answer.status_code, parsed)
                )
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Retry-After"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
