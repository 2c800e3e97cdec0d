"""A scrape target for Prometheus that serves one gauge whose labels and value a test sets."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_http import LocalHttp


class GaugeTarget(LocalHttp):
    """Serve `<name>{labels} value` at /metrics until the block ends; nothing until set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._sample = ""
        super().__init__(self._handler())

    def set(self, value: float, **labels: str) -> None:
        """Serve the gauge with these labels and this value from the next scrape on."""
        pairs = ",".join(f'{key}="{label}"' for key, label in sorted(labels.items()))
        with self._lock:
            self._sample = f"{self.name}{{{pairs}}} {value}\n"

    def _exposition(self) -> bytes:
        with self._lock:
            return f"# TYPE {self.name} gauge\n{self._sample}".encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = target._exposition()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
