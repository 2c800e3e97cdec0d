"""Build a fail-fast Redis client for a standalone, Sentinel or Cluster URL.

Supported URLs (``rediss`` instead of ``redis`` turns TLS on):

* ``redis://[[user]:password@]host[:port][/db]``: one server, via ``redis.Redis.from_url``.
* ``redis+sentinel://[[user]:password@]host1[:port1],host2[:port2]/<master-name>[/db]``:
  the master that the Sentinels name; the password is the master's, the Sentinels'
  password goes in the ``sentinel_password`` query parameter (and ``sentinel_username``).
* ``redis+cluster://[[user]:password@]host1[:port1][,host2[:port2]]``: a Redis Cluster,
  discovered from those startup nodes.

The Sentinel and Cluster forms accept the ``ssl_*`` TLS query parameters on ``rediss+``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qsl, unquote

import redis
import redis.cluster
import redis.sentinel
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

__all__ = ["RedisUrlError", "redis_from_url"]

_DEFAULT_PORT = 6379
_DEFAULT_SENTINEL_PORT = 26379
_MAX_PORT = 65535
_HEALTH_CHECK_INTERVAL = 30
_REDACTED = "***"

# scheme -> (topology, tls)
_SCHEMES: dict[str, tuple[str, bool]] = {
    "redis": ("standalone", False),
    "rediss": ("standalone", True),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
}
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_TLS_TEXT_PARAMS = frozenset({"ssl_ca_certs", "ssl_ca_path", "ssl_certfile", "ssl_keyfile"})
_TLS_CERT_REQS = frozenset({"none", "optional", "required"})
_SENTINEL_PARAMS = frozenset({"sentinel_password", "sentinel_username"})

AnyRedis = redis.Redis | redis.cluster.RedisCluster


class RedisUrlError(ValueError):
    """Signal a Redis URL that cannot be turned into a client; never carries a password."""


@dataclass
class _Url:
    """The parts of a Redis URL; secrets are kept apart so messages can leave them out."""

    scheme: str
    topology: str
    tls: bool
    username: str | None
    password: str | None
    hosts: str
    path: str
    query: list[tuple[str, str]]
    secrets: list[str] = field(default_factory=list)


def validate_redis_url(url: str) -> None:
    """Raise RedisUrlError, without any secret in it, unless `url` names Redis well.

    Nothing is contacted: standalone and Sentinel clients connect lazily, and a Cluster URL is
    only parsed (its client would connect at once).
    """
    parts = _split(url)
    if parts.topology != "cluster":
        redis_from_url(url, timeout=1.0)
        return
    _host_ports(parts, _DEFAULT_PORT)
    if parts.path.strip("/"):
        raise _fail(parts, f"a cluster URL takes no path (there is only db 0), got {parts.path!r}")
    _options(parts, frozenset())


def redis_from_url(url: str, *, timeout: float) -> redis.Redis | redis.cluster.RedisCluster:
    """Build a fail-fast client (short timeouts, two quick retries) for a Redis URL."""
    parts = _split(url)
    try:
        if parts.topology == "sentinel":
            return _sentinel(parts, timeout)
        if parts.topology == "cluster":
            return _cluster(parts, timeout)
        return _standalone(url, parts, timeout)
    except RedisUrlError:
        raise
    except (ValueError, TypeError) as exc:
        message = _scrub(str(exc), parts.secrets)
        raise RedisUrlError(f"invalid {parts.scheme}:// URL: {message}") from None


def _common_options(timeout: float) -> dict[str, Any]:
    """Return the connection options every topology shares."""
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": _HEALTH_CHECK_INTERVAL,
    }


def _retry() -> Retry:
    """Return the retry policy: two retries, at most 0.1 s apart."""
    return Retry(ExponentialBackoff(cap=0.1, base=0.01), retries=2)


def _split(url: str) -> _Url:
    """Split `url` into its parts, raising RedisUrlError for an unknown scheme."""
    if not url:
        raise RedisUrlError("empty Redis URL")
    match = _SCHEME_RE.match(url)
    if match is None:
        raise RedisUrlError(
            "Redis URL has no scheme: expected one of " + ", ".join(f"{s}://" for s in _SCHEMES)
        )
    scheme = match.group(1).lower()
    if scheme not in _SCHEMES:
        raise RedisUrlError(
            f"unsupported Redis URL scheme {scheme!r}: expected one of "
            + ", ".join(f"{s}://" for s in _SCHEMES)
        )
    topology, tls = _SCHEMES[scheme]
    rest = url[match.end() :].split("#", 1)[0]
    # RFC 3986: the authority ends at the first "/", "?" or "#"; userinfo is before its last "@".
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    userinfo, at, hosts = authority.rpartition("@")
    username = password = None
    secrets: list[str] = []
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        if colon:
            password = unquote(secret) or None
            secrets += [secret, unquote(secret)]
    path, _, query_text = tail.partition("?")
    query = parse_qsl(query_text, keep_blank_values=True)
    secrets += [value for name, value in query if name.endswith("password")]
    parts = _Url(scheme, topology, tls, username, password, hosts, path, query, secrets)
    if "@" in path or "@" in query_text:
        # Most likely a password with an unescaped "/", "?" or "@": never echo any of it.
        raise RedisUrlError(
            f"malformed {scheme}:// URL: '@' outside the credentials; "
            "percent-encode special characters in the username and password"
        )
    return parts


def _scrub(text: str, secrets: list[str]) -> str:
    """Return `text` with every known secret replaced by a placeholder."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    return text


