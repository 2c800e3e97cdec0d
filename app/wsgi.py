"""Entry points: the only module that reads the environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Config

if TYPE_CHECKING:
    from flask import Flask

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def config_from_environ() -> Config:
    """Build the configuration from GATEWAY_CONFIG and the environment."""
    return Config.from_environ(os.environ)


def application_from_environ() -> Flask:
    """Build the app from the environment (for any WSGI server)."""
    from app import create_app

    return create_app(config_from_environ(), metrics_dir=metrics_dir())


def metrics_dir() -> str | None:
    """Return where gunicorn's workers write their metric values, if they do (multiprocess)."""
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_metrics_dir() -> Path:
    """Empty (or create) the metrics multiprocess directory; must run before prometheus loads."""
    configured = os.environ.get(MULTIPROC_ENV)
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="kgw-metrics-"))
    if path.exists():
        for entry in path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def serve() -> int:
    """Run the production server until it is told to stop."""
    from app import bootstrap

    config = config_from_environ()
    bootstrap.check(config)
    directory = prepare_metrics_dir()
    from app.logs import configure_logging
    from app.server import GunicornServer

    configure_logging(config.log_level)
    GunicornServer(config, metrics_dir=str(directory)).run()
    return 0
