"""API errors as JSON that carries the request ID: ``{"error": {"code", "message", "request_id"}}``.

``exception_handler`` is DRF's ``EXCEPTION_HANDLER``; the ``handler400/403/404/500`` views are
Django's error handlers, answering JSON under the API prefixes (``/api/`` by default) and
Django's usual pages everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from observability.context import get_request_id
from observability.request_id import get_request_id_config

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from rest_framework.response import Response

__all__ = [
    "error_body", "exception_handler", "handler400", "handler403", "handler404", "handler500", "is_api_request",
    "safe_methods_only",
]


def error_body(code: str, message: str, request_id: str | None, details: Any = None) -> dict:
    """The error envelope; `details` (field errors of a 400) only when there are some."""
    error = {"code": code, "message": message, "request_id": request_id}
    if details is not None:
        error["details"] = details
    return {"error": error}


SAFE_METHODS = ("GET", "HEAD")


def safe_methods_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, any other method a JSON 405 with ``Allow``.

    Exempt from CSRF: a view that only reads takes no form, and CSRF would otherwise answer a
    stray POST or PUT with Django's HTML 403 page before the method is looked at.
    """
    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            message = f"{request.method} is not allowed here; use {' or '.join(SAFE_METHODS)}."
            response = _json_error(request, 405, "method_not_allowed", message)
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        return view(request, *args, **kwargs)
    return csrf_exempt(checked)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler (status, headers such as Retry-After), with the body in the error envelope."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: Django's handler500 answers
    request_id = getattr(context.get("request"), "request_id", None) or get_request_id()
    detail = getattr(exc, "detail", None)
    if isinstance(exc, exceptions.ValidationError) or not isinstance(detail, exceptions.ErrorDetail):
        code = getattr(exc, "default_code", "error")
        message = str(getattr(exc, "default_detail", "The request failed."))
        response.data = error_body(code, message, request_id, details=response.data)
    else:
        response.data = error_body(detail.code, str(detail), request_id)
    return response


def is_api_request(request: HttpRequest) -> bool:
    """Whether `request` asked for an API path, whose errors are JSON."""
    return request.path_info.startswith(get_request_id_config().json_error_prefixes)


def _json_error(request: HttpRequest, status: int, code: str, message: str) -> JsonResponse:
    request_id = getattr(request, "request_id", None) or get_request_id()
    return JsonResponse(error_body(code, message, request_id), status=status)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 (bad request, suspicious operation); 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    if is_api_request(request):
        if isinstance(exception, RequestDataTooBig):
            return _json_error(request, 413, "request_too_large", "The request body is larger than the server "
                                                                  "accepts.")
        return _json_error(request, 400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 (permission denied outside DRF)."""
    if is_api_request(request):
        return _json_error(request, 403, "permission_denied", "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 (no route, or Http404 outside DRF); the path is not echoed."""
    if is_api_request(request):
        return _json_error(request, 404, "not_found", "The requested resource was not found.")
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    """500 (an unhandled exception); no detail of the failure is shown."""
    if is_api_request(request):
        return _json_error(request, 500, "server_error", "The server failed to handle the request.")
    return defaults.server_error(request)
