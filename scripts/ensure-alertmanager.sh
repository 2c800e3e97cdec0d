#!/usr/bin/env bash
# The real Alertmanager (Debian's prometheus-alertmanager), for tests/e2e/test_alertmanager.py.
exec "$(dirname "$0")/ensure-deb.sh" prometheus-alertmanager /usr/bin/prometheus-alertmanager
