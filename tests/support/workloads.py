"""Workloads in the Kubernetes API test server, with the objects and owner references their
controllers would have made: Deployment -> ReplicaSet -> pods, StatefulSet and DaemonSet ->
pods, CronJob -> Job -> pod, and pods of no controller (bare, or static: owned by a Node)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from tests.support.kubeapi import KubeApiServer
from tests.support.kubeapi.builtins import owner_reference

# The characters kube's generated names are made of (rand.SafeEncodeString: no vowels).
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class Workload:
    """A workload as made: its kind and name, its pods' names, and what lies between."""

    kind: str
    name: str
    namespace: str
    pods: tuple[str, ...]
    # The ReplicaSet of a Deployment, the Job of a CronJob.
    middle: str = ""


def suffix(seed: str, length: int = 5) -> str:
    """Return a generated-name suffix, stable for a seed (README examples name the pods)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def _pods(
    kube: KubeApiServer, namespace: str, names: list[str], owner: dict[str, Any]
) -> tuple[str, ...]:
    for name in names:
        kube.add_object("Pod", name, namespace=namespace, owners=[owner_reference(owner)])
    return tuple(names)


def deployment(kube: KubeApiServer, namespace: str, name: str, *, replicas: int = 3) -> Workload:
    """Add a Deployment, its ReplicaSet and its pods."""
    deploy = kube.add_object("Deployment", name, namespace=namespace)
    rs_name = f"{name}-{suffix(name, 9)}"
    owners = [owner_reference(deploy)]
    replica_set = kube.add_object("ReplicaSet", rs_name, namespace=namespace, owners=owners)
    names = [f"{rs_name}-{suffix(f'{rs_name}-{i}')}" for i in range(replicas)]
    return Workload(
        "Deployment", name, namespace, _pods(kube, namespace, names, replica_set), rs_name
    )


def statefulset(kube: KubeApiServer, namespace: str, name: str, *, replicas: int = 2) -> Workload:
    """Add a StatefulSet and its pods (name-0, name-1, ...)."""
    owner = kube.add_object("StatefulSet", name, namespace=namespace)
    names = [f"{name}-{i}" for i in range(replicas)]
    return Workload("StatefulSet", name, namespace, _pods(kube, namespace, names, owner))


def daemonset(kube: KubeApiServer, namespace: str, name: str, *, nodes: int = 2) -> Workload:
    """Add a DaemonSet and a pod of it per node."""
    owner = kube.add_object("DaemonSet", name, namespace=namespace)
    names = [f"{name}-{suffix(f'{name}-{i}')}" for i in range(nodes)]
    return Workload("DaemonSet", name, namespace, _pods(kube, namespace, names, owner))


def cronjob(kube: KubeApiServer, namespace: str, name: str) -> Workload:
    """Add a CronJob, the Job it started and the Job's pod."""
    cron = kube.add_object("CronJob", name, namespace=namespace)
    job_name = f"{name}-29376120"  # a CronJob names its Jobs by their scheduled minute
    job = kube.add_object("Job", job_name, namespace=namespace, owners=[owner_reference(cron)])
    names = [f"{job_name}-{suffix(job_name)}"]
    return Workload("CronJob", name, namespace, _pods(kube, namespace, names, job), job_name)


def bare_pod(kube: KubeApiServer, namespace: str, name: str) -> Workload:
    """Add a pod that no controller owns."""
    kube.add_object("Pod", name, namespace=namespace)
    return Workload("Pod", name, namespace, (name,))


def static_pod(kube: KubeApiServer, namespace: str, component: str, *, node: str) -> Workload:
    """Add a Node and the static pod the kubelet mirrors for it (owned by the Node)."""
    owner = kube.add_object("Node", node)
    name = f"{component}-{node}"
    return Workload("Pod", name, namespace, _pods(kube, namespace, [name], owner))
