"""What one bench run starts: Redis, the Kubernetes API test server and the servers under test,
each stopped by the run's exit stack, on success, failure or Ctrl-C."""

from __future__ import annotations

import contextlib
from pathlib import Path

import redis

from app.config import Config
from bench import processes
from bench.processes import Server
from bench.scenarios import AUTH_NAMESPACE, AUTH_TOKEN, WORKLOAD_DEPLOYMENTS, WORKLOAD_PODS
from tests.support.kubeapi import KubeApiServer, TokenIdentity
from tests.support.kubeapi.builtins import owner_reference
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer
from tests.support.sandbox import NAMESPACES, chart_crds


class Stack:
    """The servers of one run; `defaults` are the settings the gateway runs with."""

    def __init__(
        self, state: Path, exits: contextlib.ExitStack, *, workers: int | None = None
    ) -> None:
        self.state = state
        self._exits = exits
        self.defaults = Config()
        self.workers = workers or self.defaults.workers
        self.redis_server = RedisServer(workdir=state / "redis").start()
        exits.callback(self.redis_server.stop)
        self.redis: redis.Redis = self.redis_server.client()
        self.kube = self._kube_api()
        self.kubeconfig = self.kube.write_kubeconfig(state / "kubeconfig")

    def _kube_api(self) -> KubeApiServer:
        """The API test server with the chart's CRD, the sandbox's namespaces and the token
        of the authenticated scenario's sender."""
        kube = KubeApiServer(crd_paths=chart_crds()).start()
        self._exits.callback(kube.stop)
        for name, labels in NAMESPACES.items():
            kube.add_namespace(name, labels=labels)
        allowed = ("create", "remediation.kubernaut.io", "remediationrequests", AUTH_NAMESPACE)
        kube.add_token(
            AUTH_TOKEN,
            TokenIdentity(
                username="system:serviceaccount:monitoring:alertmanager-main",
                allowed=frozenset({allowed}),
            ),
        )
        seed_workloads(kube)
        return kube

    def start(self, server: Server) -> Server:
        """Start a server, to be stopped with the run."""
        self._exits.callback(server.stop)
        return server.start()

    def gateway(self, name: str, **settings: str) -> Server:
        """Start `kubernaut-gateway serve` on this Redis and API server, with extra settings."""
        return self.start(
            processes.gateway(
                name,
                port=free_port(),
                state=self.state,
                redis_url=self.redis_server.url,
                kubeconfig=self.kubeconfig,
                **{"GATEWAY_WORKERS": str(self.workers), **settings},
            )
        )

    def auth_gateway(self) -> Server:
        """Start a gateway that authenticates its senders."""
        return self.gateway(
            "gateway-auth", GATEWAY_AUTH_MODE="kubernetes", GATEWAY_AUTH_NAMESPACE=AUTH_NAMESPACE
        )

    def workload_gateway(self) -> Server:
        """Start a gateway in identity.mode workload."""
        return self.gateway("gateway-workload", GATEWAY_IDENTITY_MODE="workload")

    def ceiling(self) -> Server:
        """Start the bare-Flask ceiling under the gateway's gunicorn settings."""
        return self.start(
            processes.ceiling(
                port=free_port(),
                state=self.state,
                workers=self.workers,
                threads=self.defaults.threads,
            )
        )


def seed_workloads(kube: KubeApiServer) -> None:
    """Add the workload scenario's Deployments: bench-d<k>, its ReplicaSet bench-d<k>-rs and
    that ReplicaSet's pods bench-d<k>-rs-<i>, in production."""
    for k in range(WORKLOAD_DEPLOYMENTS):
        deployment = kube.add_object("Deployment", f"bench-d{k}", namespace="production")
        replica_set = kube.add_object(
            "ReplicaSet",
            f"bench-d{k}-rs",
            namespace="production",
            owners=[owner_reference(deployment)],
        )
        for i in range(WORKLOAD_PODS):
            kube.add_object(
                "Pod",
                f"bench-d{k}-rs-{i}",
                namespace="production",
                owners=[owner_reference(replica_set)],
            )
