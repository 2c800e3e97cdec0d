from pathlib import Path

import pytest

from app.config import Config, ConfigError
from app.settings import markdown_table, settings_of

README = Path(__file__).resolve().parents[2] / "README.md"
PRINT = (
    "python -c 'from app.config import Config; from app.settings import markdown_table; "
    'print(markdown_table(Config), end="")\' prints it'
)


def test_defaults_follow_the_contract():
    config = Config.from_environ({})
    assert config.bind == "0.0.0.0:8080"
    assert config.max_body_bytes == 512 * 1024
    assert config.dedup_ttl == 300
    assert config.fallback_namespace == "kubernaut-system"
    assert config.auth_mode == "kubernetes"
    assert config.kubernetes_retry_budget == 5
    assert config.priorities["critical"]["production"] == "P0"
    assert config.priorities["info"]["*"] == "P3"


def test_environment_variables_override_the_yaml_file(tmp_path):
    path = tmp_path / "gateway.yaml"
    path.write_text(
        "server:\n  workers: 3\nredis:\n  url: redis://from-file:6379/0\n"
        "classification:\n  environments:\n    payments: prod\n"
        "  priorities:\n    warning:\n      production: P0\n"
    )
    config = Config.from_environ(
        {"GATEWAY_CONFIG": str(path), "REDIS_URL": "redis://from-env:6379/1"}
    )
    assert config.workers == 3
    assert config.redis_url == "redis://from-env:6379/1"
    assert config.environments == {"payments": "production"}
    assert config.priorities["warning"]["production"] == "P0"
    assert config.priorities["warning"]["staging"] == "P2"


def test_every_bad_value_is_reported_at_once(tmp_path):
    path = tmp_path / "gateway.yaml"
    path.write_text("server:\n  workerz: 2\nclassification:\n  defaultSeverity: loud\n")
    with pytest.raises(ConfigError) as caught:
        Config.from_environ(
            {
                "GATEWAY_CONFIG": str(path),
                "GATEWAY_WORKERS": "zero",
                "GATEWAY_AUTH_MODE": "maybe",
                "GATEWAY_DEDUP_TTL": "-1",
            }
        )
    message = str(caught.value)
    for culprit in (
        "server.workerz",
        "GATEWAY_WORKERS",
        "GATEWAY_AUTH_MODE",
        "GATEWAY_DEDUP_TTL",
        "defaultSeverity",
    ):
        assert culprit in message
    assert len(caught.value.problems) == 5


def test_priority_matrix_rejects_unknown_priorities():
    with pytest.raises(ConfigError, match="not P0-P3"):
        Config.build({"priorities": {"critical": {"production": "P9"}}})


def test_the_readme_configuration_table_is_the_one_the_declarations_make():
    expected = markdown_table(Config)
    readme = README.read_text(encoding="utf-8")
    start = readme.index("| YAML key |")
    table = readme[start : readme.index("\n\n", start) + 1]
    assert table == expected, f"README.md's configuration table should read ({PRINT}):\n{expected}"


def test_no_two_settings_share_a_yaml_key_or_a_variable():
    settings = settings_of(Config).values()
    keys = [each.key for each in settings]
    variables = [each.env for each in settings if each.env]
    assert len(set(keys)) == len(keys)
    assert len(set(variables)) == len(variables)


@pytest.mark.parametrize(
    ("values", "culprit"),
    [
        ({"redis_url": "mongodb://x"}, "redis.url"),
        ({"redis_url": "redis+sentinel://:secret-pw@h:1"}, "redis.url"),
        ({"drain_seconds": "30"}, "server.drainSeconds"),
        ({"storm_quiet_period": "10"}, "storm.quietSeconds"),
        ({"severity_aliases": "page=loud"}, "'loud'"),
        ({"priorities": {"urgent": {"production": "P0"}}}, "unknown severity 'urgent'"),
        ({"environments": "payments=Prod Env"}, "classification.environments.payments"),
        ({"workers": True}, "server.workers"),
        ({"breaker_failure_ratio": "1.5"}, "kubernetes.breaker.failureRatio"),
        ({"max_requests": "-1"}, "server.maxRequests"),
        ({"environments": "payments"}, "classification.environments"),
        ({"priorities": "P0"}, "classification.priorities"),
        ({"critical_event_reasons": 5}, "classification.criticalEventReasons"),
        ({"bind": ""}, "server.bind"),
        ({"resource_index": "maybe"}, "kubernetes.resourceIndex"),
    ],
)
def test_each_kind_of_bad_value_is_named(values, culprit):
    with pytest.raises(ConfigError) as caught:
        Config.build(values)
    assert culprit in str(caught.value)
    assert "secret-pw" not in str(caught.value)


@pytest.mark.parametrize(("raw", "expected"), [("off", False), ("Yes", True), (False, False)])
def test_a_switch_takes_a_yaml_boolean_or_the_usual_words(raw, expected):
    assert Config.build({"resource_index": raw}).resource_index is expected


def test_an_unreadable_or_malformed_file_is_reported(tmp_path):
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        Config.from_file(listed)
    with pytest.raises(ConfigError, match="cannot read"):
        Config.from_file(tmp_path / "missing.yaml")


def test_lists_and_mappings_are_accepted_in_yaml_and_in_variables(tmp_path):
    path = tmp_path / "gateway.yaml"
    path.write_text("classification:\n  criticalEventReasons: [OOMKilled, BackOff]\n")
    from_file = Config.from_file(path)
    from_env = Config.from_environ({"GATEWAY_CRITICAL_EVENT_REASONS": "OOMKilled, BackOff"})
    assert (
        from_file.critical_event_reasons
        == from_env.critical_event_reasons
        == (
            "OOMKilled",
            "BackOff",
        )
    )
