"""The benchmark's view: a route with a parameter and one log line, as a typical view has."""

import logging

from django.http import HttpResponse
from django.urls import path

logger = logging.getLogger("bench")


class DiscardingHandler(logging.Handler):
    """Formats each record, as a real handler would, then drops it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


def item(request, pk):
    logger.info("item %s served", pk)
    return HttpResponse("ok")


urlpatterns = [path("bench/items/<int:pk>/", item)]
