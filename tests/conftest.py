"""Shared fixtures: one real Redis and one Kubernetes API test server per test process.

Each test owns its namespaces (unique names), its Redis keys (a unique key prefix) and
its fingerprints (derived from those names), so tests never see each other's state.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.adapters.rr_index import ResourceIndex
from app.config import Config
from app.service.services import Services
from tests.support.cluster import RealCluster
from tests.support.kubeapi import KubeApiServer
from tests.support.redis_cluster import RedisClusterServer
from tests.support.redis_server import RedisServer
from tests.support.sandbox import chart_crds
from tests.support.unmeasured import UNMEASURED, unmeasured
from tests.support.waiting import eventually


@pytest.fixture(scope="session")
def standalone_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for this test process."""
    with RedisServer(workdir=tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServer]:
    """A real 3-master Redis Cluster for this test process, started when first asked for."""
    with RedisClusterServer(workdir=tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone: one it may kill, pause, flush or measure."""
    with RedisServer(workdir=tmp_path / "redis") as server:
        yield server


@pytest.fixture
def redis_server(standalone_redis: RedisServer) -> RedisServer | RedisClusterServer:
    """The Redis a test's gateway uses; suites override it to run on every topology."""
    return standalone_redis


@pytest.fixture(params=["standalone", "cluster"])
def any_topology_redis(request: pytest.FixtureRequest) -> RedisServer | RedisClusterServer:
    """Standalone Redis, then a 3-master Cluster: the same test runs on both."""
    name = "standalone_redis" if request.param == "standalone" else "redis_cluster"
    server: RedisServer | RedisClusterServer = request.getfixturevalue(name)
    return server


@pytest.fixture(scope="session")
def kube_api() -> Iterator[KubeApiServer | RealCluster]:
    """The Kubernetes API test server, or a real cluster when opted in (see the README)."""
    if os.environ.get("KUBERNAUT_REAL_CLUSTER") == "1":
        cluster = RealCluster(Path(os.environ["KUBECONFIG"]))
        yield cluster
        cluster.cleanup()
        return
    with KubeApiServer(crd_paths=chart_crds()) as server:
        yield server


@pytest.fixture(scope="session")
def kubeconfig(
    kube_api: KubeApiServer | RealCluster, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return kube_api.write_kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")


@pytest.fixture(autouse=True)
def _no_faults_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "kube_api" in request.fixturenames:
        request.getfixturevalue("kube_api").clear_faults()


NamespaceFactory = Callable[..., str]


@pytest.fixture
def make_namespace(kube_api: KubeApiServer | RealCluster) -> NamespaceFactory:
    """Create namespaces with names no other test uses."""

    def make(prefix: str = "ns", **labels: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        kube_api.add_namespace(name, labels={k.replace("__", "/"): v for k, v in labels.items()})
        return name

    return make


@pytest.fixture
def key_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def gateway_config(
    redis_server: RedisServer | RedisClusterServer, kubeconfig: Path, key_prefix: str
) -> Config:
    return Config.build(
        {
            "redis_url": redis_server.url,
            "kubeconfig": str(kubeconfig),
            "redis_key_prefix": key_prefix,
            "auth_mode": "none",
            "kubernetes_retry_budget": 3.0,
            # Bursts from one test client would hit the limit; its own tests turn it on.
            "rate_limit": 0,
        }
    )


ClientFactory = Callable[..., FlaskClient]


@pytest.fixture
def make_client(gateway_config: Config) -> ClientFactory:
    """Build the real app (real Redis, real Kubernetes client) with config overrides."""

    def make(**overrides: Any) -> FlaskClient:
        return create_app(dataclasses.replace(gateway_config, **overrides)).test_client()

    return make


@pytest.fixture
def client(make_client: ClientFactory) -> FlaskClient:
    return make_client()


@pytest.fixture
def indexed(make_client) -> Iterator[Callable[..., FlaskClient]]:
    """Build apps whose resource index follows the API, as each gunicorn worker's does."""
    stops: list[threading.Event] = []

    def make(**overrides: Any) -> FlaskClient:
        client: FlaskClient = make_client(**overrides)
        services: Services = client.application.extensions["gateway"]
        index = services.index
        assert isinstance(index, ResourceIndex)
        stop = threading.Event()
        threading.Thread(target=index.run, args=(stop,), daemon=True).start()
        stops.append(stop)
        eventually(lambda: index.synced, within=10, what="the index follows the API")
        return client

    yield make
    for stop in stops:
        stop.set()


# The modules that take longest (real servers, timers), slowest first, start first: with
# --no-loadscope-reorder each xdist worker takes the next module as it frees up, so a slow
# module left to the end would run alone while the other workers wait.
SLOW_FIRST = (
    "e2e/test_prometheus.py",
    "e2e/test_alertmanager.py",
    "integration/test_bench_smoke.py",
    "e2e/test_operations.py",
    "integration/test_lifecycle.py",
    "integration/test_storms.py",
    "e2e/test_storms.py",
    "e2e/test_security.py",
    "integration/test_hostile_input.py",
    "integration/test_index_faults.py",
    "e2e/test_readme.py",
    "integration/test_resource_index.py",
    "e2e/test_concurrency.py",
    "e2e/test_observability.py",
    "e2e/test_server.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the slow modules first, slowest first (each module's tests stay together and in
    order), and mark the unmeasured ones `no_cover`."""
    root = Path(__file__).parent
    named = [path for path in (*SLOW_FIRST, *UNMEASURED) if not (root / path).exists()]
    if named:
        raise pytest.UsageError(f"tests/conftest.py names what is not there: {named}")
    rank = {path: n for n, path in enumerate(SLOW_FIRST)}

    def slow_first(item: pytest.Item) -> int:
        return rank.get(item.path.relative_to(root).as_posix(), len(SLOW_FIRST))

    items.sort(key=slow_first)
    for item in items:
        if unmeasured(item.path):
            item.add_marker(pytest.mark.no_cover)
