"""The `kubernaut-gateway` command: `serve`, the production server."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; exit 2 on invalid configuration."""
    parser = argparse.ArgumentParser(prog="kubernaut-gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the gateway under gunicorn (production)")
    parser.parse_args(argv)

    from app import wsgi
    from app.config import ConfigError

    try:
        return wsgi.serve()
    except ConfigError as exc:
        print(f"kubernaut-gateway: {exc}", file=sys.stderr)
        return 2
