"""The Django internals observability.compat.django relies on, pinned down in the installed Django.

Each test fails naming the private attribute or the behaviour it relies on, so a Django upgrade
that changes one fails here rather than in a request.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.signals import request_finished
from django.http import HttpResponse

from observability.compat.django import close_with, disconnect_redis_pools, wrap_cache_methods


def test_a_closer_runs_when_the_response_is_closed_before_request_finished(django_db_blocker):
    response = HttpResponse()
    assert isinstance(vars(response).get("_resource_closers"), list), "HttpResponseBase._resource_closers is gone"
    order = []

    def finished(**kwargs):
        order.append("request_finished")

    close_with(response, lambda: order.append("closer"))
    request_finished.connect(finished)
    try:
        with django_db_blocker.unblock():  # request_finished closes old database connections
            response.close()
    finally:
        request_finished.disconnect(finished)
    assert order == ["closer", "request_finished"], "close() no longer calls _resource_closers first"


def test_the_redis_cache_keeps_its_client_in_cache_and_its_pools_in_pools():
    cache = RedisCache("redis://127.0.0.1:1/0", {})
    disconnect_redis_pools(cache)
    assert "_cache" not in vars(cache), "disconnecting made a client: RedisCache._cache is no longer a cached_property"
    cache._cache.get_client(write=True)  # makes the pool; connects on the first command only
    pools = vars(cache)["_cache"]._pools
    assert isinstance(pools, dict), "RedisCacheClient._pools is gone"
    assert [type(pool) for pool in pools.values()] == [redis.ConnectionPool]


def test_other_backends_have_no_pools_to_disconnect():
    disconnect_redis_pools(LocMemCache("compat", {}))


def test_disconnecting_closes_the_connections_the_cache_opened(redis_url):
    name = f"compat-{uuid.uuid4().hex}"
    cache = RedisCache(redis_url, {"OPTIONS": {"client_name": name}})
    cache.set("compat:key", 1, timeout=5)
    server = redis.Redis.from_url(redis_url)
    try:
        assert name in connection_names(server)
        cache.close()
        disconnect_redis_pools(cache)
        deadline = time.monotonic() + 5
        while name in connection_names(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert name not in connection_names(server)
    finally:
        server.close()


def connection_names(server: redis.Redis) -> set[str]:
    return {client["name"] for client in server.client_list()}


@pytest.fixture
def backend() -> type[BaseCache]:
    """A cache class of this test's own (the configured ones are wrapped already), with BaseCache's methods."""
    class CompatCache(BaseCache):
        def get(self, key, default=None, version=None):
            return default
    return CompatCache


def test_async_and_composite_methods_go_through_the_wrapped_sync_ones(backend):
    calls = []

    def wrap(method):
        def wrapped(self, *args, **kwargs):
            calls.append(method.__name__)
            return method(self, *args, **kwargs)
        return wrapped

    wrap_cache_methods(backend, wrap)
    wrap_cache_methods(backend, wrap)  # once per class
    cache = backend({})
    asyncio.run(cache.aget("a"))
    assert calls == ["get"], "BaseCache.aget no longer calls get"
    calls.clear()
    cache.get_many(["a", "b"])
    assert calls == ["get_many", "get", "get"], "BaseCache.get_many no longer calls get"


def test_the_user_is_read_only_once_authentication_ran(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import SimpleLazyObject

    from observability.compat.django import loaded_user

    request, reads = rf.get("/"), []
    request.user = SimpleLazyObject(lambda: reads.append(1) or AnonymousUser())
    assert loaded_user(request) is None and reads == [], "SimpleLazyObject._wrapped / empty changed"
    assert request.user.is_authenticated is False  # what a view or DRF does
    assert isinstance(loaded_user(request), AnonymousUser) and reads == [1]
    assert loaded_user(rf.get("/")) is None


def test_debug_answers_a_not_found_through_the_debug_modules_technical_404_response():
    from django.core.handlers import exception as handlers
    from django.views import debug

    from observability.compat.django import WRAPPED_FLAG

    code = handlers.response_for_exception.__code__
    assert handlers.debug is debug and "technical_404_response" in code.co_names, "looked up elsewhere now"
    assert getattr(debug.technical_404_response, WRAPPED_FLAG, False)  # wrapped when the app was ready
