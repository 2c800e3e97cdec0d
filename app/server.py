"""The production server: gunicorn with gthread workers around the Flask app."""

from __future__ import annotations

import threading
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker

from app import create_app
from app.config import Config
from app.logs import ErrorsAccessLogger, JsonGunicornLogger, configure_logging
from app.service.services import Services
from app.workers import BalancedThreadWorker


def _child_exit(server: Arbiter, worker: Worker) -> None:
    """Keep a dead worker's counters but drop its live gauges from the metrics files."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class DrainingWorker(BalancedThreadWorker):
    """A gthread worker that reports not-ready first, then stops taking requests.

    On SIGTERM /readyz answers 503 at once while requests are still served for the drain
    period, so load balancers stop sending before the listener closes; then gunicorn's
    graceful shutdown finishes the in-flight requests.
    """

    def handle_exit(self, sig: int, frame: Any) -> None:
        app = getattr(self, "wsgi", None)
        services: Services | None = app.extensions.get("gateway") if app else None
        if services is None:
            super().handle_exit(sig, frame)
            return
        services.readiness.shutting_down = True
        drain = services.drain_seconds
        threading.Timer(drain, super().handle_exit, args=(sig, frame)).start()


def _import_for_workers() -> None:
    """Import in the master what every worker imports, before gunicorn forks them.

    A worker then starts without importing Flask, the Kubernetes client's API classes and
    models and the rest again (the bulk of a worker's start-up CPU) and shares those pages
    with the master, copy-on-write. Imports only: every connection, thread and
    metric is still made in the worker (load()), after the fork; the metrics directory is set
    before this runs.
    """
    import app.api.views  # noqa: F401
    from app import bootstrap

    bootstrap.preload()


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn configured from the gateway's Config, not from gunicorn's command line."""

    def __init__(self, config: Config, *, metrics_dir: str | None = None) -> None:
        self.config = config
        self.metrics_dir = metrics_dir
        super().__init__()
        _import_for_workers()

    def options(self) -> dict[str, Any]:
        """Return gunicorn settings derived from the configuration."""
        return {
            "bind": [self.config.bind],
            "workers": self.config.workers,
            "worker_class": DrainingWorker,
            "threads": self.config.threads,
            "timeout": 30,
            "graceful_timeout": int(self.config.graceful_timeout),
            "keepalive": 5,
            "max_requests": self.config.max_requests,
            "max_requests_jitter": self.config.max_requests // 10,
            "child_exit": _child_exit,
            "loglevel": self.config.log_level.lower(),
            "logger_class": ErrorsAccessLogger
            if self.config.access_log == "errors"
            else JsonGunicornLogger,
            "accesslog": None if self.config.access_log == "off" else "-",
            "proc_name": "kubernaut-gateway",
            # One shared control socket path would collide between instances; nothing uses it.
            "control_socket_disable": True,
        }

    def load_config(self) -> None:
        for key, value in self.options().items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Build the app in a worker and start its background loops."""
        configure_logging(self.config.log_level)
        app = create_app(self.config, metrics_dir=self.metrics_dir)
        services: Services = app.extensions["gateway"]
        for name, loop in services.loops().items():
            threading.Thread(
                target=loop.run, args=(threading.Event(),), name=name, daemon=True
            ).start()
        return app
