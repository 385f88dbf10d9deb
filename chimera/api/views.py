"""POST /api/v1/generate: authenticate, throttle, validate, transform, call the provider."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chimera import transform
from chimera.api import exceptions, tasks
from chimera.api.serializers import (
    GenerateRequestSerializer,
    GenerateResponseSerializer,
    TaskAcceptedSerializer,
    error_response,
)
from chimera.api.throttles import GenerateRateThrottle
from chimera.conf import get_service_config
from chimera.llm.base import ProviderFailure
from chimera.llm.service import LLMService, get_llm_service
from observability.api_keys import ApiKeyAuthentication
from observability.context import get_request_id


class GenerateView(APIView):
    """Generate text from a prompt with one of the configured providers."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [GenerateRateThrottle]
    service: LLMService | None = None  # None: the running configuration's; tests may inject one

    def perform_content_negotiation(self, request: Request, force: bool = False):
        """DRF's negotiation; a ``?format=`` no renderer offers is ``unsupported_format``, not a bare 404."""
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            message = "The only format this endpoint answers in is json; leave out ?format= or use format=json."
            raise exceptions.ServiceError("unsupported_format", message) from None

    @extend_schema(
        operation_id="generate",
        tags=["generate"],
        request=GenerateRequestSerializer,
        responses={
            200: GenerateResponseSerializer,
            202: OpenApiResponse(TaskAcceptedSerializer, description='"async": true; Location names the task.'),
            400: error_response("Invalid body, unknown provider, or a prompt that is empty or too long."),
            401: error_response("Missing or wrong X-API-Key."),
            406: error_response("A ?format= other than json."),
            411: error_response("A chunked body the server cannot read."),
            413: error_response("A body larger than the server accepts."),
            429: error_response("Too many requests for this API key, or too many wrong keys from this address; "
                                "see Retry-After."),
            502: error_response("The provider failed or answered something unusable."),
            503: error_response("The provider is not configured (or, with async, the task queue cannot be reached "
                                "or is full)."),
            504: error_response("The provider did not answer in time."),
        },
    )
    def post(self, request: Request) -> Response:
        """Run the prompt through the transformation engine, then the provider."""
        serializer = GenerateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = self.service or get_llm_service()
        engine = transform.TransformationEngine.from_config(get_service_config())
        try:
            provider = service.provider(serializer.validated_data.get("provider"))
            prompt = engine.run(serializer.validated_data["prompt"])
            if serializer.validated_data["async"]:
                return tasks.accept(prompt, provider, request.auth.key_id)
            generation = service.generate(prompt, provider.name)
        except ProviderFailure as failure:
            raise exceptions.from_failure(failure) from None
        except transform.PromptRejected as rejected:
            raise exceptions.from_rejection(rejected) from None
        body = {"text": generation.text, "provider": generation.provider, "model": generation.model,
                "request_id": get_request_id()}
        return Response(GenerateResponseSerializer(body).data)
