from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import free_port, running
from tests.support.redis_server import RedisServer
from tests.support.unmeasured import unmeasured


@dataclass(frozen=True)
class Gateway:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


GatewayFactory = Callable[..., AbstractContextManager[Gateway]]


@pytest.fixture(scope="module")
def start_gateway(
    standalone_redis: RedisServer,
    kubeconfig: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> GatewayFactory:
    """Start `kubernaut-gateway serve` (gunicorn, 2 workers) with extra environment.

    `traced=True` lets coverage measure the server (see tests/support/processes.py:running);
    `bind` is an address chosen beforehand (default: a free port now).
    """

    @contextmanager
    def start(*, traced: bool = False, bind: str = "", **overrides: str) -> Iterator[Gateway]:
        if traced and unmeasured(request.path):
            raise pytest.UsageError(f"{request.node.nodeid}: a traced gateway, unmeasured")
        workdir = tmp_path_factory.mktemp("gateway")
        bind = bind or f"127.0.0.1:{free_port()}"
        env: Mapping[str, str] = {
            "GATEWAY_BIND": bind,
            "GATEWAY_WORKERS": "2",
            "GATEWAY_DRAIN_SECONDS": "0",
            "GATEWAY_RATE_LIMIT": "0",
            "GATEWAY_AUTH_MODE": "none",
            "REDIS_URL": standalone_redis.url,
            "KUBECONFIG": str(kubeconfig),
            "GATEWAY_REDIS_KEY_PREFIX": f"e2e{uuid.uuid4().hex[:8]}:",
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
            **overrides,
        }
        url = f"http://{bind}"
        log = workdir / "gateway.log"
        with running(["serve"], env=env, url=url, log=log, traced=traced) as process:
            yield Gateway(process, url, log)

    return start


@pytest.fixture(scope="module")
def gateway(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    """This module's gateway, with default settings."""
    with start_gateway() as started:
        yield started


@pytest.fixture(scope="module")
def gateway_url(gateway: Gateway) -> str:
    """The address of this module's gateway."""
    return gateway.url
