"""app.redis_url: Redis URLs are parsed and checked without a client and without redis-py."""

from __future__ import annotations

import pytest
import redis
from redis.connection import URL_QUERY_ARGUMENT_PARSERS

from app.redis_url import RedisUrlError, parse_redis_url

SECRET = "hunter2-SECRET"


def test_a_sentinel_url_names_its_sentinels_master_database_and_both_passwords():
    url = parse_redis_url(
        f"rediss+sentinel://:{SECRET}@s1:26380,[::1]/mymaster/2"
        "?sentinel_password=sent-pw&ssl_cert_reqs=NONE"
    )

    assert url.nodes == (("s1", 26380), ("::1", 26379))
    assert (url.master, url.db, url.tls) == ("mymaster", 2, True)
    assert url.credentials() == {"password": SECRET}
    assert url.sentinel_auth == {"password": "sent-pw"}
    assert url.options == {"ssl_cert_reqs": "none"}
    assert SECRET not in repr(url)


def test_a_cluster_url_names_its_startup_nodes_with_the_default_port():
    url = parse_redis_url("redis+cluster://user:pw@a:7000,b")

    assert url.nodes == (("a", 7000), ("b", 6379))
    assert url.credentials() == {"username": "user", "password": "pw"}


def test_a_standalone_url_takes_its_database_from_the_query_before_the_path():
    assert parse_redis_url("redis://h/3").db == 3
    assert parse_redis_url("redis://h/3?db=5").db == 5


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"http://:{SECRET}@host:6379/0", "unsupported Redis URL scheme 'http'"),
        (f"redis+sentinel://:{SECRET}@host:26379/", "missing master name"),
        (f"redis+cluster://:{SECRET}@h1:7000/0", "takes no path"),
        (f"redis://:{SECRET}@h1:6379,h2:6379/0", "exactly one host"),
        (f"redis://user:{SECRET}@host:6379/0?db=zero", "Invalid value for 'db'"),
        (f"redis://:{SECRET}@[not-an-ip]:6379/0", "does not appear to be an IPv4 or IPv6"),
        (f"redis://:{SECRET}@host/0?max_connections=-1", "must be a positive integer"),
    ],
)
def test_a_bad_url_is_refused_with_a_message_that_never_shows_the_password(url, message):
    with pytest.raises(RedisUrlError, match=message) as caught:
        parse_redis_url(url)

    assert SECRET not in str(caught.value)


# `retry_on_error` names redis-py's exception classes, which only redis-py knows: a bad one is
# refused when the client is built.
CHECKED_HERE = sorted(set(URL_QUERY_ARGUMENT_PARSERS) - {"retry_on_error"})


@pytest.mark.parametrize("name", CHECKED_HERE)
@pytest.mark.parametrize("value", ["x", "-1", "1.5", "7", "[VERIFY_X509_STRICT, bogus]"])
def test_a_standalone_query_value_is_refused_exactly_when_redis_py_refuses_it(name, value):
    url = f"redis://host:6379/0?{name}={value}"
    try:
        redis.Redis.from_url(url)
    except ValueError:
        with pytest.raises(RedisUrlError, match=name):
            parse_redis_url(url)
    else:
        parse_redis_url(url)
