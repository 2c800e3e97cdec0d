# kubernaut-gateway: `docker build -t kubernaut-gateway .`
#
# Two stages: the builder installs the locked dependencies (requirements/runtime.txt: exact pins
# with hashes) into a virtualenv, builds the package's wheel with the locked build tools
# (requirements/build.txt) and adds it without resolving anything; the final image is the same
# slim Python with only that virtualenv copied in (no compiler, no pip, no source tree, no tests),
# running as the non-root uid/gid 10001 that the Helm chart expects
# (podSecurityContext.runAsUser/runAsGroup). Every dependency ships as a wheel, so the builder
# needs no build tools either. Lint: scripts/lint-dockerfile.sh (hadolint).

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
# The lock first: its layers stay cached while only the code changes. /opt/build holds the
# locked pip, setuptools and wheel; /opt/venv (no pip of its own) gets exactly the runtime lock.
COPY requirements/build.txt requirements/runtime.txt ./requirements/
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements/build.txt \
    && python -m venv --without-pip /opt/venv \
    && /opt/build/bin/pip --python /opt/venv/bin/python install --no-cache-dir \
       --require-hashes --no-deps --only-binary :all: -r requirements/runtime.txt

# Only what the package build reads: metadata, the README (long_description) and the code.
COPY setup.cfg pyproject.toml README.md ./
COPY app ./app
RUN /opt/build/bin/pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /tmp/wheels . \
    && /opt/build/bin/pip --python /opt/venv/bin/python install --no-cache-dir --no-deps /tmp/wheels/*.whl


FROM python:3.11-slim

LABEL org.opencontainers.image.title="kubernaut-gateway" \
      org.opencontainers.image.description="Alertmanager webhooks and Kubernetes Warning Events in, one RemediationRequest per distinct problem out" \
      org.opencontainers.image.licenses="Apache-2.0"

# The same uid/gid as the chart's runAsUser/runAsGroup; no home, no login shell.
# (--no-log-init: a high uid must not grow /var/log/faillog into a huge sparse file.)
RUN groupadd --system --gid 10001 kubernaut \
    && useradd --system --no-log-init --uid 10001 --gid 10001 \
       --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin kubernaut

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GATEWAY_BIND=0.0.0.0:8080

USER 10001:10001
EXPOSE 8080

# gunicorn handles SIGTERM (Docker's and Kubernetes' stop signal) with a graceful shutdown.
ENTRYPOINT ["kubernaut-gateway"]
CMD ["serve"]
