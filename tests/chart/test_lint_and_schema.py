"""helm lint --strict, and values.schema.json refusing values of the wrong type."""

from __future__ import annotations

import pytest

from tests.chart.helm import ALL_ON, CHART, Helm, HelmFailed


def test_chart_lints_strictly_with_default_values(helm: Helm) -> None:
    output = helm.lint()
    assert "0 chart(s) failed" in output
    assert "[WARNING]" not in output


def test_chart_lints_strictly_with_every_switch_on(helm: Helm) -> None:
    output = helm.lint(values=[ALL_ON])
    assert "0 chart(s) failed" in output
    assert "[WARNING]" not in output


def test_every_default_value_is_commented_for_the_reader() -> None:
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()
    ancestors: list[tuple[int, bool]] = []  # (indent, commented) of the enclosing keys
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")):
            continue
        indent = len(line) - len(line.lstrip())
        ancestors = [(i, c) for i, c in ancestors if i < indent]
        commented = lines[number - 1].strip().startswith("#") or any(c for _, c in ancestors)
        if stripped.endswith(":"):
            ancestors.append((indent, commented))
        else:
            assert commented, f"values.yaml line {number + 1} has no comment: {line!r}"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("replicaCount", '"two"', "replicaCount: Invalid type. Expected: integer, given: string"),
        ("workers", '"x"', "workers: Invalid type. Expected: integer, given: string"),
        ("podDisruptionBudget.enabled", '"yes"', "Expected: boolean, given: string"),
        ("config.auth.mode", '"open"', "config.auth.mode"),
        ("config.identity.mode", '"pod"', "config.identity.mode"),
    ],
)
def test_a_value_of_the_wrong_type_fails_template_through_the_schema(
    helm: Helm, key: str, value: str, message: str
) -> None:
    with pytest.raises(HelmFailed) as failed:
        helm.template(sets={key: value})
    assert "values don't meet the specifications of the schema" in failed.value.output
    assert message in failed.value.output


def test_a_value_of_the_wrong_type_fails_lint_through_the_schema(helm: Helm, tmp_path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text('replicaCount: "two"\n', encoding="utf-8")
    with pytest.raises(HelmFailed) as failed:
        helm.lint(values=[broken])
    assert "replicaCount: Invalid type. Expected: integer, given: string" in failed.value.output
    assert "1 chart(s) failed" in failed.value.output


def test_an_unknown_value_is_refused_so_typos_do_not_pass_silently(helm: Helm) -> None:
    with pytest.raises(HelmFailed) as failed:
        helm.template(sets={"replicas": "3"})
    assert "Additional property replicas is not allowed" in failed.value.output


def test_an_unknown_config_section_is_refused(helm: Helm) -> None:
    with pytest.raises(HelmFailed) as failed:
        helm.template(sets={"config.sever": '{"threads": 8}'})
    assert "Additional property sever is not allowed" in failed.value.output
