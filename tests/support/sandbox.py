"""`make run`: the gateway with a local Redis and a local Kubernetes API."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

from tests.support import workloads
from tests.support.kubeapi import KubeApiServer, TokenIdentity
from tests.support.processes import NotReady, stop_process, wait_ready
from tests.support.redis_server import RedisServer

NAMESPACES = {
    "production": {"environment": "production"},
    "staging": {"kubernaut.io/environment": "staging"},
    "development": {"environment": "dev"},
    "kubernaut-system": {},
}
READY_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parents[2]
# The kubeconfig goes here, at a path that stays the same from run to run (README's kubectl lines).
STATE_DIR = ROOT / ".sandbox"
# The sandbox runs with authentication on, like production: this token may send signals.
SANDBOX_TOKEN = "kubernaut-sandbox-token"
SENDER = TokenIdentity(
    username="system:serviceaccount:monitoring:alertmanager",
    groups=("system:serviceaccounts",),
    allowed=frozenset({("create", "remediation.kubernaut.io", "remediationrequests", "*")}),
)


def chart_crds() -> list[Path]:
    """Return the CRD files of the Helm chart next to this source tree."""
    crds = ROOT / "helm" / "kubernaut-gateway" / "crds"
    files = sorted(crds.glob("*.yaml"))
    if not files:
        raise SystemExit(f"sandbox: no CRD found in {crds}; run it from a source checkout")
    return files


def start_kubernetes(state: Path) -> tuple[KubeApiServer, Path]:
    """Start the Kubernetes API test server with the CRD, labelled namespaces and workloads."""
    kube = KubeApiServer(crd_paths=chart_crds()).start()
    for name, labels in NAMESPACES.items():
        kube.add_namespace(name, labels=labels)
    kube.add_token(SANDBOX_TOKEN, SENDER)
    seed_workloads(kube)
    return kube, kube.write_kubeconfig(state / "kubeconfig")


def seed_workloads(kube: KubeApiServer) -> list[workloads.Workload]:
    """Add the workloads whose pods identity.mode workload resolves (README's examples)."""
    return [
        workloads.deployment(kube, "production", "checkout", replicas=3),
        workloads.statefulset(kube, "production", "postgres", replicas=2),
        workloads.cronjob(kube, "production", "nightly-report"),
    ]


def relative_to_cwd(path: Path) -> str:
    """Return `path` relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def banner(*, url: str, kube: KubeApiServer, kubeconfig: Path) -> str:
    """Return what to print once the sandbox is ready."""
    rr = "apis/remediation.kubernaut.io/v1alpha1/remediationrequests"
    kubectl = f"kubectl --kubeconfig {relative_to_cwd(kubeconfig)}"
    return f"""
kubernaut-gateway sandbox is ready.
  gateway         {url}
  Kubernetes API  {kube.url}   (namespaces: {", ".join(NAMESPACES)})
  kubeconfig      {kubeconfig}

Send an alert:
  curl -sS -X POST {url}/api/v1/signals/prometheus \\
    -H 'Content-Type: application/json' -H 'Authorization: Bearer {SANDBOX_TOKEN}' \\
    -d '{{"version": "4", "alerts": [{{"status": "firing", "labels": {{
          "alertname": "KubePodCrashLooping", "namespace": "production",
          "pod": "api-7d9f", "severity": "critical"}}}}]}}'

Signal requests need a bearer token; this one is allowed: {SANDBOX_TOKEN}
Pods of workloads (for GATEWAY_IDENTITY_MODE=workload): {kubectl} get pods -n production

List what it created:
  {kubectl} get rr -A
  {kubectl} get rr -A -w        # keeps watching: new ones appear as they are created
  curl -sS {kube.url}/{rr}

Press Ctrl-C to stop.
"""


def run_sandbox(*, bind: str, workers: int, state_dir: Path) -> int:
    """Start Redis, the Kubernetes API and the gateway; stop them all on Ctrl-C.

    The kubeconfig goes to `state_dir`; Redis and metrics files to a fresh temporary directory.
    """
    state = Path(tempfile.mkdtemp(prefix="kgw-sandbox-"))
    redis_server = RedisServer(workdir=state / "redis").start()
    kube, kubeconfig = start_kubernetes(state_dir)
    environ = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "KUBECONFIG": str(kubeconfig),
        "GATEWAY_AUTH_MODE": "kubernetes",
        "GATEWAY_BIND": bind,
        "GATEWAY_WORKERS": str(workers),
        "GATEWAY_DRAIN_SECONDS": "0",
        # Occurrence counts reach `kubectl get rr` within a second or two, not five.
        "GATEWAY_STATUS_INTERVAL": "1",
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


def main(argv: list[str] | None = None) -> int:
    """Parse the sandbox's options and run it."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.sandbox")
    parser.add_argument("--bind", default="127.0.0.1:8080", help="gateway listen address")
    parser.add_argument("--workers", type=int, default=2, help="gateway worker processes")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="where to write the kubeconfig (default: .sandbox in the checkout)",
    )
    args = parser.parse_args(argv)
    return run_sandbox(bind=args.bind, workers=args.workers, state_dir=args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
