"""RBAC: the gateway gets exactly what its code calls; signal senders get exactly what it checks."""

from __future__ import annotations

from tests.chart.helm import FULLNAME, NAMESPACE, Helm, Manifest, find, one

GATEWAY_RULES = [
    # create one per problem; list and watch the active ones (or list by label on a Redis miss)
    {
        "apiGroups": ["remediation.kubernaut.io"],
        "resources": ["remediationrequests"],
        "verbs": ["create", "list", "watch", "patch"],
    },
    # status.deduplication and status.stormAggregation
    {
        "apiGroups": ["remediation.kubernaut.io"],
        "resources": ["remediationrequests/status"],
        "verbs": ["patch"],
    },
    # does the signal's namespace exist, and its environment label
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    {"apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"], "verbs": ["create"]},
    {
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["subjectaccessreviews"],
        "verbs": ["create"],
    },
]

# identity.mode workload: a signal's pod, ReplicaSet or Job, for its controller
WORKLOAD_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get"]},
]

SENDER_RULES = [
    {
        "apiGroups": ["remediation.kubernaut.io"],
        "resources": ["remediationrequests"],
        "verbs": ["create"],
    },
]


def test_gateway_cluster_role_has_exactly_the_rules_the_code_calls(
    default_manifests: list[Manifest],
) -> None:
    assert one(default_manifests, "ClusterRole", FULLNAME)["rules"] == GATEWAY_RULES


def test_workload_identity_adds_get_on_pods_replicasets_and_jobs_and_only_then(
    default_manifests: list[Manifest], all_on_manifests: list[Manifest]
) -> None:
    workload = one(all_on_manifests, "ClusterRole", FULLNAME)["rules"]
    assert workload == GATEWAY_RULES + WORKLOAD_RULES
    default = one(default_manifests, "ClusterRole", FULLNAME)["rules"]
    assert not [rule for rule in default if rule in WORKLOAD_RULES]


def test_gateway_cluster_role_is_bound_to_the_gateway_service_account(
    all_on_manifests: list[Manifest],
) -> None:
    binding = one(all_on_manifests, "ClusterRoleBinding", FULLNAME)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": FULLNAME,
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "gateway", "namespace": NAMESPACE}
    ]
    assert one(all_on_manifests, "ServiceAccount")["metadata"]["name"] == "gateway"


def test_signal_sender_cluster_role_allows_exactly_what_the_access_review_checks(
    default_manifests: list[Manifest],
) -> None:
    role = one(default_manifests, "ClusterRole", f"{FULLNAME}-signal-sender")
    assert role["rules"] == SENDER_RULES


def test_no_sender_is_bound_by_default(default_manifests: list[Manifest]) -> None:
    assert find(default_manifests, "RoleBinding") == []


def test_senders_are_bound_to_the_signal_sender_role_in_the_auth_namespace(
    all_on_manifests: list[Manifest],
) -> None:
    binding = one(all_on_manifests, "RoleBinding", f"{FULLNAME}-signal-sender")
    assert binding["metadata"]["namespace"] == "kubernaut-auth"
    assert binding["roleRef"]["kind"] == "ClusterRole"
    assert binding["roleRef"]["name"] == f"{FULLNAME}-signal-sender"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "alertmanager-main", "namespace": "monitoring"},
        {"kind": "ServiceAccount", "name": "event-exporter", "namespace": "kube-events"},
    ]


def test_senders_are_bound_in_the_release_namespace_when_auth_namespace_is_not_set(
    helm: Helm,
) -> None:
    manifests = helm.template(sets={"senders": '[{"name": "am", "namespace": "monitoring"}]'})
    binding = one(manifests, "RoleBinding")
    assert binding["metadata"]["namespace"] == NAMESPACE


def test_rbac_off_creates_no_roles_or_bindings(helm: Helm) -> None:
    manifests = helm.template(sets={"rbac.create": "false"})
    for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"):
        assert find(manifests, kind) == [], kind
