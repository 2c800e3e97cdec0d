"""Read the resource index the way the gateway's lookups do."""

from __future__ import annotations

from app.adapters.rr_index import ResourceIndex, Unknown
from app.service.ports import ActiveResource


def active(index: ResourceIndex, fingerprint: str) -> ActiveResource | Unknown | None:
    """The fingerprint's active resource as the index has it (UNKNOWN while not synced)."""
    found = index.history(fingerprint)
    return found if isinstance(found, Unknown) else found.active
