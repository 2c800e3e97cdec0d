"""Optional integrations are off by default and appear when switched on; refusals are clear."""

from __future__ import annotations

import pytest

from tests.chart.helm import FULLNAME, NAMESPACE, Helm, HelmFailed, Manifest, find, one


@pytest.mark.parametrize(
    "kind",
    ["HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "PrometheusRule", "RoleBinding"],
)
def test_optional_integrations_are_off_by_default(
    default_manifests: list[Manifest], kind: str
) -> None:
    assert find(default_manifests, kind) == []


def test_pod_disruption_budget_keeps_one_pod_by_default(
    default_manifests: list[Manifest],
) -> None:
    budget = one(default_manifests, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "kubernaut-gateway",
        "app.kubernetes.io/instance": "kgw",
    }


def test_pod_disruption_budget_can_be_switched_off(helm: Helm) -> None:
    manifests = helm.template(sets={"podDisruptionBudget.enabled": "false"})
    assert find(manifests, "PodDisruptionBudget") == []


def test_autoscaler_scales_the_deployment_which_then_leaves_replicas_to_it(
    all_on_manifests: list[Manifest],
) -> None:
    autoscaler = one(all_on_manifests, "HorizontalPodAutoscaler")
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": FULLNAME,
    }
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (3, 10)
    targets = {
        m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
        for m in autoscaler["spec"]["metrics"]
    }
    assert targets == {"cpu": 70, "memory": 80}
    assert "replicas" not in one(all_on_manifests, "Deployment")["spec"]


def test_network_policy_admits_port_8080_from_the_selected_namespaces_only(
    all_on_manifests: list[Manifest],
) -> None:
    policy = one(all_on_manifests, "NetworkPolicy")
    assert policy["spec"]["ingress"] == [
        {
            "ports": [{"port": "http", "protocol": "TCP"}],
            "from": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    },
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "alertmanager"}},
                }
            ],
        }
    ]
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert len(policy["spec"]["egress"]) == 3


def test_network_policy_leaves_egress_unrestricted_unless_rules_are_given(helm: Helm) -> None:
    policy = one(helm.template(sets={"networkPolicy.enabled": "true"}), "NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert "egress" not in policy["spec"]
    assert policy["spec"]["ingress"][0]["from"] == [{"namespaceSelector": {}, "podSelector": {}}]


def test_service_monitor_scrapes_metrics_on_the_http_port(
    all_on_manifests: list[Manifest],
) -> None:
    monitor = one(all_on_manifests, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["endpoints"] == [
        {"port": "http", "path": "/metrics", "interval": "15s", "scrapeTimeout": "5s"}
    ]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


def test_prometheus_rule_takes_every_setting_of_the_all_on_values(
    all_on_manifests: list[Manifest],
) -> None:
    rule = one(all_on_manifests, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["namespace"] == "monitoring"
    assert rule["metadata"]["labels"]["release"] == "prometheus"
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert "KubernautGatewayNoReadyReplica" not in alerts
    assert len(alerts) == 10
    latency = alerts["KubernautGatewayHighLatency"]
    assert latency["expr"].endswith("> 0.5")
    assert latency["for"] == "15m"
    assert latency["annotations"]["runbook_url"] == (
        "https://runbooks.example.com/kubernaut-gateway/kubernautgatewayhighlatency"
    )
    assert f'job="{FULLNAME}",namespace="{NAMESPACE}"' in alerts["KubernautGatewayDown"]["expr"]


def test_helm_test_pod_asks_readyz_from_a_restricted_pod(
    default_manifests: list[Manifest],
) -> None:
    (pod,) = [
        m for m in find(default_manifests, "Pod") if m["metadata"]["name"].endswith("-test-readyz")
    ]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["spec"]["containers"]
    assert container["image"].startswith("curlimages/curl:")
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert f"http://{FULLNAME}.{NAMESPACE}:8080/readyz" in container["args"]


def test_the_crd_is_rendered_only_with_include_crds(
    helm: Helm, default_manifests: list[Manifest]
) -> None:
    assert find(default_manifests, "CustomResourceDefinition") == []
    crd = one(helm.template(include_crds=True), "CustomResourceDefinition")
    assert crd["metadata"]["name"] == "remediationrequests.remediation.kubernaut.io"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"config.redis": '{"url": "redis://:secret@redis:6379/0"}'}, "config.redis.url"),
        ({"config.server": '{"workers": 8}'}, "config.server.workers is set by the chart"),
        ({"redis.url": '""'}, "set redis.url or redis.existingSecret.name"),
    ],
)
def test_values_the_chart_owns_or_needs_are_refused_with_a_clear_message(
    helm: Helm, sets: dict[str, str], message: str
) -> None:
    with pytest.raises(HelmFailed) as failed:
        helm.template(sets=sets)
    assert message in failed.value.output
