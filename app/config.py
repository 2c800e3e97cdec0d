"""Configuration: one frozen dataclass, read from a YAML file and the environment."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from app.domain import BreakerSettings, Severity, StormSettings
from app.redis_url import RedisUrlError, parse_redis_url

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


@dataclass(frozen=True)
class Config:
    """Every setting of the gateway; see the README's configuration table."""

    bind: str = "0.0.0.0:8080"
    workers: int = 2
    threads: int = 4
    graceful_timeout: float = 20.0
    drain_seconds: float = 5.0
    max_requests: int = 0
    max_body_bytes: int = 512 * 1024
    retry_after: int = 5
    log_level: str = "INFO"
    access_log: str = "errors"
    auth_mode: str = "kubernetes"
    auth_namespace: str = "kubernaut-system"
    auth_audiences: tuple[str, ...] = ()
    auth_cache_ttl: float = 10.0
    auth_denied_cache_ttl: float = 2.0
    rate_limit: float = 50.0
    rate_limit_burst: int = 100
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "kgw:"
    redis_timeout: float = 1.0
    kubeconfig: str | None = None
    fallback_namespace: str = "kubernaut-system"
    kubernetes_timeout: float = 2.0
    resource_index: bool = True
    kubernetes_retry_budget: float = 5.0
    breaker_failure_ratio: float = 0.5
    breaker_min_calls: int = 10
    breaker_window: float = 30.0
    breaker_cool_down: float = 10.0
    breaker_probes: int = 2
    namespace_cache_ttl: float = 30.0
    environments: Mapping[str, str] = field(default_factory=dict)
    priorities: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: DEFAULT_PRIORITY_MATRIX
    )
    severity_aliases: Mapping[str, str] = field(default_factory=dict)
    default_severity: str = "warning"
    critical_event_reasons: tuple[str, ...] = DEFAULT_CRITICAL_REASONS
    dedup_ttl: float = 300.0
    claim_ttl: float = 30.0
    storm_rate_threshold: int = 10
    storm_rate_window: float = 60.0
    storm_pattern_threshold: int = 5
    storm_pattern_window: float = 120.0
    storm_quiet_period: float = 300.0
    status_interval: float = 5.0
    status_flush_period: float = 1.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Build from defaults, then the YAML file at GATEWAY_CONFIG, then variables."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        path = environ.get("GATEWAY_CONFIG")
        if path:
            values.update(_read_yaml(Path(path), problems))
        for setting in SETTINGS:
            if setting.env and setting.env in environ:
                values[setting.attr] = environ[setting.env]
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
        by_attr = {s.attr: s for s in SETTINGS}
        converted: dict[str, Any] = {}
        for attr, raw in values.items():
            setting = by_attr[attr]
            try:
                converted[attr] = setting.parse(raw)
            except (TypeError, ValueError) as exc:
                problems.append(f"{setting.describe()}: {exc}")
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
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"GATEWAY_CONFIG {path}: cannot read: {exc}")
        return {}
    if not isinstance(document, dict):
        problems.append(f"GATEWAY_CONFIG {path}: the top level must be a mapping")
        return {}
    values: dict[str, Any] = {}
    by_key = {s.key: s for s in SETTINGS}
    for key, value in _flatten(document, by_key):
        if key in by_key:
            values[by_key[key].attr] = value
        else:
            problems.append(f"GATEWAY_CONFIG {path}: unknown key {key!r}")
    return values


def _flatten(document: Mapping[str, Any], known: Mapping[str, Any], prefix: str = "") -> Any:
    for name, value in document.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in known:
            yield from _flatten(value, known, key + ".")
        else:
            yield key, value


