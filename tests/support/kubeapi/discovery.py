"""Build the discovery documents kube-apiserver serves under /api, /apis and /version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .auth import AUTHN_GROUP, AUTHZ_GROUP
from .crd import CustomResource

KUBE_VERSION = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0",
    "gitCommit": "7c48c2bd72b9bf5c44d21d7338cc7bea77d0ad2a",
    "gitTreeState": "clean",
    "buildDate": "2024-04-17T17:27:03Z",
    "goVersion": "go1.22.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_NAMESPACE_RESOURCE = {
    "name": "namespaces",
    "singularName": "namespace",
    "namespaced": False,
    "kind": "Namespace",
    "verbs": ["create", "delete", "get", "list"],
    "shortNames": ["ns"],
}
_CRUD_VERBS = ["create", "delete", "get", "list", "patch", "update"]
_REVIEW_GROUPS: dict[str, dict[str, Any]] = {
    AUTHN_GROUP: {"name": "tokenreviews", "singularName": "tokenreview", "kind": "TokenReview"},
    AUTHZ_GROUP: {
        "name": "subjectaccessreviews",
        "singularName": "subjectaccessreview",
        "kind": "SubjectAccessReview",
    },
}


def api_versions(address: str) -> dict[str, Any]:
    """Return the APIVersions document for /api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def core_resources(resources: Sequence[CustomResource]) -> dict[str, Any]:
    """Return the APIResourceList for /api/v1: namespaces, then the core kinds served."""
    core = [_resource_entry(r) for r in resources if not r.group]
    return {
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [dict(_NAMESPACE_RESOURCE), *core],
    }


def _resource_entry(resource: CustomResource) -> dict[str, Any]:
    """Return a kind's APIResource entry, as discovery lists it."""
    entry: dict[str, Any] = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(_CRUD_VERBS),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    return entry


def _group(name: str, versions: Sequence[str], preferred: str) -> dict[str, Any]:
    return {
        "name": name,
        "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{name}/{preferred}", "version": preferred},
    }


def api_groups(resources: Sequence[CustomResource]) -> list[dict[str, Any]]:
    """Return the APIGroup entries: the review groups, then one per CRD group."""
    groups = [_group(AUTHN_GROUP, ["v1"], "v1"), _group(AUTHZ_GROUP, ["v1"], "v1")]
    by_group: dict[str, list[CustomResource]] = {}
    for resource in resources:
        if resource.group:  # the core group is served under /api, not /apis
            by_group.setdefault(resource.group, []).append(resource)
    for name, members in by_group.items():
        versions = list(dict.fromkeys(v.name for r in members for v in r.versions))
        groups.append(_group(name, versions, members[0].preferred.name))
    return groups


def api_group_list(resources: Sequence[CustomResource]) -> dict[str, Any]:
    """Return the APIGroupList for /apis."""
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": api_groups(resources)}


def group_resources(
    resources: Sequence[CustomResource], group: str, version: str
) -> dict[str, Any] | None:
    """Return the APIResourceList for /apis/{group}/{version}, or None when not served."""
    if group in _REVIEW_GROUPS and version == "v1":
        entry = {**_REVIEW_GROUPS[group], "namespaced": False, "verbs": ["create"]}
        listed = [entry]
    else:
        listed = []
        for resource in resources:
            served = resource.version(version) if resource.group == group else None
            if served is None:
                continue
            listed.append(_resource_entry(resource))
            if served.status_subresource:
                listed.append(
                    {
                        "name": f"{resource.plural}/status",
                        "singularName": "",
                        "namespaced": resource.namespaced,
                        "kind": resource.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
        if not listed:
            return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}",
        "resources": listed,
    }
