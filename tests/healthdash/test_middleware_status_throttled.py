"""A URLconf whose API view is throttled, nested under an include, for the middleware section."""

from django.urls import include, path
from rest_framework.throttling import AnonRateThrottle

from tests.healthdash.test_middleware_status import Unthrottled


class Throttled(Unthrottled):
    throttle_classes = [AnonRateThrottle]


urlpatterns = [path("api/", include([path("plain", Unthrottled.as_view()), path("limited", Throttled.as_view())]))]
