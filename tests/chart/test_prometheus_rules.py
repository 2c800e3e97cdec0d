"""The chart's alerts, checked and unit-tested by the real promtool on the rules Helm renders."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helm import Helm, Manifest, one
from tests.support.prometheus import promtool, write_rules

UNIT_TESTS = Path(__file__).resolve().parent / "rules.test.yaml"
README = Path(__file__).resolve().parents[2] / "README.md"
RULES_NAME = "kubernaut-gateway-rules.yaml"  # the rule file rules.test.yaml names
ON = {"prometheusRule.enabled": "true"}


def _rule(helm: Helm, **sets: str) -> Manifest:
    return one(helm.template(sets={**ON, **sets}), "PrometheusRule")


def _alerts(rule: Manifest) -> list[dict[str, Any]]:
    return [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]


def _unit_test_dir(rule: Manifest, workdir: Path) -> Path:
    """Put the rendered rules beside a copy of rules.test.yaml, as that file expects."""
    write_rules(rule, workdir / RULES_NAME)
    shutil.copy(UNIT_TESTS, workdir / UNIT_TESTS.name)
    return workdir


@pytest.fixture(scope="module")
def default_rule(helm: Helm) -> Manifest:
    return _rule(helm)


def test_promtool_accepts_the_rendered_rules(default_rule: Manifest, tmp_path: Path) -> None:
    done = promtool("check", "rules", write_rules(default_rule, tmp_path / RULES_NAME))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_alerts(default_rule))} rules found" in done.stdout


def test_promtool_unit_tests_of_every_alert_pass(default_rule: Manifest, tmp_path: Path) -> None:
    workdir = _unit_test_dir(default_rule, tmp_path)
    done = promtool("test", "rules", UNIT_TESTS.name, cwd=workdir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_the_unit_tests_fail_when_a_threshold_changes(helm: Helm, tmp_path: Path) -> None:
    rule = _rule(helm, **{"prometheusRule.alerts.signalsNotRecorded.ratio": "0.5"})
    done = promtool("test", "rules", UNIT_TESTS.name, cwd=_unit_test_dir(rule, tmp_path))
    assert done.returncode != 0
    assert "alertname: KubernautGatewaySignalsNotRecorded" in done.stdout + done.stderr


def test_promtool_refuses_a_broken_expression(default_rule: Manifest, tmp_path: Path) -> None:
    broken = yaml.safe_load(yaml.safe_dump(default_rule))
    broken["spec"]["groups"][0]["rules"][0]["expr"] = "sum by (job (up)"
    done = promtool("check", "rules", write_rules(broken, tmp_path / RULES_NAME))
    assert done.returncode != 0


def test_every_alert_has_a_firing_and_a_quiet_unit_test(default_rule: Manifest) -> None:
    cases = [
        case
        for group in yaml.safe_load(UNIT_TESTS.read_text())["tests"]
        for case in group.get("alert_rule_test", [])
    ]
    names = {alert["alert"] for alert in _alerts(default_rule)}
    fires = {c["alertname"] for c in cases if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    assert names - fires == set(), "alerts never seen firing"
    assert names - quiet == set(), "alerts never seen quiet"
    assert {c["alertname"] for c in cases} <= names, "tests of alerts the chart does not have"


def test_every_alert_has_a_severity_a_summary_a_description_and_a_runbook(
    default_rule: Manifest,
) -> None:
    alerts = _alerts(default_rule)
    assert len(alerts) == 11
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning"}, alert["alert"]
        assert set(alert["annotations"]) == {"summary", "description", "runbook_url"}
        assert alert["annotations"]["runbook_url"] == (
            "https://github.com/kubernaut/kubernaut-gateway/blob/main/README.md#"
            + alert["alert"].lower()
        )
        assert alert["for"], alert["alert"]


def test_thresholds_durations_and_severities_come_from_values(helm: Helm) -> None:
    slow = '{"seconds": 2.5, "for": "3m", "severity": "info"}'
    rule = _rule(
        helm,
        **{
            "prometheusRule.alerts.highLatency": slow,
            "prometheusRule.alerts.rateLimited.ratio": "0.25",
        },
    )
    alerts = {a["alert"]: a for a in _alerts(rule)}
    latency = alerts["KubernautGatewayHighLatency"]
    assert latency["expr"].endswith("> 2.5")
    assert (latency["for"], latency["labels"]["severity"]) == ("3m", "info")
    assert alerts["KubernautGatewayRateLimited"]["expr"].endswith("> 0.25")


def test_rule_object_takes_its_namespace_labels_selector_and_runbook_from_values(
    helm: Helm,
) -> None:
    rule = _rule(
        helm,
        **{
            "prometheusRule.namespace": '"monitoring"',
            "prometheusRule.additionalLabels": '{"release": "kube-prometheus-stack"}',
            "prometheusRule.runbookUrl": '"https://runbooks.example.com/kgw/"',
            "prometheusRule.selector": '"job=\\"gateway\\""',
        },
    )
    assert rule["metadata"]["namespace"] == "monitoring"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    down = _alerts(rule)[0]
    assert (
        down["annotations"]["runbook_url"]
        == "https://runbooks.example.com/kgw/kubernautgatewaydown"
    )
    assert (
        down["expr"]
        == 'sum by (namespace, job) (up{job="gateway"}) == 0\nor\nabsent(up{job="gateway"})'
    )


def test_alerts_can_be_left_out_by_name(helm: Helm) -> None:
    rule = _rule(helm, **{"prometheusRule.disabled": '{"KubernautGatewayHighLatency": true}'})
    names = [a["alert"] for a in _alerts(rule)]
    assert "KubernautGatewayHighLatency" not in names
    assert len(names) == 10


def test_the_index_alert_is_left_out_when_the_resource_index_is_off(helm: Helm) -> None:
    rule = _rule(helm, **{"config.kubernetes": '{"resourceIndex": false}'})
    names = [a["alert"] for a in _alerts(rule)]
    assert "KubernautGatewayResourceIndexNotSynced" not in names
    assert len(names) == 10


def test_every_alert_has_its_row_in_the_readme_where_its_runbook_url_points(
    default_rule: Manifest,
) -> None:
    readme = README.read_text()
    for alert in _alerts(default_rule):
        anchor = alert["annotations"]["runbook_url"].rpartition("#")[2]
        assert f'<a id="{anchor}"></a>`{alert["alert"]}`' in readme, alert["alert"]
