"""Read samples out of the Prometheus text format."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families


def sample(text: str, name: str, **labels: str) -> float:
    """Return the value of one sample; 0 when the series does not exist yet."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def write_worker_counter(
    metrics_dir: Path, pid: int, name: str, value: float, **labels: str
) -> None:
    """Write one counter value file the way a gunicorn worker's prometheus_client does."""
    values = MmapedDict(str(metrics_dir / f"counter_{pid}.db"))
    key = mmap_key(name, name, list(labels), list(labels.values()), "help")
    values.write_value(key, value, 0.0)
    values.close()
