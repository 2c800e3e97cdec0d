"""What the entrypoints call: the service layer and the ports its callers need."""

from __future__ import annotations

from dataclasses import dataclass

from app.metrics import Metrics
from app.service.health import Readiness
from app.service.ingest import IngestService
from app.service.occurrences import OccurrenceWriter
from app.service.ports import Authenticator, BackgroundLoop, RequestTokens


@dataclass
class Services:
    """Everything the API and the server call, built once per worker by app.bootstrap."""

    ingest: IngestService
    readiness: Readiness
    metrics: Metrics
    occurrences: OccurrenceWriter
    tokens: RequestTokens
    drain_seconds: float = 0.0
    auth: Authenticator | None = None
    # Started by the server in each worker, beside the status writer; None when disabled.
    index: BackgroundLoop | None = None

    def loops(self) -> dict[str, BackgroundLoop]:
        """Return the loops each worker runs beside its requests, by thread name."""
        loops: dict[str, BackgroundLoop] = {"occurrence-writer": self.occurrences}
        if self.index is not None:
            loops["resource-index"] = self.index
        return loops
