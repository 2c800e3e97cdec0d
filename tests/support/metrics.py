"""Read samples out of the Prometheus text format."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import settled_files


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


def worker_gauges(directory: str | Path, name: str, pids: list[int]) -> dict[int, float]:
    """Return each live worker's own value of a multiprocess gauge (0 if it has none yet).

    `/metrics` shows the gauge aggregated over the workers; each worker's value file still
    holds its own, labelled with its pid. The bench and the tests read it to know that every
    worker (not just one of them) has reached a state.
    """
    files = settled_files(directory, "gauge_*.db")
    values = dict.fromkeys(pids, 0.0)
    # The unmerged samples, each labelled with its worker's pid.
    unmerged = MultiProcessCollector._read_metrics(files)
    for metric in unmerged.values():
        for s in metric.samples:
            pid = int(dict(s.labels).get("pid", -1))
            if s.name == name and pid in values:
                values[pid] = float(s.value)
    return values
