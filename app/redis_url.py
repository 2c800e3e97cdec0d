"""Parse and check a Redis URL without building a client (and without contacting anything).

Supported URLs (``rediss`` instead of ``redis`` turns TLS on):

* ``redis://[[user]:password@]host[:port][/db]``: one server; its query parameters are
  redis-py's.
* ``redis+sentinel://[[user]:password@]host1[:port1],host2[:port2]/<master-name>[/db]``:
  the master that the Sentinels name; the password is the master's, the Sentinels'
  password goes in the ``sentinel_password`` query parameter (and ``sentinel_username``).
* ``redis+cluster://[[user]:password@]host1[:port1][,host2[:port2]]``: a Redis Cluster,
  discovered from those startup nodes.

The Sentinel and Cluster forms accept the ``ssl_*`` TLS query parameters on ``rediss+``.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

_DEFAULT_PORT = 6379
_DEFAULT_SENTINEL_PORT = 26379
_MAX_PORT = 65535
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
# The standalone query values redis-py converts (redis.connection.URL_QUERY_ARGUMENT_PARSERS),
# checked here so that a value it refuses stops start-up rather than the first command. Its
# boolean parameters take any value; `retry_on_error` names redis-py exceptions: left to it.
_REDIS_PY_NUMBERS: Mapping[str, Callable[[str], float]] = MappingProxyType(
    {
        "db": int,
        "socket_timeout": float,
        "socket_connect_timeout": float,
        "socket_read_size": int,
        "max_connections": int,
        "health_check_interval": int,
        "ssl_min_version": int,
        "timeout": float,
        "protocol": int,
    }
)
_REDIS_PY_VERIFY_FLAGS = frozenset({"ssl_include_verify_flags", "ssl_exclude_verify_flags"})


class RedisUrlError(ValueError):
    """Signal a Redis URL that cannot be turned into a client; never carries a password."""


@dataclass(frozen=True)
class RedisUrl:
    """A checked Redis URL: where Redis is and how to reach it, secrets kept apart."""

    scheme: str
    topology: str
    tls: bool
    nodes: tuple[tuple[str, int], ...]
    db: int = 0
    master: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    sentinel_auth: Mapping[str, str] = field(default_factory=dict, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def credentials(self) -> dict[str, Any]:
        """Return the username/password options found in the URL's userinfo."""
        found = {"username": self.username, "password": self.password}
        return {name: value for name, value in found.items() if value is not None}

    def error(self, message: str) -> RedisUrlError:
        """Return an error about this URL whose message has every secret removed."""
        return RedisUrlError(_scrub(f"invalid {self.scheme}:// URL: {message}", self.secrets))


@dataclass
class _Url:
    """The raw parts of a Redis URL, before the checks of its topology."""

    scheme: str
    topology: str
    tls: bool
    username: str | None
    password: str | None
    hosts: str
    path: str
    query: list[tuple[str, str]]
    secrets: list[str] = field(default_factory=list)

    def checked(self, nodes: list[tuple[str, int]], **found: Any) -> RedisUrl:
        """Return the checked URL: these parts with what its topology's checks found."""
        return RedisUrl(
            scheme=self.scheme,
            topology=self.topology,
            tls=self.tls,
            nodes=tuple(nodes),
            username=self.username,
            password=self.password,
            secrets=tuple(self.secrets),
            **found,
        )


def parse_redis_url(url: str) -> RedisUrl:
    """Return what `url` names, or raise RedisUrlError (without any secret in it)."""
    parts = _split(url)
    if parts.topology == "sentinel":
        return _sentinel(parts)
    if parts.topology == "cluster":
        return _cluster(parts)
    return _standalone(parts, url)


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


def _standalone(parts: _Url, url: str) -> RedisUrl:
    """Check one server's URL (``redis://`` or ``rediss://``)."""
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
    db = _db(parts, segments[0] if segments else "")
    try:
        numbers = _as_redis_py_reads(url, parts.query)
    except ValueError as exc:
        raise _fail(parts, str(exc)) from None
    return parts.checked(nodes, db=int(numbers.get("db", db)))


def _sentinel(parts: _Url) -> RedisUrl:
    """Check the URL of the master a set of Sentinels names."""
    sentinels = _host_ports(parts, _DEFAULT_SENTINEL_PORT)
    segments = parts.path.split("/")[1:] if parts.path else []
    if segments and not segments[-1]:
        segments.pop()  # allow one trailing slash
    if not segments or not segments[0]:
        raise _fail(parts, "missing master name: expected /<master-name>[/<db>] after the hosts")
    if len(segments) > 2:
        raise _fail(parts, f"path {parts.path!r} should be /<master-name>[/<db>]")
    db = _db(parts, segments[1] if len(segments) > 1 else "")
    options = _options(parts, _SENTINEL_PARAMS)
    auth = {n.removeprefix("sentinel_"): options.pop(n) for n in _SENTINEL_PARAMS if n in options}
    return parts.checked(
        sentinels, db=db, master=unquote(segments[0]), options=options, sentinel_auth=auth
    )


def _cluster(parts: _Url) -> RedisUrl:
    """Check a Redis Cluster's URL: its startup nodes, no path."""
    nodes = _host_ports(parts, _DEFAULT_PORT)
    if parts.path.strip("/"):
        raise _fail(parts, f"a cluster URL takes no path (there is only db 0), got {parts.path!r}")
    return parts.checked(nodes, options=_options(parts, frozenset()))


def _scrub(text: str, secrets: list[str] | tuple[str, ...]) -> str:
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


def _as_redis_py_reads(url: str, query: list[tuple[str, str]]) -> dict[str, float]:
    """Return the numbers in a standalone URL's query; raise ValueError where redis-py would."""
    split = urlsplit(url)  # redis-py reads the URL with urllib: it refuses what urllib refuses
    numbers = _query_numbers(query)
    _ = split.port
    if numbers.get("max_connections", 0) < 0:
        raise ValueError('"max_connections" must be a positive integer')
    return numbers


def _query_numbers(query: list[tuple[str, str]]) -> dict[str, float]:
    """Convert the query values redis-py converts, raising ValueError with its message."""
    first: dict[str, str] = {}
    for name, value in query:
        if value:  # redis-py reads the first non-empty value of each parameter
            first.setdefault(name, value)
    numbers: dict[str, float] = {}
    for name, value in first.items():
        try:
            if name in _REDIS_PY_NUMBERS:
                numbers[name] = _REDIS_PY_NUMBERS[name](value)
            elif name in _REDIS_PY_VERIFY_FLAGS:
                _verify_flags(value)
        except ValueError:
            raise ValueError(f"Invalid value for '{name}' in connection URL.") from None
    return numbers


def _verify_flags(value: str) -> None:
    """Raise ValueError unless `value` lists names of ssl.VerifyFlags, as redis-py reads them."""
    for flag in value.replace("[", "").replace("]", "").split(","):
        if not hasattr(ssl.VerifyFlags, flag.strip()):
            raise ValueError(flag)