def _fail(parts: _Url, message: str) -> RedisUrlError:
    """Return a RedisUrlError for `parts` whose message has every secret removed."""
    return RedisUrlError(_scrub(f"invalid {parts.scheme}:// URL: {message}", parts.secrets))


def _host_ports(parts: _Url, default_port: int) -> list[tuple[str, int]]:
    """Parse the comma-separated ``host[:port]`` list of the URL's authority."""
    if not parts.hosts:
        raise _fail(parts, "no host given")
    nodes: list[tuple[str, int]] = []
    for item in parts.hosts.split(","):
        host, port_text = _host_port(parts, item)
        if not host:
            raise _fail(parts, f"empty host in {parts.hosts!r}")
        nodes.append((host, _port(parts, port_text, default_port, item)))
    return nodes


def _host_port(parts: _Url, item: str) -> tuple[str, str]:
    """Split one ``host[:port]`` or ``[v6-address][:port]`` item."""
    if item.startswith("["):
        close = item.find("]")
        if close < 0:
            raise _fail(parts, f"unclosed '[' in host {item!r}")
        host, rest = item[1:close], item[close + 1 :]
        if rest and not rest.startswith(":"):
            raise _fail(parts, f"unexpected text after ']' in host {item!r}")
        return unquote(host), rest[1:]
    host, _, port_text = item.partition(":")
    if ":" in port_text:
        raise _fail(parts, f"bad host {item!r} (put IPv6 addresses in brackets)")
    return unquote(host), port_text


def _port(parts: _Url, text: str, default: int, item: str) -> int:
    """Return the port number in `text`, or `default` when it is empty."""
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) <= _MAX_PORT:
        raise _fail(parts, f"bad port {text!r} in {item!r} (expected 1-{_MAX_PORT})")
    return int(text)


def _db(parts: _Url, text: str) -> int:
    """Return the database number in `text` (0 when empty)."""
    if not text:
        return 0
    if not text.isdigit():
        raise _fail(parts, f"bad database number {text!r} (expected a non-negative integer)")
    return int(text)


def _bool(parts: _Url, name: str, value: str) -> bool:
    """Parse a boolean query parameter."""
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _fail(parts, f"query parameter {name!r} must be true or false, not {value!r}")


