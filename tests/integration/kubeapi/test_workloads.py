"""Built-in kinds as kube-apiserver serves them: objects with owners, 404s and RBAC's 403s."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.support import workloads
from tests.support.kubeapi import KubeApiServer

from .helpers import NAMESPACE, status_of


def test_apps_and_batch_discovery_list_the_workload_kinds(api_client: Any) -> None:
    apps = client.AppsV1Api(api_client).get_api_resources().resources
    batch = client.BatchV1Api(api_client).get_api_resources().resources
    assert {r.kind for r in apps} == {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}
    assert {r.kind for r in batch} == {"Job", "CronJob"}


def test_a_deployments_pods_name_their_replica_set_which_names_the_deployment(
    server: KubeApiServer, api_client: Any, core: Any
) -> None:
    made = workloads.deployment(server, NAMESPACE, "api", replicas=3)

    pods = [core.read_namespaced_pod(name, NAMESPACE) for name in made.pods]
    replica_set = client.AppsV1Api(api_client).read_namespaced_replica_set(made.middle, NAMESPACE)

    assert {p.metadata.owner_references[0].name for p in pods} == {made.middle}
    assert all(p.metadata.owner_references[0].controller for p in pods)
    (owner,) = replica_set.metadata.owner_references
    assert (owner.kind, owner.name, owner.api_version) == ("Deployment", "api", "apps/v1")
    assert [p.metadata.name for p in core.list_namespaced_pod(NAMESPACE).items] == sorted(made.pods)


def test_a_cronjobs_pod_names_its_job_which_names_the_cronjob(
    server: KubeApiServer, api_client: Any, core: Any
) -> None:
    made = workloads.cronjob(server, NAMESPACE, "report")
    (pod,) = made.pods
    job = client.BatchV1Api(api_client).read_namespaced_job(made.middle, NAMESPACE)
    assert core.read_namespaced_pod(pod, NAMESPACE).metadata.owner_references[0].kind == "Job"
    assert job.metadata.owner_references[0].kind == "CronJob"


def test_a_missing_object_is_404_not_found_named_like_kube(api_client: Any) -> None:
    with pytest.raises(ApiException) as caught:
        client.AppsV1Api(api_client).read_namespaced_replica_set("gone", NAMESPACE)
    status = status_of(caught.value)
    assert (caught.value.status, status["reason"]) == (404, "NotFound")
    assert status["message"] == 'replicasets.apps "gone" not found'


def test_a_deleted_pod_is_gone(server: KubeApiServer, core: Any) -> None:
    made = workloads.bare_pod(server, NAMESPACE, "lonely")
    server.delete_object("Pod", NAMESPACE, "lonely")
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod(made.name, NAMESPACE)
    assert caught.value.status == 404


def test_a_denied_verb_is_403_forbidden_in_its_namespace_only(
    server: KubeApiServer, core: Any
) -> None:
    workloads.bare_pod(server, NAMESPACE, "p")
    server.add_namespace("team-b")
    workloads.bare_pod(server, "team-b", "p")
    server.deny(verb="get", resource="pods", namespace=NAMESPACE)

    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod("p", NAMESPACE)

    status = status_of(caught.value)
    assert (caught.value.status, status["reason"]) == (403, "Forbidden")
    assert status["message"].startswith('pods "p" is forbidden: User "')
    assert status["message"].endswith(
        'cannot get resource "pods" in API group "" in the namespace "team-a"'
    )
    assert core.read_namespaced_pod("p", "team-b").metadata.name == "p"
    assert core.list_namespaced_pod(NAMESPACE).items  # list is another verb
    server.clear_faults()
    assert core.read_namespaced_pod("p", NAMESPACE).metadata.name == "p"
