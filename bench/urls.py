"""A trivial DRF endpoint: what every middleware's cost is measured against."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class Ping(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench", Ping.as_view())]
