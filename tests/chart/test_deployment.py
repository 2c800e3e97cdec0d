"""The gateway's Deployment: command, environment, volumes, probes and security."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.config import Config
from tests.chart.helm import (
    FULLNAME,
    NAMESPACE,
    Helm,
    Manifest,
    env_of,
    gateway_container,
    one,
)

CONFIG_PATH = "/etc/kubernaut-gateway/gateway.yaml"
METRICS_DIR = "/var/run/kubernaut-gateway/metrics"


def _pod(manifests: list[Manifest]) -> Manifest:
    spec: Manifest = one(manifests, "Deployment")["spec"]["template"]["spec"]
    return spec


def _gateway_yaml(manifests: list[Manifest]) -> Manifest:
    config: Manifest = yaml.safe_load(one(manifests, "ConfigMap", FULLNAME)["data"]["gateway.yaml"])
    return config


def test_pod_security_context_is_exactly_the_restricted_one(
    default_manifests: list[Manifest],
) -> None:
    assert _pod(default_manifests)["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_container_security_context_is_exactly_the_restricted_one(
    default_manifests: list[Manifest],
) -> None:
    assert gateway_container(default_manifests)["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def test_container_runs_the_production_server_on_port_8080_named_http(
    default_manifests: list[Manifest],
) -> None:
    container = gateway_container(default_manifests)
    assert [*container["command"], *container["args"]] == ["kubernaut-gateway", "serve"]
    assert container["image"] == "ghcr.io/kubernaut/kubernaut-gateway:0.1.0"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    env = env_of(container)
    assert env["GATEWAY_BIND"]["value"] == "0.0.0.0:8080"
    assert env["GATEWAY_WORKERS"]["value"] == "2"


def test_image_tag_and_workers_come_from_values(all_on_manifests: list[Manifest]) -> None:
    container = gateway_container(all_on_manifests)
    assert container["image"] == "registry.example.com/kubernaut/kubernaut-gateway:0.1.0-rc1"
    assert env_of(container)["GATEWAY_WORKERS"]["value"] == "4"


def test_probes_ask_healthz_for_liveness_and_readyz_for_readiness(
    default_manifests: list[Manifest],
) -> None:
    container = gateway_container(default_manifests)
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_default_resources_request_cpu_and_memory_and_limit_memory(
    default_manifests: list[Manifest],
) -> None:
    assert gateway_container(default_manifests)["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": "512Mi"},
    }


def test_pods_run_two_replicas_as_the_gateway_service_account_with_a_token(
    default_manifests: list[Manifest],
) -> None:
    deployment = one(default_manifests, "Deployment")
    pod = _pod(default_manifests)
    assert deployment["spec"]["replicas"] == 2
    assert pod["serviceAccountName"] == FULLNAME
    assert pod["automountServiceAccountToken"] is True
    assert pod["terminationGracePeriodSeconds"] == 30
    account = one(default_manifests, "ServiceAccount", FULLNAME)
    assert account["automountServiceAccountToken"] is True


def test_metrics_directory_is_an_empty_dir_mounted_where_prometheus_multiproc_dir_points(
    default_manifests: list[Manifest],
) -> None:
    container = gateway_container(default_manifests)
    volumes = {v["name"]: v for v in _pod(default_manifests)["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert env_of(container)["PROMETHEUS_MULTIPROC_DIR"]["value"] == METRICS_DIR
    assert volumes[mounts[METRICS_DIR]] == {"name": mounts[METRICS_DIR], "emptyDir": {}}
    assert volumes[mounts["/tmp"]] == {"name": mounts["/tmp"], "emptyDir": {}}


def test_gateway_config_points_at_the_mounted_config_map(
    default_manifests: list[Manifest],
) -> None:
    container = gateway_container(default_manifests)
    assert env_of(container)["GATEWAY_CONFIG"]["value"] == CONFIG_PATH
    mount = next(
        m for m in container["volumeMounts"] if m["mountPath"] == str(Path(CONFIG_PATH).parent)
    )
    volume = next(v for v in _pod(default_manifests)["volumes"] if v["name"] == mount["name"])
    config_map = one(default_manifests, "ConfigMap", FULLNAME)
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert Path(CONFIG_PATH).name in config_map["data"]


def test_default_config_authenticates_callers_in_the_release_namespace(
    default_manifests: list[Manifest],
) -> None:
    assert _gateway_yaml(default_manifests) == {
        "auth": {"mode": "kubernetes", "namespace": NAMESPACE},
        "identity": {"mode": "resource"},
        "kubernetes": {"fallbackNamespace": NAMESPACE},
    }


def test_values_config_reaches_the_config_map(all_on_manifests: list[Manifest]) -> None:
    config = _gateway_yaml(all_on_manifests)
    assert config["auth"] == {
        "mode": "kubernetes",
        "namespace": "kubernaut-auth",
        "audiences": ["kubernaut-gateway"],
    }
    assert config["kubernetes"] == {"fallbackNamespace": "kubernaut-fallback"}
    assert config["classification"]["priorities"] == {"warning": {"production": "P0"}}
    assert config["server"] == {"threads": 8, "gracefulTimeoutSeconds": 15}


def test_rendered_config_is_one_the_gateway_accepts(
    default_manifests: list[Manifest], all_on_manifests: list[Manifest], tmp_path: Path
) -> None:
    modes = {"default": "resource", "all-on": "workload"}
    for name, manifests in {"default": default_manifests, "all-on": all_on_manifests}.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            one(manifests, "ConfigMap", FULLNAME)["data"]["gateway.yaml"], encoding="utf-8"
        )
        assert Config.from_file(path).auth_mode == "kubernetes"
        assert Config.from_file(path).identity_mode == modes[name]


def test_a_config_change_rolls_the_pods(helm: Helm, default_manifests: list[Manifest]) -> None:
    changed = helm.template(sets={"config.logging": '{"level": "DEBUG"}'})
    before = one(default_manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    after = one(changed, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert len(before["checksum/config"]) == 64
    assert before["checksum/config"] != after["checksum/config"]


def test_redis_url_is_a_plain_value_by_default(default_manifests: list[Manifest]) -> None:
    redis_url = env_of(gateway_container(default_manifests))["REDIS_URL"]
    assert redis_url == {"name": "REDIS_URL", "value": "redis://redis:6379/0"}


def test_redis_url_comes_from_the_existing_secret_when_one_is_named(
    all_on_manifests: list[Manifest],
) -> None:
    redis_url = env_of(gateway_container(all_on_manifests))["REDIS_URL"]
    assert redis_url == {
        "name": "REDIS_URL",
        "valueFrom": {"secretKeyRef": {"name": "kubernaut-redis", "key": "url"}},
    }
    assert "redis" not in _gateway_yaml(all_on_manifests)


def test_the_service_sends_port_8080_to_the_http_port_of_the_gateway_pods(
    default_manifests: list[Manifest],
) -> None:
    service = one(default_manifests, "Service")
    deployment = one(default_manifests, "Deployment")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]


def test_every_resource_carries_the_standard_labels(all_on_manifests: list[Manifest]) -> None:
    for manifest in all_on_manifests:
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "kubernaut-gateway", manifest["kind"]
        assert labels["app.kubernetes.io/instance"] == "kgw"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "kubernaut-gateway-0.1.0"
