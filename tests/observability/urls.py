"""A URLconf with one view per response kind, in front of the project's own URLs.

Used in-process (``@pytest.mark.urls``) and under gunicorn (``tests.e2e.settings``).
"""

from __future__ import annotations

import asyncio
import logging
import time

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from chimera.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads these
from chimera.urls import urlpatterns as project_urlpatterns
from observability.context import get_request_id

logger = logging.getLogger("tests.views")


def plain(request):
    logger.info("plain view ran")
    return HttpResponse("ok")


def collector(request):
    """What this process's garbage collector leaves out of full collections (gunicorn: the loaded application)."""
    import gc
    import os

    return JsonResponse({"pid": os.getpid(), "frozen": gc.get_freeze_count()})


def echo(request):
    """What the application saw of the request: client address, scheme, request ID, trace header."""
    return JsonResponse({"remote_addr": request.META.get("REMOTE_ADDR"), "scheme": request.scheme,
                         "request_id": get_request_id(), "traceparent": request.headers.get("traceparent"),
                         "host": request.get_host()})


def redirect(request):
    return HttpResponseRedirect("/ok")


def boom(request):
    raise RuntimeError("the view failed")


def slow(request):
    """Logs a line, then takes ?sleep= seconds: a request the journal finds slow."""
    logger.info("slow view ran with %s", request.GET.urlencode())
    time.sleep(float(request.GET.get("sleep", "0.3")))
    return HttpResponse("ok")


def missing(request):
    raise Http404("no such thing")


def stream(request):
    """Logs a line per chunk and takes a few milliseconds over each, so a 1 ms threshold always finds it slow."""
    def chunks():
        for number in range(3):
            logger.info("streaming chunk %d", number)
            time.sleep(0.005)
            yield f"chunk {number}\n"

    return StreamingHttpResponse(chunks())


async def concurrent(request):
    """Awaits while other requests run, then reports the ID it sees."""
    await asyncio.sleep(float(request.GET.get("sleep", "0.05")))
    return JsonResponse({"context": get_request_id(), "attribute": request.request_id})


def cors(request):
    response = HttpResponse("ok")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def own_header(request):
    response = HttpResponse("ok")
    response["X-Request-ID"] = "set-by-the-view"
    return response


class Echo(serializers.Serializer):
    name = serializers.CharField(max_length=10)


class ApiOk(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        logger.info("api view ran")
        return Response({"ok": True})

    def post(self, request):
        serializer = Echo(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data)


class ApiAuth(APIView):
    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


class Deny(BasePermission):
    message = "Not for you."

    def has_permission(self, request, view):
        return False


class ApiForbidden(ApiOk):
    permission_classes = [Deny]


class AlwaysThrottled(BaseThrottle):
    def allow_request(self, request, view):
        return False

    def wait(self):
        return 7


class ApiThrottled(ApiOk):
    throttle_classes = [AlwaysThrottled]


class ApiBoom(ApiOk):
    def get(self, request):
        raise RuntimeError("the API view failed")


class ApiUserBoom(APIView):
    """Fails after DRF authenticated the session's user."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        logger.warning("failing for an authenticated user")
        raise RuntimeError("the user's view failed")


class ApiNotFound(ApiOk):
    def get(self, request):
        raise NotFound("No such widget.")


urlpatterns = [
    path("ok", plain),
    path("echo", echo),
    path("collector", collector),
    path("redirect", redirect),
    path("boom", boom),
    path("missing", missing),
    path("slow", slow),
    path("stream", stream),
    path("cors", cors),
    path("concurrent", concurrent),
    path("own-header", own_header),
    path("slash/", plain),
    path("api/test/ok", ApiOk.as_view()),
    path("api/test/auth", ApiAuth.as_view()),
    path("api/test/forbidden", ApiForbidden.as_view()),
    path("api/test/throttled", ApiThrottled.as_view()),
    path("api/test/boom", ApiBoom.as_view()),
    path("api/test/missing", ApiNotFound.as_view()),
    path("api/test/user-boom", ApiUserBoom.as_view()),
    path("api/test/django-404", missing),
    path("api/test/django-500", boom),
    *project_urlpatterns,
]
