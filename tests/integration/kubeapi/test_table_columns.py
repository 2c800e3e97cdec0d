"""Printer columns of any CRD: typed cells, missing values, the default Age, kube's durations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.kubeapi import KubeApiServer
from tests.support.kubeapi.crd import AGE_DESCRIPTION, load_crds
from tests.support.kubeapi.tables import human_duration

from .helpers import KUBECTL_ACCEPT

GADGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
      additionalPrinterColumns:
        - {name: Size, type: integer, jsonPath: .spec.size, description: How big.}
        - {name: Ratio, type: number, jsonPath: .spec.ratio, priority: 1}
        - {name: Ready, type: boolean, jsonPath: .status.ready}
        - {name: Owner, type: string, jsonPath: .spec.owner, format: email}
        - {name: Tags, type: string, jsonPath: ".spec.tags"}
        - {name: First, type: string, jsonPath: ".spec.tags[0]"}
        - {name: Dotted, type: string, jsonPath: ".metadata.labels['example.com/tier']"}
        - {name: Since, type: date, jsonPath: .spec.since}
    - name: v2
      served: true
      storage: false
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


@pytest.fixture
def gadgets(tmp_path: Path) -> Iterator[KubeApiServer]:
    """Serve a cluster-scoped CRD with columns of every type in v1 and none in v2."""
    crd = tmp_path / "gadgets.yaml"
    crd.write_text(GADGET_CRD)
    with KubeApiServer(crd_paths=[crd]) as server:
        yield server


def _create(server: KubeApiServer, body: dict[str, Any]) -> None:
    url = f"{server.url}/apis/example.com/v1/gadgets"
    gadget = {"apiVersion": "example.com/v1", "kind": "Gadget", **body}
    assert requests.post(url, json=gadget, timeout=5).status_code == 201


def _table(server: KubeApiServer, version: str = "v1") -> dict[str, Any]:
    url = f"{server.url}/apis/example.com/{version}/gadgets"
    response = requests.get(url, headers={"Accept": KUBECTL_ACCEPT}, timeout=5)
    assert response.status_code == 200, response.text
    table: dict[str, Any] = response.json()
    return table


def test_cells_take_their_columns_type_and_a_missing_value_is_null(
    gadgets: KubeApiServer,
) -> None:
    earlier = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=4, minutes=5)).isoformat()
    spec = {"size": 2.9, "ratio": 3, "owner": 7, "tags": ["a", "b"], "since": earlier}
    labels = {"example.com/tier": "gold"}
    _create(gadgets, {"metadata": {"name": "full", "labels": labels}, "spec": spec})
    _create(gadgets, {"metadata": {"name": "odd"}, "spec": {"size": "big", "since": "yesterday"}})
    _create(gadgets, {"metadata": {"name": "empty"}, "status": {"ready": True}})

    rows = {row["cells"][0]: row["cells"][1:] for row in _table(gadgets)["rows"]}

    assert rows["full"] == [2, 3.0, None, "7", '["a","b"]', "a", "gold", "4h5m"]
    assert rows["odd"] == [None, None, None, None, None, None, None, "<invalid>"]
    assert rows["empty"] == [None, None, True, None, None, None, None, None]


def test_column_definitions_carry_the_crds_format_priority_and_description(
    gadgets: KubeApiServer,
) -> None:
    columns = {c["name"]: c for c in _table(gadgets)["columnDefinitions"]}
    assert columns["Size"]["description"] == "How big."
    assert (columns["Ratio"]["priority"], columns["Owner"]["format"]) == (1, "email")
    assert columns["Since"]["type"] == "date"


def test_a_version_without_columns_shows_name_and_age(gadgets: KubeApiServer) -> None:
    _create(gadgets, {"metadata": {"name": "plain"}})
    table = _table(gadgets, "v2")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert table["columnDefinitions"][1]["description"] == AGE_DESCRIPTION
    assert table["rows"][0]["cells"][0] == "plain"


def test_a_column_path_the_server_cannot_follow_is_refused_with_the_crd(tmp_path: Path) -> None:
    crd = tmp_path / "filtered.yaml"
    crd.write_text(
        GADGET_CRD.replace(".spec.tags[0]", ".status.conditions[?(@.type=='Ready')].status")
    )
    with pytest.raises(ValueError, match="First"):
        load_crds([crd])


# Boundaries from apimachinery's duration_test.go (TestHumanDurationBoundaries).
@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-2, "<invalid>"),
        (-1.9, "0s"),
        (0.999, "0s"),
        (119.999, "119s"),
        (120, "2m"),
        (121, "2m1s"),
        (599.999, "9m59s"),
        (601, "10m"),
        (3 * 3600 - 0.001, "179m"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600 + 59 * 60, "8h"),
        (2 * 86400 - 0.001, "47h"),
        (2 * 86400 + 3600, "2d1h"),
        (8 * 86400 - 0.001, "7d23h"),
        (8 * 86400 + 23 * 3600, "8d"),
        (2 * 365 * 86400 - 0.001, "729d"),
        (2 * 365 * 86400 + 86400, "2y1d"),
        (8 * 365 * 86400 - 0.001, "7y364d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_read_as_kubes_do(seconds: float, shown: str) -> None:
    assert human_duration(seconds) == shown
