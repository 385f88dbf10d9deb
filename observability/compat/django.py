"""Django's internals: a response's closers, the Redis cache's connection pools, the cache classes' methods,
DEBUG's "Page not found" page.

Written against Django 5.2 (the pinned 5.2.x); ``tests/observability/compat/test_django.py``
pins each one in the installed version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.functional import LazyObject, empty

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache
    from django.http import HttpResponseBase

__all__ = ["close_with", "disconnect_redis_pools", "loaded_user", "wrap_cache_methods", "wrap_technical_404"]

# The public methods of Django's cache API; the async ones and the composite ones call these.
CACHE_METHODS = ("add", "get", "set", "touch", "delete", "clear", "get_many", "set_many", "delete_many",
                 "has_key", "incr", "decr", "get_or_set", "incr_version", "decr_version")
WRAPPED_FLAG = "__observability_wrapped__"


def close_with(response: HttpResponseBase, closer: Callable[[], object]) -> None:
    """Have the server's ``close()`` of `response` call `closer`, before Django's ``request_finished``.

    Django 3.0 to 5.2: ``HttpResponseBase.close()`` calls each of ``_resource_closers`` (a
    list), then sends ``request_finished``; Django has no public way to add to it. If the list
    is renamed, every response fails with an AttributeError in ``RequestIDMiddleware``; if
    ``close()`` stops calling it, the request ID and timings stay in the context after the
    response (the pinning test catches both).
    """
    response._resource_closers.append(closer)


def disconnect_redis_pools(cache: BaseCache) -> None:
    """Disconnect the connection pools `cache` opened, when it is Django's ``RedisCache``; others: nothing.

    Django 4.0 (the first with ``RedisCache``) to 5.2: the backend's client is the cached
    property ``_cache``, made on first use, and keeps one redis-py pool per server in
    ``RedisCacheClient._pools``; ``close()`` leaves them open. If either name changes, nothing
    fails: the pools of each health probe's cache object stay open until it is collected.
    """
    client = cache.__dict__.get("_cache")  # only when it was created: reading the property would make one
    for pool in getattr(client, "_pools", {}).values():
        pool.disconnect()


def wrap_cache_methods(backend: type[BaseCache], wrap: Callable[[Callable], Callable]) -> None:
    """Replace each public method (``CACHE_METHODS``) of the cache class `backend` by ``wrap(method)``, once.

    Django has no hook for cache calls (django-debug-toolbar patches them too). Django 4.0 to
    5.2: ``BaseCache``'s async methods (``aget``, ...) run the sync ones in a thread and its
    composite ones (``get_or_set``, ``get_many``, ...) call ``get``/``set`` through ``self``, so
    the wrapper sees every call, nested ones included. A backend that implements an async
    method natively bypasses the wrapper: its time goes missing from ``Server-Timing`` and the
    access log without any error (the pinning test checks ``aget`` goes through ``get``).
    """
    for name in CACHE_METHODS:
        method = getattr(backend, name, None)
        if callable(method) and not getattr(method, WRAPPED_FLAG, False):
            wrapped = wrap(method)
            setattr(wrapped, WRAPPED_FLAG, True)
            setattr(backend, name, wrapped)


def loaded_user(request: object) -> object | None:
    """The user on `request` once authentication has run, without running it; None before.

    Django 1.x to 5.2: ``AuthenticationMiddleware`` sets ``request.user`` to a ``SimpleLazyObject``
    whose ``_wrapped`` is ``empty`` until it is read; DRF replaces it with the user it
    authenticated. Reading the lazy object would load the session in a log filter. If the names
    change, authenticated users of Django's middleware go without ``user`` (the pinning test fails).
    """
    user = getattr(request, "__dict__", {}).get("user")
    if isinstance(user, LazyObject):
        wrapped = user._wrapped
        return None if wrapped is empty else wrapped
    return user


def wrap_technical_404(prepare: Callable[[object, Exception], tuple[object, Exception]]) -> None:
    """Have DEBUG's "Page not found" page made from ``prepare(request, exception)``'s request and exception, once.

    Django 2.0 to 5.2: with ``DEBUG`` on, ``response_for_exception()`` answers an ``Http404`` with
    ``django.views.debug.technical_404_response(request, exception)``, looked up on the module at
    each call, instead of ``handler404``; no setting chooses it, and the exception reporter is
    not asked. If the function is renamed or imported by name instead, the page shows the
    request's URL and the exception's text as they are (the pinning test fails).
    """
    from django.views import debug

    original = debug.technical_404_response
    if getattr(original, WRAPPED_FLAG, False):
        return

    def technical_404_response(request, exception):
        return original(*prepare(request, exception))

    setattr(technical_404_response, WRAPPED_FLAG, True)
    debug.technical_404_response = technical_404_response
