"""Where workload identity reads each kind's controller reference, and what RBAC must allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain import ResourceRef, controller_of
from app.service.ports import Ownership

# Ask for the metadata alone (what client-go's metadata client asks); a server that cannot
# answer that answers the whole object, which carries the same metadata.
ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


@dataclass(frozen=True)
class Lookup:
    """The GET of one kind: its operation (a metric label), its path, the grant it needs."""

    operation: str
    path: str
    permission: str


LOOKUPS = {
    "Pod": Lookup("get_pod", "/api/v1/namespaces/{namespace}/pods/{name}", "get pods"),
    "ReplicaSet": Lookup(
        "get_replicaset",
        "/apis/apps/v1/namespaces/{namespace}/replicasets/{name}",
        "get replicasets.apps",
    ),
    "Job": Lookup("get_job", "/apis/batch/v1/namespaces/{namespace}/jobs/{name}", "get jobs.batch"),
}


def read_ownership(document: Any, ref: ResourceRef) -> Ownership:
    """Read an existing object's controller from its JSON; ValueError when it is no object."""
    if not isinstance(document, dict):
        raise ValueError("the answer is not a JSON object")
    metadata = document.get("metadata")
    references = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
    return Ownership(exists=True, controller=controller_of(references, namespace=ref.namespace))
