"""Denied verbs: the 403 Forbidden Status kube-apiserver answers when RBAC says no.

A test denies a verb on a resource (in one namespace, or everywhere); every other request is
allowed, as for a cluster admin. Requests are read as kube's request-info resolver reads them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import unquote

from .status import ApiError

DEFAULT_USER = "system:serviceaccount:kubernaut-system:kubernaut-gateway"
_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(frozen=True)
class Attributes:
    """What RBAC authorizes: verb, API group, resource (with subresource), namespace, name."""

    verb: str
    group: str
    resource: str
    namespace: str
    name: str


@dataclass(frozen=True)
class Denial:
    """One denied verb on one resource; namespace None denies it in every namespace."""

    verb: str
    group: str
    resource: str
    namespace: str | None
    user: str

    def applies(self, asked: Attributes) -> bool:
        """Tell whether this denial refuses `asked`."""
        return (self.verb, self.group, self.resource) == (
            asked.verb,
            asked.group,
            asked.resource,
        ) and self.namespace in (None, asked.namespace)

    def error(self, asked: Attributes) -> ApiError:
        """Return kube-apiserver's Forbidden Status for `asked`."""
        qualified = f"{asked.resource}.{asked.group}" if asked.group else asked.resource
        subject = f'{qualified} "{asked.name}"' if asked.name else qualified
        scope = f'the namespace "{asked.namespace}"' if asked.namespace else "the cluster scope"
        message = (
            f'{subject} is forbidden: User "{self.user}" cannot {asked.verb} resource '
            f'"{asked.resource}" in API group "{asked.group}" in {scope}'
        )
        details = {"name": asked.name, "kind": asked.resource.split("/")[0]}
        if asked.group:
            details["group"] = asked.group
        return ApiError(403, message, details=details)


def attributes(method: str, path: str, *, watch: bool) -> Attributes | None:
    """Read a resource request's attributes from its method and path; None for others."""
    parts = [unquote(p) for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    name = rest[1] if len(rest) > 1 else ""
    resource = "/".join([rest[0], *rest[2:3]])
    if method in ("GET", "HEAD"):
        verb = "get" if name else ("watch" if watch else "list")
    else:
        verb = _VERBS.get(method, method.lower())
    return Attributes(verb, group, resource, namespace, name)


class Denials:
    """The active denials, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._denials: list[Denial] = []

    def add(self, denial: Denial) -> None:
        """Deny from now on."""
        with self._lock:
            self._denials.append(denial)

    def clear(self) -> None:
        """Allow everything again."""
        with self._lock:
            self._denials.clear()

    def check(self, method: str, path: str, *, watch: bool) -> ApiError | None:
        """Return the Forbidden error of a denied request, or None."""
        with self._lock:
            denials = list(self._denials)
        asked = attributes(method, path, watch=watch) if denials else None
        if asked is None:
            return None
        denial = next((d for d in denials if d.applies(asked)), None)
        return denial.error(asked) if denial else None
