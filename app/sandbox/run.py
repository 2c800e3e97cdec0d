"""`kubernaut-gateway sandbox`: the gateway with a local Redis and a local Kubernetes API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import FrameType

from app.sandbox.kubeapi import KubeApiServer, TokenIdentity
from app.sandbox.redis_server import RedisServer

NAMESPACES = {
    "production": {"environment": "production"},
    "staging": {"kubernaut.io/environment": "staging"},
    "development": {"environment": "dev"},
    "kubernaut-system": {},
}
READY_TIMEOUT = 30.0
# The sandbox runs with authentication on, like production: this token may send signals.
SANDBOX_TOKEN = "kubernaut-sandbox-token"  # noqa: S105 - a local, documented test token
SENDER = TokenIdentity(
    username="system:serviceaccount:monitoring:alertmanager",
    groups=("system:serviceaccounts",),
    allowed=frozenset({("create", "remediation.kubernaut.io", "remediationrequests", "*")}),
)


def chart_crds() -> list[Path]:
    """Return the CRD files of the Helm chart next to this source tree."""
    crds = Path(__file__).resolve().parents[2] / "helm" / "kubernaut-gateway" / "crds"
    files = sorted(crds.glob("*.yaml"))
    if not files:
        raise SystemExit(f"sandbox: no CRD found in {crds}; run it from a source checkout")
    return files


def start_kubernetes(state: Path) -> tuple[KubeApiServer, Path]:
    """Start the Kubernetes API test server with the CRD and labelled namespaces."""
    kube = KubeApiServer(crd_paths=chart_crds()).start()
    for name, labels in NAMESPACES.items():
        kube.add_namespace(name, labels=labels)
    kube.add_token(SANDBOX_TOKEN, SENDER)
    return kube, kube.write_kubeconfig(state / "kubeconfig")


class NotReady(RuntimeError):
    """A started gateway exited, or did not become ready in time."""


def wait_ready(url: str, process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """Poll /readyz until it answers 200; raise NotReady if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotReady(f"exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise NotReady(f"not ready within {timeout:.0f}s")


def stop_process(process: subprocess.Popen[bytes], *, timeout: float) -> None:
    """SIGTERM `process` and wait up to `timeout` s; SIGKILL it after that. Always reaps it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def banner(*, url: str, kube: KubeApiServer, kubeconfig: Path) -> str:
    """Return what to print once the sandbox is ready."""
    rr = "apis/remediation.kubernaut.io/v1alpha1/remediationrequests"
    return f"""
kubernaut-gateway sandbox is ready.
  gateway         {url}
  Kubernetes API  {kube.url}   (namespaces: {", ".join(NAMESPACES)})

Send an alert:
  curl -sS -X POST {url}/api/v1/signals/prometheus \\
    -H 'Content-Type: application/json' -H 'Authorization: Bearer {SANDBOX_TOKEN}' \\
    -d '{{"version": "4", "alerts": [{{"status": "firing", "labels": {{
          "alertname": "KubePodCrashLooping", "namespace": "production",
          "pod": "api-7d9f", "severity": "critical"}}}}]}}'

Signal requests need a bearer token; this one is allowed: {SANDBOX_TOKEN}

List what it created:
  curl -sS {kube.url}/{rr}
  kubectl --kubeconfig {kubeconfig} get remediationrequests -A

Press Ctrl-C to stop.
"""


def run_sandbox(*, bind: str, workers: int) -> int:
    """Start Redis, the Kubernetes API and the gateway; stop them all on Ctrl-C."""
    state = Path(tempfile.mkdtemp(prefix="kgw-sandbox-"))
    redis_server = RedisServer(workdir=state / "redis").start()
    kube, kubeconfig = start_kubernetes(state)
    environ = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "KUBECONFIG": str(kubeconfig),
        "GATEWAY_AUTH_MODE": "kubernetes",
        "GATEWAY_BIND": bind,
        "GATEWAY_WORKERS": str(workers),
        "GATEWAY_DRAIN_SECONDS": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(state / "metrics"),
    }
    gateway = subprocess.Popen([sys.executable, "-m", "app", "serve"], env=environ)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        url = f"http://{bind}"
        try:
            wait_ready(url, gateway, timeout=READY_TIMEOUT)
        except NotReady as exc:
            raise SystemExit(f"sandbox: the gateway {exc}") from exc
        print(banner(url=url, kube=kube, kubeconfig=kubeconfig), flush=True)
        return gateway.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_process(gateway, timeout=30)
        kube.stop()
        redis_server.stop()
