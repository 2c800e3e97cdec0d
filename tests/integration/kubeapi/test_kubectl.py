"""The real kubectl against the test server: printer columns, other outputs, and get -w."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.kubeapi import KubeApiServer
from tests.support.kubectl import KubectlWatch, kubectl, parse_table
from tests.support.waiting import eventually

from .helpers import NAMESPACE, PLURAL, create_rr, rr_body, valid_spec

COLUMNS = ["SIGNAL", "SEVERITY", "PRIORITY", "ENVIRONMENT", "OCCURRENCES", "PHASE", "AGE"]
OTHER = "team-b"


@pytest.fixture
def run(server: KubeApiServer, tmp_path: Path) -> Any:
    """Return a function running kubectl against the server, returning its output."""
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")

    def run_kubectl(*args: str) -> str:
        return kubectl(*args, kubeconfig=kubeconfig, home=tmp_path / "home")

    return run_kubectl


@pytest.fixture
def two_resources(custom: Any, server: KubeApiServer) -> None:
    """Create rr-1 in team-a (3 occurrences, Completed) and rr-2 in team-b (no status yet)."""
    server.add_namespace(OTHER)
    create_rr(custom, rr_body("rr-1"))
    create_rr(custom, rr_body("rr-2", spec=valid_spec(severity="warning", priority="P2")), OTHER)
    status = {"overallPhase": "Completed", "deduplication": {"occurrenceCount": 3}}
    server.patch_status(PLURAL, NAMESPACE, "rr-1", status)


def _cells(row: dict[str, str]) -> list[str]:
    return [row[column] for column in ["NAME", *COLUMNS[:-1]]]


@pytest.mark.usefixtures("two_resources")
def test_get_all_namespaces_shows_the_crds_printer_columns(run: Any) -> None:
    output = run("get", "rr", "-A")
    assert output.splitlines()[0].split() == ["NAMESPACE", "NAME", *COLUMNS]
    rows = parse_table(output)
    signal = "KubePodCrashLooping"
    assert [(row["NAMESPACE"], *_cells(row)) for row in rows] == [
        (NAMESPACE, "rr-1", signal, "critical", "P0", "production", "3", "Completed"),
        (OTHER, "rr-2", signal, "warning", "P2", "production", "", ""),
    ]
    assert all(row["AGE"].endswith("s") for row in rows)


@pytest.mark.usefixtures("two_resources")
def test_get_in_one_namespace_by_plural_wide_or_by_name_shows_the_same_columns(run: Any) -> None:
    for args in (["remediationrequests", "-n", OTHER], ["rr", "-n", OTHER, "-o", "wide"]):
        output = run("get", *args)
        assert output.splitlines()[0].split() == ["NAME", *COLUMNS]
        assert [row["NAME"] for row in parse_table(output)] == ["rr-2"]
    [row] = parse_table(run("get", "rr", "rr-1", "-n", NAMESPACE))
    assert _cells(row)[-2:] == ["3", "Completed"]


@pytest.mark.usefixtures("two_resources")
def test_get_as_yaml_or_json_prints_the_objects_themselves(run: Any, custom: Any) -> None:
    one = yaml.safe_load(run("get", "rr", "rr-1", "-n", NAMESPACE, "-o", "yaml"))
    assert (one["kind"], one["spec"], one["status"]["overallPhase"]) == (
        "RemediationRequest",
        valid_spec(),
        "Completed",
    )
    listed = json.loads(run("get", "rr", "-A", "-o", "json"))
    assert [item["metadata"]["name"] for item in listed["items"]] == ["rr-1", "rr-2"]


def test_get_watch_prints_what_exists_then_each_new_resource(
    custom: Any, server: KubeApiServer, tmp_path: Path
) -> None:
    create_rr(custom, rr_body("rr-old"))
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    with KubectlWatch(
        "get", "rr", "-A", "-w", kubeconfig=kubeconfig, home=tmp_path / "home"
    ) as watching:
        eventually(lambda: len(watching.lines) >= 2, within=20, what="kubectl lists")
        create_rr(custom, rr_body("rr-new"))
        eventually(
            lambda: any("rr-new" in line for line in watching.lines),
            within=20,
            what="kubectl prints the new resource",
        )
        assert watching.running
    lines = watching.lines
    assert lines[0].split() == ["NAMESPACE", "NAME", *COLUMNS]
    assert [line.split()[1] for line in lines[1:]] == ["rr-old", "rr-new"]
    # It watched from the list's resourceVersion: the existing resource is not printed twice.
    [watch] = [r for r in server.requests if "watch=true" in r.query]
    assert "resourceVersion=" in watch.query
