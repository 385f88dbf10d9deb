"""The benchmarks' endpoint: a trivial DRF view with a route parameter and one log line."""

import logging

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


urlpatterns = [path("bench", Ping.as_view()), path("bench/items/<int:pk>/", Ping.as_view())]
