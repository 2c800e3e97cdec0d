"""Scraping the workers' metric files while a worker starts (it creates its file, then sizes it)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from app.metrics import WorkerFilesCollector
from tests.support.metrics import sample, write_worker_counter

NAME = "gateway_signals_received_total"
LABELS = {"source": "prometheus", "outcome": "duplicate"}


def _counter(directory: Path, pid: int, value: float) -> None:
    write_worker_counter(directory, pid, NAME, value, **LABELS)


def _scrape(collector_class: Callable[..., object], directory: Path) -> float:
    registry = CollectorRegistry()
    collector_class(registry, path=str(directory))
    return sample(generate_latest(registry).decode(), NAME, **LABELS)


def test_a_starting_workers_empty_files_are_left_out_and_the_others_summed(tmp_path):
    _counter(tmp_path, 101, 3)
    _counter(tmp_path, 102, 4)
    # A worker being started has opened its files but not sized them yet.
    (tmp_path / "counter_103.db").touch()
    (tmp_path / "gauge_livemax_103.db").touch()

    assert _scrape(WorkerFilesCollector, tmp_path) == 7


def test_prometheus_clients_own_collector_fails_on_such_a_file(tmp_path):
    """Why WorkerFilesCollector exists: without it, the whole scrape is a 500 (once this
    fails, prometheus_client reads such files itself and the workaround can go)."""
    _counter(tmp_path, 101, 3)
    (tmp_path / "counter_103.db").touch()

    with pytest.raises(struct.error):
        _scrape(MultiProcessCollector, tmp_path)


def test_once_sized_the_new_workers_values_count(tmp_path):
    _counter(tmp_path, 101, 3)
    (tmp_path / "counter_103.db").touch()
    assert _scrape(WorkerFilesCollector, tmp_path) == 3

    _counter(tmp_path, 103, 2)

    assert _scrape(WorkerFilesCollector, tmp_path) == 5
