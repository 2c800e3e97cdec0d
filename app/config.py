"""Configuration: one frozen dataclass, read from a YAML file and the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from app.domain import BreakerSettings, FlappingSettings, Severity, StormSettings
from app.redis_url import RedisUrlError, parse_redis_url
from app.settings import (
    boolean,
    choice,
    mapping,
    names,
    non_negative,
    positive,
    ratio,
    setting,
    settings_of,
    text,
)

ENVIRONMENT_ALIASES: Mapping[str, str] = MappingProxyType(
    {"prod": "production", "stg": "staging", "stage": "staging", "dev": "development"}
)
PRIORITIES = ("P0", "P1", "P2", "P3")
_LABEL_VALUE = re.compile(r"([a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?)")
DEFAULT_PRIORITY_MATRIX: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "critical": {"production": "P0", "staging": "P1", "development": "P2", "*": "P1"},
        "warning": {"production": "P1", "staging": "P2", "development": "P2", "*": "P2"},
        "info": {"production": "P2", "staging": "P2", "development": "P2", "*": "P3"},
    }
)
DEFAULT_CRITICAL_REASONS = (
    "OOMKilled",
    "NodeNotReady",
    "Evicted",
    "FailedMount",
    "NetworkNotReady",
    "FailedScheduling",
)


class ConfigError(ValueError):
    """The configuration is invalid; `problems` lists every bad setting."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))
        self.problems = problems


def normalize_environment(value: str) -> str:
    """Map an environment name to its canonical form (prod -> production)."""
    lowered = value.strip().lower()
    return ENVIRONMENT_ALIASES.get(lowered, lowered)


def _environments(raw: Any) -> Mapping[str, str]:
    """Parse a namespace-to-environment mapping, each environment in its canonical form."""
    return MappingProxyType({ns: normalize_environment(env) for ns, env in mapping(raw).items()})


def _matrix(raw: Any) -> Mapping[str, Mapping[str, str]]:
    """Parse priority overrides, merged into the default matrix."""
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError("expected a mapping of severity to {environment: priority}")
    merged = {sev: dict(row) for sev, row in DEFAULT_PRIORITY_MATRIX.items()}
    for severity, row in raw.items():
        merged.setdefault(str(severity), {}).update({str(k): str(v) for k, v in row.items()})
    return MappingProxyType({k: MappingProxyType(v) for k, v in merged.items()})


