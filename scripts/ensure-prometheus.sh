#!/usr/bin/env bash
# The real Prometheus and promtool (Debian's prometheus), for the rule tests and
# tests/e2e/test_prometheus.py.
exec "$(dirname "$0")/ensure-deb.sh" prometheus /usr/bin/promtool
