"""NOTES.txt: how to reach the gateway and how to point Alertmanager at it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.chart.helm import FULLNAME, NAMESPACE, Helm

WEBHOOK = f"http://{FULLNAME}.{NAMESPACE}:8080/api/v1/signals/prometheus"


def _receiver(notes: str) -> dict[str, object]:
    """Parse the Alertmanager receiver snippet out of the notes."""
    lines = notes.splitlines()
    start = lines.index("  receivers:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())
    snippet = yaml.safe_load("\n".join(lines[start:end]))
    (receiver,) = snippet["receivers"]
    webhook: dict[str, object] = receiver["webhook_configs"][0]
    return webhook


def test_notes_give_an_alertmanager_receiver_that_sends_a_token(helm: Helm, tmp_path: Path) -> None:
    notes = helm.notes(workdir=tmp_path)
    assert _receiver(notes) == {
        "url": WEBHOOK,
        "send_resolved": True,
        "max_alerts": 50,
        "http_config": {
            "authorization": {
                "credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"
            }
        },
    }
    assert "projected ServiceAccount token" in notes


def test_notes_say_the_sender_must_be_bound_to_the_signal_sender_role(
    helm: Helm, tmp_path: Path
) -> None:
    notes = helm.notes(
        workdir=tmp_path, sets={"senders": '[{"name": "am", "namespace": "monitoring"}]'}
    )
    assert f"--clusterrole={FULLNAME}-signal-sender" in notes
    assert f"kubectl -n {NAMESPACE} create rolebinding" in notes
    assert "Bound now: monitoring/am" in notes
    assert f"port-forward svc/{FULLNAME}" in notes


def test_notes_warn_when_authentication_is_off(helm: Helm, tmp_path: Path) -> None:
    notes = helm.notes(workdir=tmp_path, sets={"config.auth": '{"mode": "none"}'})
    assert "WARNING: authentication is off" in notes
    assert "http_config" not in notes
    assert _receiver(notes)["url"] == WEBHOOK
