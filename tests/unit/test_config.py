from dataclasses import fields
from pathlib import Path

import pytest

from app.config import SETTINGS, Config, ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"


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


def test_every_setting_is_a_config_field_and_is_documented_in_the_readme():
    assert {s.attr for s in SETTINGS} == {f.name for f in fields(Config)}
    readme = README.read_text()
    for setting in SETTINGS:
        assert f"`{setting.key}`" in readme, setting.key
        if setting.env:
            assert f"`{setting.env}`" in readme, setting.env
