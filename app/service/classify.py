"""Environment and priority classification (contract section 5)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping

from app.config import Config, normalize_environment
from app.domain import Classification, Signal
from app.service.ports import NamespaceDirectory

ENVIRONMENT_LABELS = ("environment", "kubernaut.io/environment")
UNKNOWN = "unknown"
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
MAX_CACHED = 10_000


class NamespaceCache:
    """Namespace labels by name, cached for a while; missing namespaces are cached too."""

    def __init__(
        self, directory: NamespaceDirectory, *, ttl: float, clock: Callable[[], float]
    ) -> None:
        self._directory = directory
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, Mapping[str, str] | None]] = {}
        self._lock = threading.Lock()

    def labels(self, name: str) -> Mapping[str, str] | None:
        """Return the labels of an existing namespace, or None."""
        now = self._clock()
        with self._lock:
            cached = self._entries.get(name)
        if cached and cached[0] > now:
            return cached[1]
        labels = self._directory.namespace_labels(name)
        with self._lock:
            # Namespace names come from senders: never let them grow the cache without bound.
            if len(self._entries) >= MAX_CACHED:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= MAX_CACHED:
                    self._entries.clear()
            self._entries[name] = (now + self._ttl, labels)
        return labels


class Classifier:
    """Decide a signal's environment, priority and the namespace of its resource."""

    def __init__(self, *, namespaces: NamespaceCache, config: Config) -> None:
        self._namespaces = namespaces
        self._config = config

    def classify(self, signal: Signal) -> Classification:
        """Classify one signal; looks its namespace up through the (cached) directory."""
        # Only a valid namespace name is looked up: ".." or "a/b" would address another URL.
        valid = bool(_NAMESPACE.fullmatch(signal.namespace))
        labels = self._namespaces.labels(signal.namespace) if valid else None
        environment = self.environment(signal.namespace, labels or {})
        row = self._config.priorities[signal.severity.value]
        priority = row.get(environment, row["*"])
        if labels is not None:
            return Classification(environment, priority, signal.namespace)
        return Classification(
            environment, priority, self._config.fallback_namespace, signal.namespace
        )

    def environment(self, namespace: str, labels: Mapping[str, str]) -> str:
        """Namespace label, else the configured map, else unknown."""
        for label in ENVIRONMENT_LABELS:
            if labels.get(label, "").strip():
                return normalize_environment(labels[label])
        return self._config.environments.get(namespace, UNKNOWN)