def _options(parts: _Url, allowed: frozenset[str]) -> dict[str, Any]:
    """Return the query parameters as keyword arguments, rejecting unknown ones."""
    options: dict[str, Any] = {}
    for name, value in parts.query:
        if parts.tls and name in _TLS_TEXT_PARAMS:
            options[name] = value
        elif parts.tls and name == "ssl_cert_reqs":
            if value.lower() not in _TLS_CERT_REQS:
                raise _fail(parts, "ssl_cert_reqs must be none, optional or required")
            options[name] = value.lower()
        elif parts.tls and name == "ssl_check_hostname":
            options[name] = _bool(parts, name, value)
        elif name in allowed:
            options[name] = value
        else:
            tls_params = _TLS_TEXT_PARAMS | {"ssl_cert_reqs", "ssl_check_hostname"}
            supported = sorted(allowed | tls_params) if parts.tls else sorted(allowed)
            hint = ", ".join(supported) or "none"
            raise _fail(parts, f"unsupported query parameter {name!r} (supported: {hint})")
    return options


def _credentials(parts: _Url) -> dict[str, Any]:
    """Return the username/password options found in the URL's userinfo."""
    found: dict[str, Any] = {}
    if parts.username is not None:
        found["username"] = parts.username
    if parts.password is not None:
        found["password"] = parts.password
    return found


def _standalone(url: str, parts: _Url, timeout: float) -> redis.Redis:
    """Build a client for one server (``redis://`` or ``rediss://``)."""
    nodes = _host_ports(parts, _DEFAULT_PORT)
    if len(nodes) != 1:
        raise _fail(
            parts,
            "a standalone URL takes exactly one host (use redis+cluster:// "
            "or redis+sentinel:// for several)",
        )
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 1:
        raise _fail(parts, f"path {parts.path!r} should be /<db>")
    _db(parts, segments[0] if segments else "")
    return redis.Redis.from_url(url, retry=_retry(), **_common_options(timeout))


def _sentinel(parts: _Url, timeout: float) -> redis.Redis:
    """Build a client for the master a set of Sentinels names."""
    sentinels = _host_ports(parts, _DEFAULT_SENTINEL_PORT)
    segments = parts.path.split("/")[1:] if parts.path else []
    if segments and not segments[-1]:
        segments.pop()  # allow one trailing slash
    if not segments or not segments[0]:
        raise _fail(parts, "missing master name: expected /<master-name>[/<db>] after the hosts")
    if len(segments) > 2:
        raise _fail(parts, f"path {parts.path!r} should be /<master-name>[/<db>]")
    master_name = unquote(segments[0])
    db = _db(parts, segments[1] if len(segments) > 1 else "")
    options = _options(parts, _SENTINEL_PARAMS)
    sentinel_auth = {
        key.removeprefix("sentinel_"): options.pop(key)
        for key in _SENTINEL_PARAMS
        if key in options
    }
    tls: dict[str, Any] = {"ssl": True, **options} if parts.tls else {}
    shared = {**_common_options(timeout), "retry": _retry(), **tls}
    sentinel = redis.sentinel.Sentinel(
        sentinels, sentinel_kwargs={**shared, **sentinel_auth}, **shared
    )
    master = sentinel.master_for(master_name, db=db, **_credentials(parts))
    return cast(redis.Redis, master)


def _cluster(parts: _Url, timeout: float) -> redis.cluster.RedisCluster:
    """Build a client for a Redis Cluster from its startup nodes (connects right away)."""
    nodes = _host_ports(parts, _DEFAULT_PORT)
    if parts.path.strip("/"):
        raise _fail(parts, f"a cluster URL takes no path (there is only db 0), got {parts.path!r}")
    options = _options(parts, frozenset())
    tls: dict[str, Any] = {"ssl": True, **options} if parts.tls else {}
    startup_nodes = [
        redis.cluster.ClusterNode(host, port)  # type: ignore[no-untyped-call]
        for host, port in nodes
    ]
    return redis.cluster.RedisCluster(
        startup_nodes=startup_nodes,
        retry=_retry(),
        **_common_options(timeout),
        **_credentials(parts),
        **tls,
    )
