"""Generation as a background task: published by ``POST /api/v1/generate`` with ``"async": true``,
answered by ``GET /api/v1/tasks/<task_id>``.

A task ID is recorded as pending in the result store before the task is published, so an ID
the API never issued is a 404 rather than Celery's "pending" for anything unknown.
"""

from __future__ import annotations

import logging
import uuid

from billiard.exceptions import WorkerLostError
from celery import states
from celery.exceptions import TimeLimitExceeded
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chimera.api.exceptions import ServiceError
from chimera.api.serializers import ErrorSerializer, TaskStatusSerializer
from chimera.llm.base import Provider, ProviderNotConfigured
from chimera.tasks import TaskFailure, generate
from observability.api_keys import ApiKeyAuthentication
from observability.context import get_request_id

logger = logging.getLogger(__name__)
STATUSES = {
    states.PENDING: "pending", states.RECEIVED: "pending", states.RETRY: "pending",
    states.STARTED: "started", states.SUCCESS: "success",
}


def accept(prompt: str, provider: Provider) -> Response:
    """Publish the generation of a prompt already through the transformation engine: 202 and its task."""
    if not provider.configured:
        raise ProviderNotConfigured(provider.name, f"Provider {provider.name} is not configured "
                                                   f"({provider.not_configured_reason}).")
    task_id = str(uuid.uuid4())
    try:
        generate.backend.store_result(task_id, None, states.PENDING)
        # The prompt stays out of the worker's log lines, as it stays out of the web's.
        generate.apply_async((prompt, provider.name), task_id=task_id,
                             argsrepr=f"(<prompt of {len(prompt)} characters>, {provider.name!r})")
    except Exception as exc:  # whatever the broker or result store's client raises when they are down
        logger.warning("Could not publish a generation task: %s", type(exc).__name__)
        raise ServiceError("queue_unavailable", "The task queue cannot be reached; try again later.") from None
    body = {"task_id": task_id, "status": "pending", "request_id": get_request_id()}
    return Response(body, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": reverse("chimera_api:task", args=[task_id])})


def task_error(exc: object) -> dict[str, str]:
    """The ``error`` of a failed task: the synchronous call's code, or a task's own (never the exception's text)."""
    if isinstance(exc, TaskFailure):
        return {"code": exc.code, "message": exc.message}
    if isinstance(exc, TimeLimitExceeded):
        return {"code": "task_time_limit", "message": "The task was stopped at its time limit."}
    if isinstance(exc, WorkerLostError):
        return {"code": "worker_lost", "message": "The worker process running the task was lost."}
    return {"code": "task_error", "message": "The task failed."}


def task_status(task_id: str, meta: dict) -> dict[str, object]:
    """The answer for a task's stored state."""
    state = meta["status"]
    body: dict[str, object] = {"task_id": task_id, "status": STATUSES.get(state, "failure")}
    if state == states.SUCCESS:
        body["result"] = meta["result"]
    elif body["status"] == "failure":
        body["error"] = task_error(meta["result"])
    return body


class TaskView(APIView):
    """The status of a background generation, and its result or error once it has one."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="task", tags=["generate"],
        responses={200: TaskStatusSerializer,
                   401: OpenApiResponse(ErrorSerializer, description="Missing or wrong X-API-Key."),
                   404: OpenApiResponse(ErrorSerializer, description="No task has this ID.")},
    )
    def get(self, request: Request, task_id: str) -> Response:
        """``pending``, ``started``, ``success`` with the generate answer, or ``failure`` with its error."""
        try:
            task_id = str(uuid.UUID(task_id))
        except ValueError:
            raise NotFound("No task has this ID.") from None
        meta = generate.backend.get_task_meta(task_id)
        if meta.get("task_id") is None:  # nothing stored: an ID this API never issued, or expired
            raise NotFound("No task has this ID.")
        if meta["status"] == states.SUCCESS and not isinstance(meta["result"], dict):
            raise NotFound("No task has this ID.")  # another kind of task's result, in the same store
        return Response(TaskStatusSerializer(task_status(task_id, meta)).data)
