from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.sandbox.redis_server import RedisServer
from tests.support.processes import free_port, running


@dataclass(frozen=True)
class Gateway:
    process: subprocess.Popen[bytes]
    url: str


@pytest.fixture(scope="module")
def gateway(
    standalone_redis: RedisServer, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """Run `kubernaut-gateway serve` (gunicorn, 2 workers) for this module's tests."""
    workdir = tmp_path_factory.mktemp("gateway")
    bind = f"127.0.0.1:{free_port()}"
    env = {
        "GATEWAY_BIND": bind,
        "GATEWAY_WORKERS": "2",
        "GATEWAY_DRAIN_SECONDS": "0",
        "GATEWAY_AUTH_MODE": "none",
        "REDIS_URL": standalone_redis.url,
        "KUBECONFIG": str(kubeconfig),
        "GATEWAY_REDIS_KEY_PREFIX": f"e2e{uuid.uuid4().hex[:8]}:",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }
    url = f"http://{bind}"
    with running(["serve"], env=env, url=url, log=workdir / "gateway.log") as process:
        yield Gateway(process, url)


@pytest.fixture(scope="module")
def gateway_url(gateway: Gateway) -> str:
    """The address of this module's gateway."""
    return gateway.url
