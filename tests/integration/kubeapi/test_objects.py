"""Custom object CRUD through the real kubernetes client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from tests.support.kubeapi import KubeApiServer

from .helpers import (
    API_VERSION,
    GROUP,
    NAMESPACE,
    PLURAL,
    VERSION,
    create_rr,
    rr_body,
    status_of,
    valid_spec,
)

JSON_PATCH = "application/json-patch+json"


def _list(custom: Any, namespace: str = NAMESPACE, **kwargs: Any) -> list[str]:
    listed = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, **kwargs)
    return [item["metadata"]["name"] for item in listed["items"]]


def test_create_assigns_server_metadata(custom: Any) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    meta = created["metadata"]
    assert meta["namespace"] == NAMESPACE
    assert meta["generation"] == 1
    assert len(meta["uid"]) == 36
    assert int(meta["resourceVersion"]) > 0
    assert meta["creationTimestamp"].endswith("Z")
    assert created["apiVersion"] == API_VERSION


def test_get_returns_what_was_created(custom: Any) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    fetched = custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "rr-1")
    assert fetched == created


def test_resource_versions_increase_with_every_write(custom: Any) -> None:
    first = create_rr(custom, rr_body("rr-1"))
    second = create_rr(custom, rr_body("rr-2"))
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_create_in_missing_namespace_is_not_found(custom: Any) -> None:
    with pytest.raises(ApiException) as caught:
        create_rr(custom, rr_body("rr-1"), namespace="nowhere")
    assert caught.value.status == 404
    status = status_of(caught.value)
    assert status["reason"] == "NotFound"
    assert status["message"] == 'namespaces "nowhere" not found'


def test_create_with_an_existing_name_is_already_exists(custom: Any) -> None:
    create_rr(custom, rr_body("rr-1"))
    with pytest.raises(ApiException) as caught:
        create_rr(custom, rr_body("rr-1"))
    assert caught.value.status == 409
    status = status_of(caught.value)
    assert status["reason"] == "AlreadyExists"
    assert status["details"] == {"name": "rr-1", "group": GROUP, "kind": PLURAL}


def test_get_of_a_missing_object_is_not_found(custom: Any) -> None:
    with pytest.raises(ApiException) as caught:
        custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "ghost")
    assert caught.value.status == 404
    status = status_of(caught.value)
    assert status["message"] == f'{PLURAL}.{GROUP} "ghost" not found'
    assert status["details"]["name"] == "ghost"


def test_delete_removes_the_object(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    deleted = custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "rr-1")
    assert deleted["metadata"]["name"] == "rr-1"
    assert server.get_object(PLURAL, NAMESPACE, "rr-1") is None
    with pytest.raises(ApiException) as caught:
        custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "rr-1")
    assert caught.value.status == 404


def test_delete_with_a_stale_uid_precondition_conflicts(custom: Any) -> None:
    create_rr(custom, rr_body("rr-1"))
    with pytest.raises(ApiException) as caught:
        custom.delete_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", body={"preconditions": {"uid": "other"}}
        )
    assert caught.value.status == 409
    assert "Precondition failed: UID" in status_of(caught.value)["message"]


def test_generate_name_appends_five_random_characters(custom: Any) -> None:
    body = rr_body("")
    body["metadata"] = {"generateName": "rr-"}
    created = create_rr(custom, body)
    name = created["metadata"]["name"]
    assert name.startswith("rr-")
    assert len(name) == 8
    assert name[3:].isalnum()
    assert name[3:].islower() or name[3:].isdigit()


@pytest.mark.parametrize("name", ["Upper", "a_b", "-lead", "trail-", "a..b", "x" * 254])
def test_an_invalid_name_is_rejected(custom: Any, name: str) -> None:
    with pytest.raises(ApiException) as caught:
        create_rr(custom, rr_body(name))
    assert caught.value.status == 422
    causes = status_of(caught.value)["details"]["causes"]
    assert {c["field"] for c in causes} == {"metadata.name"}


def test_a_body_of_another_kind_is_a_bad_request(custom: Any) -> None:
    body = rr_body("rr-1")
    body["kind"] = "Pod"
    with pytest.raises(ApiException) as caught:
        create_rr(custom, body)
    assert caught.value.status == 400
    assert status_of(caught.value)["reason"] == "BadRequest"


def test_a_body_namespace_other_than_the_url_is_a_bad_request(custom: Any) -> None:
    body = rr_body("rr-1")
    body["metadata"]["namespace"] = "default"
    with pytest.raises(ApiException) as caught:
        create_rr(custom, body)
    assert caught.value.status == 400


def test_unknown_spec_fields_are_pruned_on_create(custom: Any, server: KubeApiServer) -> None:
    created = create_rr(custom, rr_body("rr-1", spec=valid_spec(notInSchema="x")))
    assert "notInSchema" not in created["spec"]
    stored = server.get_object(PLURAL, NAMESPACE, "rr-1")
    assert stored is not None
    assert "notInSchema" not in stored["spec"]


def test_list_across_namespaces_sorts_by_namespace_then_name(
    custom: Any, server: KubeApiServer
) -> None:
    server.add_namespace("team-b")
    create_rr(custom, rr_body("zz"), namespace="team-b")
    create_rr(custom, rr_body("bb"))
    create_rr(custom, rr_body("aa"))
    listed = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    keys = [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in listed["items"]]
    assert keys == [(NAMESPACE, "aa"), (NAMESPACE, "bb"), ("team-b", "zz")]
    assert listed["kind"] == "RemediationRequestList"
    assert [o["metadata"]["name"] for o in server.objects(PLURAL)] == ["zz", "bb", "aa"]
    assert [o["metadata"]["name"] for o in server.objects(PLURAL, namespace="team-b")] == ["zz"]


def test_list_pages_with_limit_and_continue(custom: Any) -> None:
    for name in ("a", "b", "c"):
        create_rr(custom, rr_body(name))
    first = custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, limit=2)
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    assert first["metadata"]["remainingItemCount"] == 1
    rest = custom.list_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, limit=2, _continue=first["metadata"]["continue"]
    )
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c"]
    assert "continue" not in rest["metadata"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("tier=web", ["web-prod"]),
        ("tier==web", ["web-prod"]),
        ("tier!=web", ["api-dev", "bare"]),
        ("tier in (web,api)", ["api-dev", "web-prod"]),
        ("tier notin (web)", ["api-dev", "bare"]),
        ("env", ["api-dev", "web-prod"]),
        ("!env", ["bare"]),
        ("tier=web,env=prod", ["web-prod"]),
        ("tier in (api), !env", []),
    ],
)
def test_label_selectors_filter_lists(custom: Any, selector: str, expected: list[str]) -> None:
    create_rr(custom, rr_body("web-prod", labels={"tier": "web", "env": "prod"}))
    create_rr(custom, rr_body("api-dev", labels={"tier": "api", "env": "dev"}))
    create_rr(custom, rr_body("bare"))
    assert _list(custom, label_selector=selector) == expected


def test_a_malformed_label_selector_is_a_bad_request(custom: Any) -> None:
    with pytest.raises(ApiException) as caught:
        _list(custom, label_selector="tier in web")
    assert caught.value.status == 400


def test_field_selector_on_metadata_name(custom: Any) -> None:
    create_rr(custom, rr_body("a"))
    create_rr(custom, rr_body("b"))
    assert _list(custom, field_selector="metadata.name=b") == ["b"]


@pytest.mark.parametrize(
    "labels",
    [{"tier": "has space"}, {"tier": "v" * 64}, {"bad key": "v"}, {"Example.com/x": "v"}],
)
def test_invalid_labels_are_rejected(custom: Any, labels: dict[str, str]) -> None:
    with pytest.raises(ApiException) as caught:
        create_rr(custom, rr_body("rr-1", labels=labels))
    assert caught.value.status == 422
    causes = status_of(caught.value)["details"]["causes"]
    assert causes
    assert all(c["field"] == "metadata.labels" for c in causes)


def test_prefixed_label_keys_and_empty_values_are_valid(custom: Any) -> None:
    labels = {"kubernaut.io/signal": "x", "app.kubernetes.io/name": "", "a_b.c-d": "V_1.2-3"}
    assert create_rr(custom, rr_body("rr-1", labels=labels))["metadata"]["labels"] == labels


def test_merge_patch_changes_labels_and_bumps_generation_on_spec_change(custom: Any) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", {"metadata": {"labels": {"a": "b"}}}
    )
    assert patched["metadata"]["labels"] == {"a": "b"}
    assert patched["metadata"]["generation"] == 1
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", {"spec": {"severity": "info"}}
    )
    assert patched["spec"]["severity"] == "info"
    assert patched["metadata"]["generation"] == 2
    assert patched["metadata"]["uid"] == created["metadata"]["uid"]


def test_a_no_op_patch_keeps_the_resource_version(custom: Any) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", {"spec": {"severity": "critical"}}
    )
    assert patched["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_json_patch_operations_apply_in_order(custom: Any) -> None:
    create_rr(custom, rr_body("rr-1"))
    operations = [
        {"op": "test", "path": "/spec/severity", "value": "critical"},
        {"op": "replace", "path": "/spec/severity", "value": "warning"},
        {"op": "add", "path": "/spec/affectedResources", "value": ["ns:Pod:a"]},
        {"op": "add", "path": "/spec/affectedResources/-", "value": "ns:Pod:b"},
        {"op": "remove", "path": "/spec/affectedResources/0"},
    ]
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", operations, _content_type=JSON_PATCH
    )
    assert patched["spec"]["severity"] == "warning"
    assert patched["spec"]["affectedResources"] == ["ns:Pod:b"]


def test_a_failed_json_patch_test_changes_nothing(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    operations = [
        {"op": "replace", "path": "/spec/severity", "value": "info"},
        {"op": "test", "path": "/spec/priority", "value": "P3"},
    ]
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", operations, _content_type=JSON_PATCH
        )
    assert caught.value.status == 422
    stored = server.get_object(PLURAL, NAMESPACE, "rr-1")
    assert stored is not None
    assert stored["spec"]["severity"] == "critical"


def test_a_patch_that_breaks_the_schema_is_invalid(custom: Any) -> None:
    create_rr(custom, rr_body("rr-1"))
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", {"spec": {"priority": "P9"}}
        )
    assert caught.value.status == 422
    assert status_of(caught.value)["details"]["causes"][0]["field"] == "spec.priority"


def test_patch_of_a_missing_object_is_not_found(custom: Any) -> None:
    with pytest.raises(ApiException) as caught:
        custom.patch_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, "ghost", {"spec": {"severity": "info"}}
        )
    assert caught.value.status == 404


def test_replace_with_a_stale_resource_version_conflicts(custom: Any) -> None:
    created = create_rr(custom, rr_body("rr-1"))
    custom.patch_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", {"spec": {"severity": "info"}}
    )
    with pytest.raises(ApiException) as caught:
        custom.replace_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", created)
    assert caught.value.status == 409
    status = status_of(caught.value)
    assert status["reason"] == "Conflict"
    assert "the object has been modified" in status["message"]


def test_replace_with_the_current_resource_version_succeeds(custom: Any) -> None:
    current = create_rr(custom, rr_body("rr-1"))
    current["spec"]["priority"] = "P2"
    replaced = custom.replace_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, PLURAL, "rr-1", current
    )
    assert replaced["spec"]["priority"] == "P2"
    assert int(replaced["metadata"]["resourceVersion"]) > int(
        current["metadata"]["resourceVersion"]
    )


def test_concurrent_creates_all_land_with_distinct_resource_versions(
    custom: Any, server: KubeApiServer
) -> None:
    names = [f"rr-{i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda name: create_rr(custom, rr_body(name)), names))
    versions = {c["metadata"]["resourceVersion"] for c in created}
    assert len(versions) == len(names)
    assert sorted(o["metadata"]["name"] for o in server.objects(PLURAL)) == sorted(names)
