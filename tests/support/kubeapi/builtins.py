"""The built-in kinds the server serves beside CRDs: workloads, their pods, and nodes.

They are stored like custom objects, with a schema that keeps every field, under the paths,
apiVersions and discovery documents kube-apiserver serves them at (core/v1, apps/v1,
batch/v1). Only what tests need of them: their metadata (owner references included).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from .crd import CrdVersion, CustomResource

_ANY_OBJECT = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _kind(
    group: str, plural: str, kind: str, *, short: tuple[str, ...] = (), namespaced: bool = True
) -> CustomResource:
    return CustomResource(
        group=group,
        plural=plural,
        singular=kind.lower(),
        kind=kind,
        list_kind=f"{kind}List",
        short_names=short,
        categories=("all",) if namespaced else (),
        namespaced=namespaced,
        versions=(CrdVersion("v1", _ANY_OBJECT, status_subresource=False, storage=True),),
    )


BUILTINS = (
    _kind("", "pods", "Pod", short=("po",)),
    _kind("", "nodes", "Node", short=("no",), namespaced=False),
    _kind("apps", "deployments", "Deployment", short=("deploy",)),
    _kind("apps", "replicasets", "ReplicaSet", short=("rs",)),
    _kind("apps", "statefulsets", "StatefulSet", short=("sts",)),
    _kind("apps", "daemonsets", "DaemonSet", short=("ds",)),
    _kind("batch", "jobs", "Job"),
    _kind("batch", "cronjobs", "CronJob", short=("cj",)),
)
BY_KIND: Mapping[str, CustomResource] = {r.kind: r for r in BUILTINS}


def owner_reference(owner: Mapping[str, Any], *, controller: bool = True) -> dict[str, Any]:
    """Return the ownerReference a controller sets on what it creates (`owner` is its object)."""
    metadata = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": metadata["name"],
        "uid": metadata["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def dangling_reference(kind: str, name: str) -> dict[str, Any]:
    """Return a controller reference to an object that does not exist (deleted, or a kind the
    server does not serve, such as an Argo Rollout)."""
    served = BY_KIND.get(kind)
    return {
        "apiVersion": served.api_version("v1") if served else "argoproj.io/v1alpha1",
        "kind": kind,
        "name": name,
        "uid": str(uuid.uuid4()),
        "controller": True,
        "blockOwnerDeletion": True,
    }


_POD_SPEC = {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}


def _spec(kind: str, app: str) -> dict[str, Any]:
    """Return the least spec a client's model of `kind` accepts, selecting app=<app>."""
    selector = {"matchLabels": {"app": app}}
    template = {"metadata": {"labels": {"app": app}}, "spec": _POD_SPEC}
    job = {"template": {**template, "spec": {**_POD_SPEC, "restartPolicy": "Never"}}}
    specs: dict[str, dict[str, Any]] = {
        "Pod": _POD_SPEC,
        "Node": {},
        "Deployment": {"selector": selector, "template": template},
        "ReplicaSet": {"selector": selector, "template": template},
        "StatefulSet": {"selector": selector, "template": template, "serviceName": app},
        "DaemonSet": {"selector": selector, "template": template},
        "Job": job,
        "CronJob": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": job}},
    }
    return specs[kind]


def body(kind: str, name: str, *, namespace: str, owners: list[dict[str, Any]]) -> dict[str, Any]:
    """Return an object of a built-in kind to create, with its owner references."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if owners:
        metadata["ownerReferences"] = owners
    app = owners[0]["name"] if owners else name
    return {
        "apiVersion": BY_KIND[kind].api_version("v1"),
        "kind": kind,
        "metadata": metadata,
        "spec": _spec(kind, app),
    }
