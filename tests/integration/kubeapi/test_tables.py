"""Server-side Tables for `kubectl get`: the shapes kube-apiserver sends for a custom resource."""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from tests.support.kubeapi import KubeApiServer

from .helpers import GROUP, KUBECTL_ACCEPT, NAMESPACE, PLURAL, VERSION, create_rr, rr_body

AGE = re.compile(r"\d+s")


def _columns(description: str = "") -> list[dict[str, Any]]:
    paths = {
        "Signal": ("string", ".spec.signalName"),
        "Severity": ("string", ".spec.severity"),
        "Priority": ("string", ".spec.priority"),
        "Environment": ("string", ".spec.environment"),
        "Occurrences": ("integer", ".status.deduplication.occurrenceCount"),
        "Phase": ("string", ".status.overallPhase"),
        "Age": ("date", ".metadata.creationTimestamp"),
    }
    return [
        {
            "name": name,
            "type": kind,
            "format": "",
            "description": f"Custom resource definition column (in JSONPath format): {path}",
            "priority": 0,
        }
        for name, (kind, path) in paths.items()
    ]


def _get(server: KubeApiServer, path: str, accept: str = KUBECTL_ACCEPT, **params: str) -> Any:
    url = f"{server.url}/apis/{GROUP}/{VERSION}{path}"
    return requests.get(url, headers={"Accept": accept}, params=params, timeout=5)


def _table(server: KubeApiServer, path: str = f"/{PLURAL}", **params: str) -> dict[str, Any]:
    response = _get(server, path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    table: dict[str, Any] = response.json()
    return table


def test_a_list_for_kubectl_is_a_v1_table_with_name_then_the_crds_columns(
    custom: Any, server: KubeApiServer
) -> None:
    create_rr(custom, rr_body("rr-1"))
    plain = _get(server, f"/{PLURAL}", accept="application/json").json()

    table = _table(server)

    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert table["metadata"] == {"resourceVersion": plain["metadata"]["resourceVersion"]}
    name, *columns = table["columnDefinitions"]
    assert {k: name[k] for k in ("name", "type", "format", "priority")} == {
        "name": "Name",
        "type": "string",
        "format": "name",
        "priority": 0,
    }
    assert name["description"].startswith("Name must be unique within a namespace.")
    assert columns == _columns()


def test_cells_follow_each_columns_path_and_are_null_where_it_finds_nothing(
    custom: Any, server: KubeApiServer
) -> None:
    create_rr(custom, rr_body("rr-1"))
    [row] = _table(server)["rows"]
    *cells, age = row["cells"]
    assert cells == ["rr-1", "KubePodCrashLooping", "critical", "P0", "production", None, None]
    assert AGE.fullmatch(age), age

    phase = {"overallPhase": "Completed", "deduplication": {"occurrenceCount": 3}}
    server.patch_status(PLURAL, NAMESPACE, "rr-1", phase)
    [row] = _table(server)["rows"]
    assert row["cells"][5:7] == [3, "Completed"]


def test_each_row_carries_the_objects_metadata_unless_asked_otherwise(
    custom: Any, server: KubeApiServer
) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    [row] = _table(server)["rows"]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": created["metadata"],
    }
    [whole] = _table(server, includeObject="Object")["rows"]
    assert whole["object"] == created
    [bare] = _table(server, includeObject="None")["rows"]
    assert bare["object"] is None
    [partial] = _table(server, includeObject="Metadata")["rows"]
    assert partial["object"] == row["object"]


def test_an_unknown_include_object_is_a_bad_request(server: KubeApiServer) -> None:
    response = _get(server, f"/{PLURAL}", includeObject="Everything")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Unable to convert to Table as requested: includeObject: Invalid value: "
        "\"Everything\": must be 'Metadata', 'Object', 'None', or empty"
    )


def test_include_object_means_nothing_to_a_client_that_wants_the_list(
    custom: Any, server: KubeApiServer
) -> None:
    create_rr(custom, rr_body("rr-1"))
    response = _get(server, f"/{PLURAL}", accept="application/json", includeObject="Everything")
    assert response.status_code == 200
    assert response.json()["kind"] == "RemediationRequestList"


def test_a_v1beta1_table_is_served_to_a_client_that_accepts_only_that(
    custom: Any, server: KubeApiServer
) -> None:
    create_rr(custom, rr_body("rr-1"))
    accept = "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
    table = _get(server, f"/{PLURAL}", accept=accept).json()
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["rows"][0]["object"]["apiVersion"] == "meta.k8s.io/v1beta1"


def test_a_table_nobody_serves_is_406_not_acceptable(server: KubeApiServer) -> None:
    response = _get(server, f"/{PLURAL}", accept="application/json;as=Table;v=v2;g=meta.k8s.io")
    assert response.status_code == 406
    assert response.json()["reason"] == "NotAcceptable"


def test_get_by_name_is_a_one_row_table_at_the_objects_version(
    custom: Any, server: KubeApiServer
) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    create_rr(custom, rr_body("rr-2"))
    table = _table(server, f"/namespaces/{NAMESPACE}/{PLURAL}/rr-1")
    assert table["metadata"] == {"resourceVersion": created["metadata"]["resourceVersion"]}
    assert [row["cells"][0] for row in table["rows"]] == ["rr-1"]
    assert table["columnDefinitions"][1:] == _columns()


def test_a_chunked_list_keeps_its_continue_token_in_the_table(
    custom: Any, server: KubeApiServer
) -> None:
    for name in ("rr-1", "rr-2"):
        create_rr(custom, rr_body(name))
    first = _table(server, limit="1")
    assert first["metadata"]["remainingItemCount"] == 1
    second = _table(server, limit="1", **{"continue": first["metadata"]["continue"]})
    assert [t["rows"][0]["cells"][0] for t in (first, second)] == ["rr-1", "rr-2"]


def _watch(server: KubeApiServer, **params: str) -> list[dict[str, Any]]:
    response = _get(server, f"/{PLURAL}", watch="true", timeoutSeconds="1", **params)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def test_a_watch_for_kubectl_streams_one_row_tables_with_headers_only_first(
    custom: Any, server: KubeApiServer
) -> None:
    version = _table(server)["metadata"]["resourceVersion"]
    first = create_rr(custom, rr_body("rr-1"))
    create_rr(custom, rr_body("rr-2"))

    events = _watch(server, resourceVersion=version)

    assert [(e["type"], e["object"]["kind"]) for e in events] == [("ADDED", "Table")] * 2
    tables = [e["object"] for e in events]
    assert tables[0]["columnDefinitions"][1:] == _columns()
    assert tables[1]["columnDefinitions"] is None
    assert [[row["cells"][0] for row in t["rows"]] for t in tables] == [["rr-1"], ["rr-2"]]
    assert tables[0]["metadata"] == {"resourceVersion": first["metadata"]["resourceVersion"]}
    assert tables[0]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_a_watch_by_name_sees_only_that_object(custom: Any, server: KubeApiServer) -> None:
    for name in ("rr-1", "rr-2"):
        create_rr(custom, rr_body(name))
    events = _watch(server, fieldSelector="metadata.name=rr-2")
    assert [t["object"]["rows"][0]["cells"][0] for t in events] == ["rr-2"]


def test_an_expired_watch_in_tables_still_ends_with_a_status(server: KubeApiServer) -> None:
    version = _table(server)["metadata"]["resourceVersion"]
    server.reset()
    [event] = _watch(server, resourceVersion=version)
    assert event["type"] == "ERROR"
    assert (event["object"]["kind"], event["object"]["code"]) == ("Status", 410)