@dataclass(frozen=True)
class Config:
    """Every setting of the gateway, each declared once (the README's table is made from them)."""

    bind: str = setting(
        "0.0.0.0:8080", key="server.bind", env="GATEWAY_BIND", parse=text, doc="listen address"
    )
    workers: int = setting(
        2,
        key="server.workers",
        env="GATEWAY_WORKERS",
        parse=positive(int),
        doc="gunicorn worker processes",
    )
    threads: int = setting(
        4,
        key="server.threads",
        env="GATEWAY_THREADS",
        parse=positive(int),
        doc="threads per worker (`gthread`)",
    )
    graceful_timeout: float = setting(
        20.0,
        key="server.gracefulTimeoutSeconds",
        env="GATEWAY_GRACEFUL_TIMEOUT",
        parse=positive(float),
        doc="time in-flight requests get after SIGTERM",
    )
    drain_seconds: float = setting(
        5.0,
        key="server.drainSeconds",
        env="GATEWAY_DRAIN_SECONDS",
        parse=non_negative(float),
        doc="after SIGTERM, how long `/readyz` answers 503 while requests are still served",
    )
    max_requests: int = setting(
        0,
        key="server.maxRequests",
        env="GATEWAY_MAX_REQUESTS",
        parse=non_negative(int),
        doc="recycle a worker after this many requests (`0`: never)",
    )
    max_body_bytes: int = setting(
        512 * 1024,
        key="server.maxBodyBytes",
        env="GATEWAY_MAX_BODY_BYTES",
        parse=positive(int),
        doc="largest body; larger is 413 before reading",
    )
    retry_after: int = setting(
        5,
        key="server.retryAfterSeconds",
        env="GATEWAY_RETRY_AFTER",
        parse=positive(int),
        doc="`Retry-After` sent with 503",
    )
    log_level: str = setting(
        "INFO",
        key="logging.level",
        env="GATEWAY_LOG_LEVEL",
        parse=choice("DEBUG", "INFO", "WARNING", "ERROR", fold=str.upper),
        doc="`DEBUG`, `INFO`, `WARNING` or `ERROR`",
    )
    access_log: str = setting(
        "errors",
        key="logging.access",
        env="GATEWAY_ACCESS_LOG",
        parse=choice("all", "errors", "off"),
        doc="access log lines for `all` requests, only for `errors` (status 400 and above), "
        "or `off`",
    )
    auth_mode: str = setting(
        "kubernetes",
        key="auth.mode",
        env="GATEWAY_AUTH_MODE",
        parse=choice("kubernetes", "none"),
        doc="`kubernetes` or `none` (local use only)",
    )
    auth_namespace: str = setting(
        "kubernaut-system",
        key="auth.namespace",
        env="GATEWAY_AUTH_NAMESPACE",
        parse=text,
        doc="namespace in which callers need `create` on "
        "`remediationrequests.remediation.kubernaut.io`",
    )
    auth_audiences: tuple[str, ...] = setting(
        (),
        key="auth.audiences",
        env="GATEWAY_AUTH_AUDIENCES",
        parse=names,
        doc="audiences the TokenReview asks for",
        shown="none (the API server's)",
    )
    auth_cache_ttl: float = setting(
        10.0,
        key="auth.cacheSeconds",
        env="GATEWAY_AUTH_CACHE_TTL",
        parse=positive(float),
        doc="how long an accepted token is cached (by its hash)",
    )
    auth_denied_cache_ttl: float = setting(
        2.0,
        key="auth.deniedCacheSeconds",
        env="GATEWAY_AUTH_DENIED_CACHE_TTL",
        parse=positive(float),
        doc="how long a rejected or forbidden token is cached",
    )
    rate_limit: float = setting(
        50.0,
        key="rateLimit.requestsPerSecond",
        env="GATEWAY_RATE_LIMIT",
        parse=non_negative(float),
        doc="signal requests per second per caller (the authenticated user, or the client "
        "address when auth is off); `0` turns limiting off",
    )
    rate_limit_burst: int = setting(
        100,
        key="rateLimit.burst",
        env="GATEWAY_RATE_LIMIT_BURST",
        parse=positive(int),
        doc="requests a caller may send at once",
    )
    redis_url: str = setting(
        "redis://127.0.0.1:6379/0",
        key="redis.url",
        env="REDIS_URL",
        parse=text,
        doc="Redis: `redis://` / `rediss://` (standalone), `redis+sentinel://`, "
        "`redis+cluster://` (see below)",
    )
    redis_key_prefix: str = setting(
        "kgw:",
        key="redis.keyPrefix",
        env="GATEWAY_REDIS_KEY_PREFIX",
        parse=text,
        doc="prefix of every key the gateway writes",
    )
    redis_timeout: float = setting(
        1.0,
        key="redis.timeoutSeconds",
        env="GATEWAY_REDIS_TIMEOUT",
        parse=positive(float),
        doc="Redis connect and command timeout",
    )
    kubeconfig: str | None = setting(
        None,
        key="kubernetes.kubeconfig",
        env="KUBECONFIG",
        parse=text,
        doc="kubeconfig file",
        shown="in-cluster, else `~/.kube/config`",
    )
    fallback_namespace: str = setting(
        "kubernaut-system",
        key="kubernetes.fallbackNamespace",
        env="GATEWAY_FALLBACK_NAMESPACE",
        parse=text,
        doc="namespace for signals whose namespace does not exist",
    )
    kubernetes_timeout: float = setting(
        2.0,
        key="kubernetes.requestTimeoutSeconds",
        env="GATEWAY_KUBERNETES_TIMEOUT",
        parse=positive(float),
        doc="timeout of one Kubernetes API call",
    )
    resource_index: bool = setting(
        True,
        key="kubernetes.resourceIndex",
        env="GATEWAY_RESOURCE_INDEX",
        parse=boolean,
        doc="each worker lists and watches the gateway's RemediationRequests and answers "
        '"has this fingerprint an active resource?" from memory, so a create is one API call; '
        "`false`: a label lookup before each create",
    )
    watch_timeout: int = setting(
        300,
        key="kubernetes.watchTimeoutSeconds",
        env="GATEWAY_WATCH_TIMEOUT",
        parse=positive(int),
        doc="the resource index's watches last this long to twice this long (randomly, as "
        "client-go's); one silent for that plus 30 s is restarted as stalled",
    )
    kubernetes_retry_budget: float = setting(
        5.0,
        key="kubernetes.retryBudgetSeconds",
        env="GATEWAY_KUBERNETES_RETRY_BUDGET",
        parse=positive(float),
        doc="total retry time of one call (429 honouring `Retry-After`, 5xx, connection "
        "errors, timeouts); then 503",
    )
    breaker_failure_ratio: float = setting(
        0.5,
        key="kubernetes.breaker.failureRatio",
        env="GATEWAY_BREAKER_FAILURE_RATIO",
        parse=ratio,
        doc="the circuit opens at this ratio of failed Kubernetes API calls…",
    )
    breaker_min_calls: int = setting(
        10,
        key="kubernetes.breaker.minCalls",
        env="GATEWAY_BREAKER_MIN_CALLS",
        parse=positive(int),
        doc="…over at least this many calls…",
    )
    breaker_window: float = setting(
        30.0,
        key="kubernetes.breaker.windowSeconds",
        env="GATEWAY_BREAKER_WINDOW",
        parse=positive(float),
        doc="…in this window (per worker)",
    )
    breaker_cool_down: float = setting(
        10.0,
        key="kubernetes.breaker.coolDownSeconds",
        env="GATEWAY_BREAKER_COOL_DOWN",
        parse=positive(float),
        doc="while open, calls fail fast (503); then a few probes",
    )
    breaker_probes: int = setting(
        2,
        key="kubernetes.breaker.probes",
        env="GATEWAY_BREAKER_PROBES",
        parse=positive(int),
        doc="successful probes that close the circuit",
    )
    identity_mode: str = setting(
        "resource",
        key="identity.mode",
        env="GATEWAY_IDENTITY_MODE",
        parse=choice("resource", "workload"),
        doc="`resource`: one RemediationRequest per signal name and target; `workload`: one "
        "per workload, the target's top controller (see Identity and resources)",
    )
    identity_cache_ttl: float = setting(
        300.0,
        key="identity.cacheSeconds",
        env="GATEWAY_IDENTITY_CACHE_TTL",
        parse=positive(float),
        doc="`workload`: how long each worker keeps an object's controller",
    )
    identity_not_found_ttl: float = setting(
        5.0,
        key="identity.notFoundCacheSeconds",
        env="GATEWAY_IDENTITY_NOT_FOUND_CACHE_TTL",
        parse=positive(float),
        doc="`workload`: how long each worker remembers that an object was not found",
    )
    namespace_cache_ttl: float = setting(
        30.0,
        key="classification.namespaceCacheSeconds",
        env="GATEWAY_NAMESPACE_CACHE_TTL",
        parse=positive(float),
        doc="how long namespace labels are cached",
    )
    environments: Mapping[str, str] = setting(
        MappingProxyType({}),
        key="classification.environments",
        env="GATEWAY_ENVIRONMENTS",
        parse=_environments,
        doc="namespace → environment map (`payments=prod,web=staging`)",
    )
    priorities: Mapping[str, Mapping[str, str]] = setting(
        DEFAULT_PRIORITY_MATRIX,
        key="classification.priorities",
        env=None,
        parse=_matrix,
        doc="overrides, e.g. `{warning: {production: P0}}`",
        shown="the matrix above",
    )
    severity_aliases: Mapping[str, str] = setting(
        MappingProxyType({}),
        key="classification.severityAliases",
        env="GATEWAY_SEVERITY_ALIASES",
        parse=mapping,
        doc="extra `severity` values (`page=critical,ticket=warning`)",
    )
    default_severity: str = setting(
        "warning",
        key="classification.defaultSeverity",
        env="GATEWAY_DEFAULT_SEVERITY",
        parse=choice("critical", "warning", "info"),
        doc="severity of any other value",
    )
    critical_event_reasons: tuple[str, ...] = setting(
        DEFAULT_CRITICAL_REASONS,
        key="classification.criticalEventReasons",
        env="GATEWAY_CRITICAL_EVENT_REASONS",
        parse=names,
        doc="event reasons that are critical",
    )
    dedup_ttl: float = setting(
        300.0,
        key="dedup.ttlSeconds",
        env="GATEWAY_DEDUP_TTL",
        parse=positive(float),
        doc="sliding lifetime of a fingerprint's record",
    )
    claim_ttl: float = setting(
        30.0,
        key="dedup.claimTtlSeconds",
        env="GATEWAY_DEDUP_CLAIM_TTL",
        parse=positive(float),
        doc="lifetime of a claim whose holder died (keep it above the retry budget)",
    )
    status_interval: float = setting(
        5.0,
        key="dedup.statusIntervalSeconds",
        env="GATEWAY_STATUS_INTERVAL",
        parse=positive(float),
        doc="least time between two `status.deduplication` writes of one resource",
    )
    status_flush_period: float = setting(
        1.0,
        key="dedup.statusFlushSeconds",
        env="GATEWAY_STATUS_FLUSH_PERIOD",
        parse=positive(float),
        doc="how often each worker looks for due status writes",
    )
    storm_rate_threshold: int = setting(
        10,
        key="storm.rateThreshold",
        env="GATEWAY_STORM_RATE_THRESHOLD",
        parse=positive(int),
        doc="a rate storm is more signals than this in the rate window",
    )
    storm_rate_window: float = setting(
        60.0,
        key="storm.rateWindowSeconds",
        env="GATEWAY_STORM_RATE_WINDOW",
        parse=positive(float),
        doc="rate window",
    )
    storm_pattern_threshold: int = setting(
        5,
        key="storm.patternThreshold",
        env="GATEWAY_STORM_PATTERN_THRESHOLD",
        parse=positive(int),
        doc="a pattern storm is more distinct resources than this in the pattern window",
    )
    storm_pattern_window: float = setting(
        120.0,
        key="storm.patternWindowSeconds",
        env="GATEWAY_STORM_PATTERN_WINDOW",
        parse=positive(float),
        doc="pattern window",
    )
    storm_quiet_period: float = setting(
        300.0,
        key="storm.quietSeconds",
        env="GATEWAY_STORM_QUIET_PERIOD",
        parse=positive(float),
        doc="a storm ends after this long without signals in its scope (at least the longest "
        "window)",
    )
    flapping_transitions: int = setting(
        6,
        key="flapping.transitions",
        env="GATEWAY_FLAPPING_TRANSITIONS",
        parse=positive(int),
        doc="an alert flaps after this many state changes (firing <-> resolved) in the window",
    )
    flapping_window: float = setting(
        1800.0,
        key="flapping.windowSeconds",
        env="GATEWAY_FLAPPING_WINDOW",
        parse=positive(float),
        doc="flapping window; an alert stops flapping after a whole window without a change",
    )
    recurrence_window: float = setting(
        14400.0,
        key="recurrence.windowSeconds",
        env="GATEWAY_RECURRENCE_WINDOW",
        parse=positive(float),
        doc="a new resource names the fingerprint's resources that ended this recently "
        "(`spec.recurrence`)",
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Build from defaults, then the YAML file at GATEWAY_CONFIG, then variables."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        path = environ.get("GATEWAY_CONFIG")
        if path:
            values.update(_read_yaml(Path(path), problems))
        for name, each in settings_of(cls).items():
            if each.env and each.env in environ:
                values[name] = environ[each.env]
        return cls.build(values, problems)

    @classmethod
    def from_file(cls, path: Path) -> Config:
        """Build from defaults and one YAML file."""
        problems: list[str] = []
        return cls.build(_read_yaml(path, problems), problems)

    @classmethod
    def build(cls, values: Mapping[str, Any], problems: list[str] | None = None) -> Config:
        """Check and convert raw values (strings or YAML values); report all problems at once."""
        problems = list(problems or [])
        settings = settings_of(cls)
        converted: dict[str, Any] = {}
        for name, raw in values.items():
            try:
                converted[name] = settings[name].parse(raw)
            except (TypeError, ValueError) as exc:
                problems.append(f"{settings[name].describe()}: {exc}")
        config = replace(cls(), **converted)
        problems.extend(config.check())
        if problems:
            raise ConfigError(problems)
        return config

    @property
    def breaker(self) -> BreakerSettings:
        """Return the Kubernetes API circuit breaker settings."""
        return BreakerSettings(
            failure_ratio=self.breaker_failure_ratio,
            min_calls=self.breaker_min_calls,
            window=self.breaker_window,
            cool_down=self.breaker_cool_down,
            probes=self.breaker_probes,
        )

    @property
    def storms(self) -> StormSettings:
        """Return the storm settings."""
        return StormSettings(
            rate_threshold=self.storm_rate_threshold,
            rate_window=self.storm_rate_window,
            pattern_threshold=self.storm_pattern_threshold,
            pattern_window=self.storm_pattern_window,
            quiet_period=self.storm_quiet_period,
        )

    @property
    def flapping(self) -> FlappingSettings:
        """Return the flapping settings."""
        return FlappingSettings(transitions=self.flapping_transitions, window=self.flapping_window)

    def check(self) -> list[str]:
        """Return what is wrong across settings."""
        problems = []
        try:
            parse_redis_url(self.redis_url)
        except RedisUrlError as exc:
            problems.append(f"redis.url (REDIS_URL): {exc}")
        if self.drain_seconds >= self.graceful_timeout:
            problems.append("server.drainSeconds: must be shorter than gracefulTimeoutSeconds")
        if self.storm_quiet_period < max(self.storm_rate_window, self.storm_pattern_window):
            problems.append("storm.quietSeconds: must be at least the longest storm window")
        for severity, row in self.priorities.items():
            if severity not in Severity.__members__.values():
                problems.append(f"classification.priorities: unknown severity {severity!r}")
            bad = sorted(p for p in row.values() if p not in PRIORITIES)
            if bad:
                problems.append(f"classification.priorities.{severity}: not P0-P3: {bad}")
        for namespace, environment in self.environments.items():
            # The environment becomes a label value on every RemediationRequest.
            if not _LABEL_VALUE.fullmatch(environment):
                problems.append(
                    f"classification.environments.{namespace}: {environment!r} is not a valid "
                    "Kubernetes label value"
                )
        for target in (*self.severity_aliases.values(), self.default_severity):
            if target not in Severity.__members__.values():
                problems.append(f"classification: {target!r} is not critical|warning|info")
        return problems


def _read_yaml(path: Path, problems: list[str]) -> dict[str, Any]:
    """Return the YAML file's values by field name; add what is wrong to `problems`."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"GATEWAY_CONFIG {path}: cannot read: {exc}")
        return {}
    if not isinstance(document, dict):
        problems.append(f"GATEWAY_CONFIG {path}: the top level must be a mapping")
        return {}
    values: dict[str, Any] = {}
    by_key = {each.key: name for name, each in settings_of(Config).items()}
    for key, value in _flatten(document, by_key):
        if key in by_key:
            values[by_key[key]] = value
        else:
            problems.append(f"GATEWAY_CONFIG {path}: unknown key {key!r}")
    return values


def _flatten(document: Mapping[str, Any], known: Mapping[str, Any], prefix: str = "") -> Any:
    """Yield (dotted key, value) pairs, descending into each mapping that is not a setting."""
    for name, value in document.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in known:
            yield from _flatten(value, known, key + ".")
        else:
            yield key, value
