"""The bench harness (`python -m bench.run`) still runs: every scenario, every figure.

A smoke run only (each scenario for a fraction of a second, a 400-request RSS phase): it
proves the harness works end to end, never how fast anything is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import untraced

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "ceiling",
    "duplicate_1",
    "duplicate_50",
    "new_fingerprint",
    "storm",
    "resolved",
    "auth_cached",
    "workload",
}
SCENARIO_KEYS = {"title", "requests", "requests_per_s", "alerts_per_s", "p50_ms", "p99_ms", "runs"}
BACKEND_KEYS = {
    "ratio_to_ceiling",
    "redis_calls_per_request",
    "redis_round_trips_per_request",
    "kube_calls_per_request",
    "resources_created",
    "kube_calls_carried_over",
}
FIGURES = {
    "kube_calls_per_created_resource",
    "kube_calls_per_storm",
    "storm_resources_created_per_storm",
    "redis_bytes_per_fingerprint",
    "redis_bytes_per_fingerprint_total",
    "redis_bytes_per_fingerprint_created",
    "redis_record_growth_when_active",
    "worker_rss_mb",
    "worker_rss_growth_mb",
    "workload_kube_calls_per_1000_signals",
    "workload_lookups_per_1000_signals",
}


@pytest.fixture(scope="module")
def wrk() -> str:
    """wrk, installed by scripts/ensure-wrk.sh when missing (never skipped)."""
    if shutil.which("wrk") is None:
        subprocess.run([str(ROOT / "scripts" / "ensure-wrk.sh")], check=True, timeout=300)
    found = shutil.which("wrk")
    assert found, "scripts/ensure-wrk.sh did not install wrk"
    return found


@pytest.mark.timeout(120)
def test_a_smoke_run_measures_every_scenario(wrk, tmp_path):
    out = tmp_path / "results.json"

    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        # The harness is not what the coverage figure is about; tracing would only slow it.
        env=untraced(os.environ),
        check=False,
        capture_output=True,
        text=True,
        timeout=110,
    )

    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    results = json.loads(out.read_text())
    assert results["mode"] == "smoke"
    assert {"nproc", "cpu_model", "python"} <= set(results["machine"])
    assert results["timestamp"]
    assert set(results["scenarios"]) == SCENARIOS
    for name, scenario in results["scenarios"].items():
        assert set(scenario) >= SCENARIO_KEYS, name
        assert scenario["requests_per_s"] > 0, name
        if name != "ceiling":
            assert set(scenario) >= BACKEND_KEYS, name
    assert set(results["figures"]) >= FIGURES
    assert results["scenarios"]["new_fingerprint"]["resources_created"] > 0
    assert results["figures"]["storm_resources_created_per_storm"] >= 1
    assert results["figures"]["workload_resources_per_workload"] == 1
    assert all({"figure", "value", "target", "met"} <= set(t) for t in results["targets"])
    # The table went to stdout: a row per scenario.
    assert "duplicate, 50 alerts/req" in run.stdout
    assert "worker RSS" in run.stdout
