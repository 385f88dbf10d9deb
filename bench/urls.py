"""The benchmarks' endpoints: a trivial DRF view with a route parameter and one log line, and a
view making three queries."""

import logging

from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger("bench")


class DiscardingHandler(logging.Handler):
    """Formats each record, as a real handler would, then drops it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


class Ping(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request, pk=0):
        logger.info("item %s served", pk)
        return Response({"ok": True})


class Unavailable(Ping):
    """A 503 after one log line: a request the journal records."""

    def get(self, request, pk=0):
        logger.warning("item %s unavailable", pk)
        return Response({"ok": False}, status=503)


class Queries(APIView):
    """Three queries, as a view reading a few rows would make."""

    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        with connection.cursor() as cursor:
            for number in range(3):
                cursor.execute("SELECT %s", [number])
                cursor.fetchone()
        return Response({"ok": True})


urlpatterns = [path("bench", Ping.as_view()), path("bench/items/<int:pk>/", Ping.as_view()),
               path("bench/queries/", Queries.as_view()), path("bench/unavailable/<int:pk>/", Unavailable.as_view())]
