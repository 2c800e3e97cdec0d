#!/usr/bin/env bash
# The real kubectl (Debian's kubernetes-client), for the tests that run kubectl against the
# Kubernetes API test server and the sandbox.
exec "$(dirname "$0")/ensure-deb.sh" kubernetes-client /usr/bin/kubectl
