"""The `kubernaut-gateway` command: `serve` (production) and `sandbox` (local)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; exit 2 on invalid configuration."""
    parser = argparse.ArgumentParser(prog="kubernaut-gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the gateway under gunicorn (production)")
    sandbox = commands.add_parser(
        "sandbox", help="run the gateway with a local Redis and a local Kubernetes API"
    )
    sandbox.add_argument("--bind", default="127.0.0.1:8080", help="gateway listen address")
    sandbox.add_argument("--workers", type=int, default=2, help="gateway worker processes")
    args = parser.parse_args(argv)

    from app import wsgi
    from app.config import ConfigError

    try:
        if args.command == "serve":
            return wsgi.serve()
        from app.sandbox.run import run_sandbox

        return run_sandbox(bind=args.bind, workers=args.workers)
    except ConfigError as exc:
        print(f"kubernaut-gateway: {exc}", file=sys.stderr)
        return 2
