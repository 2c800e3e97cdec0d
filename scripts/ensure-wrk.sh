#!/usr/bin/env bash
# wrk (Debian's package), the HTTP load generator of `python -m bench.run`.
exec "$(dirname "$0")/ensure-deb.sh" wrk wrk