def _positive(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(raw: Any) -> Any:
        if isinstance(raw, bool):
            raise TypeError(f"expected a number, got {raw!r}")
        value = kind(raw)
        if value <= 0:
            raise ValueError(f"must be positive, got {raw!r}")
        return value

    return parse


def _non_negative(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(raw: Any) -> Any:
        if isinstance(raw, bool):
            raise TypeError(f"expected a number, got {raw!r}")
        value = kind(raw)
        if value < 0:
            raise ValueError(f"must not be negative, got {raw!r}")
        return value

    return parse


def _ratio(raw: Any) -> float:
    value = float(_positive(float)(raw))
    if value > 1:
        raise ValueError(f"must be at most 1, got {raw!r}")
    return value


def _choice(*choices: str, fold: Callable[[str], str] = str.lower) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        value = fold(str(raw))
        if value not in choices:
            raise ValueError(f"must be one of {'|'.join(choices)}, got {raw!r}")
        return value

    return parse


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"expected a non-empty string, got {raw!r}")
    return raw


def _mapping(raw: Any) -> Mapping[str, str]:
    """Accept a YAML mapping or `key=value,key=value`."""
    if isinstance(raw, str):
        pairs = [item.split("=", 1) for item in raw.split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"expected key=value,key=value, got {raw!r}")
        raw = {k.strip(): v.strip() for k, v in pairs}
    if not isinstance(raw, dict):
        raise ValueError(f"expected a mapping, got {raw!r}")
    return MappingProxyType({str(k): str(v) for k, v in raw.items()})


def _environments(raw: Any) -> Mapping[str, str]:
    return MappingProxyType({ns: normalize_environment(env) for ns, env in _mapping(raw).items()})


def _matrix(raw: Any) -> Mapping[str, Mapping[str, str]]:
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError("expected a mapping of severity to {environment: priority}")
    merged = {sev: dict(row) for sev, row in DEFAULT_PRIORITY_MATRIX.items()}
    for severity, row in raw.items():
        merged.setdefault(str(severity), {}).update({str(k): str(v) for k, v in row.items()})
    return MappingProxyType({k: MappingProxyType(v) for k, v in merged.items()})


def _names(raw: Any) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValueError(f"expected a list, got {raw!r}")
    return tuple(str(item).strip() for item in items if str(item).strip())


def normalize_environment(value: str) -> str:
    """Map an environment name to its canonical form (prod -> production)."""
    lowered = value.strip().lower()
    return ENVIRONMENT_ALIASES.get(lowered, lowered)


@dataclass(frozen=True)
class Setting:
    attr: str
    key: str
    env: str | None
    parse: Callable[[Any], Any]
    doc: str

    def describe(self) -> str:
        return f"{self.key} ({self.env})" if self.env else self.key


SETTINGS: tuple[Setting, ...] = (
    Setting("bind", "server.bind", "GATEWAY_BIND", _text, "listen address host:port"),
    Setting("workers", "server.workers", "GATEWAY_WORKERS", _positive(int), "worker processes"),
    Setting("threads", "server.threads", "GATEWAY_THREADS", _positive(int), "threads per worker"),
    Setting(
        "graceful_timeout",
        "server.gracefulTimeoutSeconds",
        "GATEWAY_GRACEFUL_TIMEOUT",
        _positive(float),
        "how long in-flight requests may finish after SIGTERM",
    ),
    Setting(
        "drain_seconds",
        "server.drainSeconds",
        "GATEWAY_DRAIN_SECONDS",
        _non_negative(float),
        "after SIGTERM, how long /readyz answers 503 while requests are still served",
    ),
    Setting(
        "max_requests",
        "server.maxRequests",
        "GATEWAY_MAX_REQUESTS",
        _non_negative(int),
        "recycle a worker after this many requests (0: never)",
    ),
    Setting(
        "max_body_bytes",
        "server.maxBodyBytes",
        "GATEWAY_MAX_BODY_BYTES",
        _positive(int),
        "largest accepted request body (413 above)",
    ),
    Setting(
        "retry_after",
        "server.retryAfterSeconds",
        "GATEWAY_RETRY_AFTER",
        _positive(int),
        "Retry-After sent with 503",
    ),
    Setting(
        "log_level",
        "logging.level",
        "GATEWAY_LOG_LEVEL",
        _choice("DEBUG", "INFO", "WARNING", "ERROR", fold=str.upper),
        "log level",
    ),
    Setting(
        "access_log",
        "logging.access",
        "GATEWAY_ACCESS_LOG",
        _choice("all", "errors", "off"),
        "which requests get an access log line",
    ),
    Setting("auth_mode", "auth.mode", "GATEWAY_AUTH_MODE", _choice("kubernetes", "none"), "auth"),
    Setting(
        "auth_namespace",
        "auth.namespace",
        "GATEWAY_AUTH_NAMESPACE",
        _text,
        "namespace of the SubjectAccessReview",
    ),
    Setting(
        "auth_audiences",
        "auth.audiences",
        "GATEWAY_AUTH_AUDIENCES",
        _names,
        "audiences a token must carry",
    ),
    Setting(
        "auth_cache_ttl",
        "auth.cacheSeconds",
        "GATEWAY_AUTH_CACHE_TTL",
        _positive(float),
        "how long an accepted token is cached",
    ),
    Setting(
        "auth_denied_cache_ttl",
        "auth.deniedCacheSeconds",
        "GATEWAY_AUTH_DENIED_CACHE_TTL",
        _positive(float),
        "how long a rejected token is cached",
    ),
    Setting(
        "rate_limit",
        "rateLimit.requestsPerSecond",
        "GATEWAY_RATE_LIMIT",
        _non_negative(float),
        "signal requests per second per caller (0: no limit)",
    ),
    Setting(
        "rate_limit_burst",
        "rateLimit.burst",
        "GATEWAY_RATE_LIMIT_BURST",
        _positive(int),
        "requests a caller may send at once",
    ),
    Setting("redis_url", "redis.url", "REDIS_URL", _text, "Redis URL"),
    Setting(
        "redis_key_prefix",
        "redis.keyPrefix",
        "GATEWAY_REDIS_KEY_PREFIX",
        _text,
        "prefix of every Redis key",
    ),
    Setting(
        "redis_timeout",
        "redis.timeoutSeconds",
        "GATEWAY_REDIS_TIMEOUT",
        _positive(float),
        "Redis connect and command timeout",
    ),
    Setting("kubeconfig", "kubernetes.kubeconfig", "KUBECONFIG", _text, "kubeconfig path"),
    Setting(
        "fallback_namespace",
        "kubernetes.fallbackNamespace",
        "GATEWAY_FALLBACK_NAMESPACE",
        _text,
        "namespace for signals without an existing namespace",
    ),
    Setting(
        "resource_index",
        "kubernetes.resourceIndex",
        "GATEWAY_RESOURCE_INDEX",
        _boolean,
        "index the active RemediationRequests (list + watch), not a lookup per create",
    ),
    Setting(
        "kubernetes_timeout",
        "kubernetes.requestTimeoutSeconds",
        "GATEWAY_KUBERNETES_TIMEOUT",
        _positive(float),
        "timeout of one Kubernetes API call",
    ),
    Setting(
        "kubernetes_retry_budget",
        "kubernetes.retryBudgetSeconds",
        "GATEWAY_KUBERNETES_RETRY_BUDGET",
        _positive(float),
        "total time spent retrying one Kubernetes write",
    ),
    Setting(
        "breaker_failure_ratio",
        "kubernetes.breaker.failureRatio",
        "GATEWAY_BREAKER_FAILURE_RATIO",
        _ratio,
        "the circuit opens at this ratio of failed calls",
    ),
    Setting(
        "breaker_min_calls",
        "kubernetes.breaker.minCalls",
        "GATEWAY_BREAKER_MIN_CALLS",
        _positive(int),
        "calls in the window before the ratio counts",
    ),
    Setting(
        "breaker_window",
        "kubernetes.breaker.windowSeconds",
        "GATEWAY_BREAKER_WINDOW",
        _positive(float),
        "window of counted calls",
    ),
    Setting(
        "breaker_cool_down",
        "kubernetes.breaker.coolDownSeconds",
        "GATEWAY_BREAKER_COOL_DOWN",
        _positive(float),
        "how long the circuit stays open before probing",
    ),
    Setting(
        "breaker_probes",
        "kubernetes.breaker.probes",
        "GATEWAY_BREAKER_PROBES",
        _positive(int),
        "successful probes that close the circuit",
    ),
    Setting(
        "namespace_cache_ttl",
        "classification.namespaceCacheSeconds",
        "GATEWAY_NAMESPACE_CACHE_TTL",
        _positive(float),
        "how long namespace labels are cached",
    ),
    Setting(
        "environments",
        "classification.environments",
        "GATEWAY_ENVIRONMENTS",
        _environments,
        "namespace to environment map",
    ),
    Setting("priorities", "classification.priorities", None, _matrix, "severity x environment"),
    Setting(
        "severity_aliases",
        "classification.severityAliases",
        "GATEWAY_SEVERITY_ALIASES",
        _mapping,
        "extra severity label values",
    ),
    Setting(
        "default_severity",
        "classification.defaultSeverity",
        "GATEWAY_DEFAULT_SEVERITY",
        _choice("critical", "warning", "info"),
        "severity of unknown values",
    ),
    Setting(
        "critical_event_reasons",
        "classification.criticalEventReasons",
        "GATEWAY_CRITICAL_EVENT_REASONS",
        _names,
        "event reasons that are critical",
    ),
    Setting(
        "dedup_ttl",
        "dedup.ttlSeconds",
        "GATEWAY_DEDUP_TTL",
        _positive(float),
        "sliding lifetime of a dedup record",
    ),
    Setting(
        "claim_ttl",
        "dedup.claimTtlSeconds",
        "GATEWAY_DEDUP_CLAIM_TTL",
        _positive(float),
        "lifetime of a claim whose holder died",
    ),
    Setting(
        "storm_rate_threshold",
        "storm.rateThreshold",
        "GATEWAY_STORM_RATE_THRESHOLD",
        _positive(int),
        "a rate storm is more signals than this in the rate window",
    ),
    Setting(
        "storm_rate_window",
        "storm.rateWindowSeconds",
        "GATEWAY_STORM_RATE_WINDOW",
        _positive(float),
        "rate window",
    ),
    Setting(
        "storm_pattern_threshold",
        "storm.patternThreshold",
        "GATEWAY_STORM_PATTERN_THRESHOLD",
        _positive(int),
        "a pattern storm is more distinct resources than this in the pattern window",
    ),
    Setting(
        "storm_pattern_window",
        "storm.patternWindowSeconds",
        "GATEWAY_STORM_PATTERN_WINDOW",
        _positive(float),
        "pattern window",
    ),
    Setting(
        "storm_quiet_period",
        "storm.quietSeconds",
        "GATEWAY_STORM_QUIET_PERIOD",
        _positive(float),
        "a storm ends after this long without signals in its scope",
    ),
    Setting(
        "status_interval",
        "dedup.statusIntervalSeconds",
        "GATEWAY_STATUS_INTERVAL",
        _positive(float),
        "least time between two status writes of one resource",
    ),
    Setting(
        "status_flush_period",
        "dedup.statusFlushSeconds",
        "GATEWAY_STATUS_FLUSH_PERIOD",
        _positive(float),
        "how often each worker looks for due status writes",
    ),
)
