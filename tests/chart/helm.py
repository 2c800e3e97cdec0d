"""Run the real Helm binary against the chart and parse what it renders."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "kubernaut-gateway"
ALL_ON = Path(__file__).resolve().parent / "values-all-on.yaml"
ENSURE_HELM = ROOT / "scripts" / "ensure-helm.sh"
HELM = ROOT / ".tools" / "helm"
RELEASE = "kgw"
NAMESPACE = "kubernaut-system"
FULLNAME = f"{RELEASE}-kubernaut-gateway"

Manifest = dict[str, Any]


class HelmFailed(Exception):
    """Helm exited non-zero; the message is its output."""

    def __init__(self, args: list[str], output: str) -> None:
        super().__init__(f"helm {' '.join(args)} failed:\n{output}")
        self.output = output


def ensure_helm() -> Path:
    """Fetch Helm with scripts/ensure-helm.sh; raise RuntimeError saying why when that fails."""
    if shutil.which("bash") is None:
        raise RuntimeError("bash is needed to run scripts/ensure-helm.sh")
    done = subprocess.run(
        ["bash", str(ENSURE_HELM)], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0 or not HELM.is_file():
        raise RuntimeError(
            f"scripts/ensure-helm.sh could not provide {HELM} (exit {done.returncode}):\n"
            f"{done.stdout}{done.stderr}"
        )
    return HELM


@dataclass(frozen=True)
class Helm:
    """The Helm binary, isolated from the user's Helm configuration."""

    binary: Path
    home: Path

    def run(self, args: list[str]) -> str:
        """Run helm; return stdout, or raise HelmFailed with everything it printed."""
        env = {
            **os.environ,
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
            "KUBECONFIG": str(self.home / "no-kubeconfig"),
        }
        done = subprocess.run(
            [str(self.binary), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise HelmFailed(args, done.stdout + done.stderr)
        return done.stdout

    def lint(self, *, values: Iterable[Path] = (), chart: Path = CHART) -> str:
        """Lint the chart strictly with the given values files."""
        return self.run(["lint", "--strict", str(chart), *_values_args(values, {})])

    def template(
        self,
        *,
        values: Iterable[Path] = (),
        sets: Mapping[str, str] | None = None,
        include_crds: bool = False,
        chart: Path = CHART,
    ) -> list[Manifest]:
        """Render the chart as the release kgw in kubernaut-system; return its documents."""
        args = ["template", RELEASE, str(chart), "--namespace", NAMESPACE]
        if include_crds:
            args.append("--include-crds")
        rendered = self.run([*args, *_values_args(values, sets or {})])
        return [doc for doc in yaml.safe_load_all(rendered) if doc]

    def notes(self, *, workdir: Path, sets: Mapping[str, str] | None = None) -> str:
        """Render templates/NOTES.txt, which `helm template` leaves out, from a copy of the chart.

        The copy wraps NOTES.txt in a named template and one ConfigMap that carries its output.
        """
        chart = workdir / CHART.name
        shutil.copytree(CHART, chart)
        notes = (chart / "templates" / "NOTES.txt").read_text(encoding="utf-8")
        (chart / "templates" / "_notes-under-test.tpl").write_text(
            '{{- define "notes-under-test" -}}\n' + notes + "\n{{- end }}\n", encoding="utf-8"
        )
        (chart / "templates" / "notes-under-test.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n"
            'data: {notes: {{ include "notes-under-test" . | toJson }}}\n',
            encoding="utf-8",
        )
        rendered = self.run(
            [
                "template",
                RELEASE,
                str(chart),
                "--namespace",
                NAMESPACE,
                "--show-only",
                "templates/notes-under-test.yaml",
                *_values_args((), sets or {}),
            ]
        )
        text: str = yaml.safe_load(rendered)["data"]["notes"]
        return text


def _values_args(values: Iterable[Path], sets: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for path in values:
        args += ["--values", str(path)]
    for key, value in sets.items():
        args += ["--set-json", f"{key}={value}"]
    return args


def find(manifests: list[Manifest], kind: str, name: str | None = None) -> list[Manifest]:
    """Return the documents of one kind (and name, when given)."""
    return [
        m
        for m in manifests
        if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
    ]


def one(manifests: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    """Return the only document of one kind (and name); fail when there is not exactly one."""
    found = find(manifests, kind, name)
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
    return found[0]


def gateway_container(manifests: list[Manifest]) -> Manifest:
    """Return the gateway container of the Deployment."""
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "gateway"]
    found: Manifest = container
    return found


def env_of(container: Manifest) -> dict[str, Manifest]:
    """Return a container's env entries by name."""
    return {entry["name"]: entry for entry in container.get("env", [])}
