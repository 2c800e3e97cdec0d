"""Discovery, namespaces, HTTP behaviour, lifecycle and CRD genericity."""

from __future__ import annotations

import http.client
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support.kubeapi import KubeApiServer, TokenIdentity

from .helpers import (
    CRD_PATH,
    GROUP,
    NAMESPACE,
    PLURAL,
    VERSION,
    create_rr,
    load_configuration,
    new_api_client,
    rr_body,
)

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer, maximum: 10}
            status:
              type: object
              properties:
                ready: {type: boolean}
"""


def test_version_reports_a_kube_version(api_client: Any) -> None:
    assert client.VersionApi(api_client).get_code().git_version == "v1.30.0"


def test_discovery_lists_crd_and_review_groups(api_client: Any) -> None:
    groups = client.ApisApi(api_client).get_api_versions().groups
    names = {g.name for g in groups}
    assert names == {GROUP, "authentication.k8s.io", "authorization.k8s.io", "apps", "batch"}
    crd_group = next(g for g in groups if g.name == GROUP)
    assert crd_group.preferred_version is not None
    assert crd_group.preferred_version.group_version == f"{GROUP}/{VERSION}"
    assert client.CoreApi(api_client).get_api_versions().versions == ["v1"]


def test_discovery_describes_the_resource_and_its_status(custom: Any) -> None:
    resources = {r.name: r for r in custom.get_api_resources(GROUP, VERSION).resources}
    assert set(resources) == {PLURAL, f"{PLURAL}/status"}
    main = resources[PLURAL]
    assert (main.kind, main.namespaced, main.short_names, main.singular_name) == (
        "RemediationRequest",
        True,
        ["rr"],
        "remediationrequest",
    )
    assert {"create", "get", "list", "patch", "update", "delete"} <= set(main.verbs)
    assert resources[f"{PLURAL}/status"].verbs == ["get", "patch", "update"]


def test_core_discovery_lists_namespaces_pods_and_nodes(core: Any) -> None:
    resources = core.get_api_resources().resources
    assert [(r.name, r.namespaced, r.kind) for r in resources] == [
        ("namespaces", False, "Namespace"),
        ("pods", True, "Pod"),
        ("nodes", False, "Node"),
    ]


def test_healthz_is_ok(server: KubeApiServer) -> None:
    response = requests.get(f"{server.url}/healthz", timeout=5)
    assert (response.status_code, response.text) == (200, "ok")


def test_namespaces_can_be_created_listed_by_label_and_deleted(core: Any) -> None:
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name="blue", labels={"env": "prod"}))
    created = core.create_namespace(body)
    assert created.status.phase == "Active"
    assert created.metadata.labels["kubernetes.io/metadata.name"] == "blue"
    listed = core.list_namespace(label_selector="env=prod").items
    assert [n.metadata.name for n in listed] == ["blue"]
    assert core.read_namespace("blue").metadata.uid == created.metadata.uid
    core.delete_namespace("blue")
    with pytest.raises(ApiException) as caught:
        core.read_namespace("blue")
    assert caught.value.status == 404


def test_a_fresh_server_has_the_default_namespaces(core: Any) -> None:
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system", NAMESPACE} <= names


def test_creating_an_existing_namespace_conflicts(core: Any) -> None:
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE))
    with pytest.raises(ApiException) as caught:
        core.create_namespace(body)
    assert caught.value.status == 409


def test_namespace_names_must_be_dns_labels(core: Any) -> None:
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name="has.dot"))
    with pytest.raises(ApiException) as caught:
        core.create_namespace(body)
    assert caught.value.status == 422


def test_deleting_a_namespace_deletes_its_objects(
    custom: Any, core: Any, server: KubeApiServer
) -> None:
    create_rr(custom, rr_body("rr-1"))
    core.delete_namespace(NAMESPACE)
    assert server.objects(PLURAL) == []


def test_unsupported_methods_are_405(server: KubeApiServer) -> None:
    response = requests.put(f"{server.url}/api/v1/namespaces", json={}, timeout=5)
    assert response.status_code == 405
    assert response.json()["reason"] == "MethodNotAllowed"
    collection = f"{server.url}/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
    assert requests.delete(collection, timeout=5).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/apis/nope.io/v1",
        f"/apis/{GROUP}/v9/{PLURAL}",
        "/api/v1/services",
        f"/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}/rr-1/scale",
    ],
)
def test_unknown_paths_are_404(server: KubeApiServer, path: str) -> None:
    response = requests.get(f"{server.url}{path}", timeout=5)
    assert response.status_code == 404
    assert response.json()["reason"] == "NotFound"


def test_a_body_that_is_not_json_is_a_bad_request(server: KubeApiServer) -> None:
    collection = f"{server.url}/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}"
    response = requests.post(
        collection, data=b"{nope", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


def test_an_unknown_patch_type_is_415(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    url = f"{server.url}/apis/{GROUP}/{VERSION}/namespaces/{NAMESPACE}/{PLURAL}/rr-1"
    response = requests.patch(
        url, data=b"{}", headers={"Content-Type": "application/apply-patch+yaml"}, timeout=5
    )
    assert response.status_code == 415


def test_connections_are_kept_alive_with_exact_content_lengths(server: KubeApiServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    try:
        connection.request("GET", "/version")
        first = connection.getresponse()
        body = first.read()
        socket_before = connection.sock
        assert int(first.headers["Content-Length"]) == len(body)
        connection.request("GET", "/api/v1/namespaces/missing")
        second = connection.getresponse()
        assert second.status == 404
        assert int(second.headers["Content-Length"]) == len(second.read())
        assert connection.sock is socket_before
    finally:
        connection.close()


def test_stop_refuses_connections_and_start_serves_the_same_url(server: KubeApiServer) -> None:
    url = server.url
    session = requests.Session()
    assert session.get(f"{url}/version", timeout=5).status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/version", timeout=5)
    server.start()
    assert server.url == url
    assert session.get(f"{url}/version", timeout=5).status_code == 200


def test_reset_returns_to_a_fresh_cluster(custom: Any, server: KubeApiServer) -> None:
    create_rr(custom, rr_body("rr-1"))
    server.add_token("t", TokenIdentity(username="u"))
    server.inject(path="^/version$", status=500)
    server.reset()
    assert server.objects(PLURAL) == []
    assert server.get_object("namespaces", "", NAMESPACE) is None
    assert server.get_object("namespaces", "", "default") is not None
    assert server.requests == []
    assert requests.get(f"{server.url}/version", timeout=5).status_code == 200
    review = requests.post(
        f"{server.url}/apis/authentication.k8s.io/v1/tokenreviews",
        json={"spec": {"token": "t"}},
        timeout=5,
    )
    assert review.json()["status"]["authenticated"] is False


def test_the_kubeconfig_carries_the_token_and_namespace(
    server: KubeApiServer, tmp_path: Path
) -> None:
    path = server.write_kubeconfig(tmp_path / "kc.yaml", token="tok-1", namespace=NAMESPACE)
    document = yaml.safe_load(path.read_text())
    assert document["users"][0]["user"]["token"] == "tok-1"
    assert document["contexts"][0]["context"]["namespace"] == NAMESPACE
    assert document["clusters"][0]["cluster"]["server"] == server.url
    loaded = client.Configuration()
    load_configuration(path, loaded)
    assert loaded.host == server.url
    assert loaded.api_key["BearerToken"] == "Bearer tok-1"


def test_any_crd_is_served_including_cluster_scoped_ones(tmp_path: Path) -> None:
    widget_crd = tmp_path / "widgets.yaml"
    widget_crd.write_text(WIDGET_CRD)
    with KubeApiServer(crd_paths=[CRD_PATH, widget_crd]) as server:
        api = new_api_client(server.write_kubeconfig(tmp_path / "kc"))
        try:
            custom: Any = client.CustomObjectsApi(api)
            body = {
                "apiVersion": "example.com/v1",
                "kind": "Widget",
                "metadata": {"name": "w"},
                "spec": {"size": 3, "colour": "red"},
                "status": {"ready": True},
            }
            created = custom.create_cluster_custom_object("example.com", "v1", "widgets", body)
            # No status subresource: status is an ordinary field; unknown fields are pruned.
            assert created["status"] == {"ready": True}
            assert created["spec"] == {"size": 3}
            assert "namespace" not in created["metadata"]
            with pytest.raises(ApiException) as caught:
                custom.patch_cluster_custom_object(
                    "example.com", "v1", "widgets", "w", {"spec": {"size": 11}}
                )
            assert caught.value.status == 422
            listed = custom.list_cluster_custom_object("example.com", "v1", "widgets")
            assert [i["metadata"]["name"] for i in listed["items"]] == ["w"]
        finally:
            api.close()
