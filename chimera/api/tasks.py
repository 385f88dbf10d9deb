"""Generation as a background task: published by ``POST /api/v1/generate`` with ``"async": true``,
answered by ``GET /api/v1/tasks/<task_id>``.

A task ID is recorded as pending in the result store before the task is published, so an ID
the API never issued is a 404 rather than Celery's "pending" for anything unknown. A task
belongs to the API key that made it: its ID carries a signature of the key's ID, and any other
key gets the same 404 as for an unknown ID. The queue is bounded (``CELERY_QUEUE_MAX_LENGTH``,
then 503 ``queue_full``); a broker or result store that fails or hangs is 503
``queue_unavailable``, and for a few seconds after that every call is, without waiting for it.
"""

from __future__ import annotations

import secrets
import socket
import uuid

from billiard.exceptions import WorkerLostError
from celery import states
from celery.exceptions import TaskRevokedError, TimeLimitExceeded
from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from drf_spectacular.utils import OpenApiResponse, extend_schema
from redis.exceptions import TimeoutError as RedisTimeout
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chimera.api.exceptions import ServiceError
from chimera.api.serializers import ErrorSerializer, TaskStatusSerializer
from chimera.llm.base import Provider, ProviderNotConfigured
from chimera.task_results import ResultFiles
from chimera.tasks import TaskFailure, generate
from healthdash.probes.celery import queue_length
from observability.api_keys import ApiKeyAuthentication
from observability.context import get_request_id
from observability.fail_open import CacheGuard

# One guard for the broker and the result store (usually the same Redis): while either fails,
# requests get their 503 at once instead of each waiting out the timeouts.
queue_guard = CacheGuard("Background generation", backend="the task queue")
UNAVAILABLE = object()
STATUSES = {
    states.PENDING: "pending", states.RECEIVED: "pending", states.RETRY: "pending",
    states.STARTED: "started", states.SUCCESS: "success",
}


def signed_id(random_half: bytes, key_id: str) -> uuid.UUID:
    """A version-4 UUID: `random_half`, then a signature of it and `key_id` (SECRET_KEY's)."""
    signature = salted_hmac("chimera.api.tasks", random_half + key_id.encode()).digest()
    return uuid.UUID(bytes=random_half + signature[:8], version=4)


def issue_task_id(key_id: str) -> str:
    """A new task ID that only `key_id` will be shown the task of."""
    random_half = uuid.UUID(bytes=secrets.token_bytes(8) + bytes(8), version=4).bytes[:8]
    return str(signed_id(random_half, key_id))


def issued_to(task_id: uuid.UUID, key_id: str) -> bool:
    """Whether `task_id` was issued to `key_id`."""
    return constant_time_compare(signed_id(task_id.bytes[:8], key_id).bytes, task_id.bytes)


def queue_is_full() -> bool:
    """Whether CELERY_QUEUE_MAX_LENGTH tasks wait in the broker's queue (results are kept, without a broker)."""
    limit = settings.CELERY_QUEUE_MAX_LENGTH
    if generate.app.conf.task_always_eager:
        return isinstance(generate.backend, ResultFiles) and generate.backend.stored() >= limit
    with generate.app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=generate.app.conf.broker_connection_timeout)
        return queue_length(connection, generate.app.conf.task_default_queue) >= limit


def give_up_on_timeout(exc: BaseException, interval: float) -> None:
    """kombu's errback, called before it reconnects and publishes again: not after a timeout.

    A connection a restarted broker reset fails at once and is worth one more try on a new one;
    a broker that timed out (frozen, or too busy) would only make the request wait one more socket
    timeout per retry and reconnection (about 4 s with CELERY_TASK_PUBLISH_RETRY_POLICY's retries).
    """
    if isinstance(exc, TimeoutError | socket.timeout | RedisTimeout):
        raise exc


def send(task_id: str, prompt: str, provider: str) -> None:
    """Hand the generation to the broker: one socket timeout at most when the broker does not answer."""
    # The prompt stays out of the worker's log lines, as it stays out of the web's.
    generate.apply_async((prompt, provider), task_id=task_id, expires=settings.CELERY_TASK_EXPIRES,
                         argsrepr=f"(<prompt of {len(prompt)} characters>, {provider!r})",
                         retry_policy={"errback": give_up_on_timeout})


def publish(task_id: str, prompt: str, provider: str) -> bool:
    """Publish the generation unless the queue is full; whether it was."""
    if queue_is_full():
        return False
    generate.backend.store_result(task_id, None, states.PENDING)
    send(task_id, prompt, provider)
    return True


def accept(prompt: str, provider: Provider, key_id: str) -> Response:
    """Publish the generation of a prompt already through the transformation engine: 202 and its task."""
    if not provider.configured:
        raise ProviderNotConfigured(provider.name, f"Provider {provider.name} is not configured "
                                                   f"({provider.not_configured_reason}).")
    task_id = issue_task_id(key_id)
    published = queue_guard.call(lambda: publish(task_id, prompt, provider.name), UNAVAILABLE)
    if published is UNAVAILABLE:
        raise ServiceError("queue_unavailable", "The task queue cannot be reached; try again later.")
    if not published:
        raise ServiceError("queue_full", "Too many tasks are waiting; try again later.")
    body = {"task_id": task_id, "status": "pending", "request_id": get_request_id()}
    return Response(body, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": reverse("chimera_api:task", args=[task_id])})


def task_error(exc: object) -> dict[str, str]:
    """The ``error`` of a failed task: the synchronous call's code, or a task's own (never the exception's text)."""
    if isinstance(exc, TaskFailure):
        return {"code": exc.code, "message": exc.message}
    if isinstance(exc, TimeLimitExceeded):
        return {"code": "task_time_limit", "message": "The task was stopped at its time limit."}
    if isinstance(exc, TaskRevokedError):  # the only revocation here: waited past CELERY_TASK_EXPIRES
        return {"code": "task_expired", "message": "The task waited in the queue past its expiry and was not run."}
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
                   404: OpenApiResponse(ErrorSerializer, description="No task of this API key has this ID."),
                   503: OpenApiResponse(ErrorSerializer, description="The result store cannot be reached.")},
    )
    def get(self, request: Request, task_id: str) -> Response:
        """``pending``, ``started``, ``success`` with the generate answer, or ``failure`` with its error."""
        try:
            parsed = uuid.UUID(task_id)
        except ValueError:
            raise NotFound("No task has this ID.") from None
        if not issued_to(parsed, request.auth.key_id):  # another key's task: as if there were none
            raise NotFound("No task has this ID.")
        task_id = str(parsed)
        meta = queue_guard.call(lambda: generate.backend.get_task_meta(task_id), UNAVAILABLE)
        if meta is UNAVAILABLE:
            raise ServiceError("queue_unavailable", "The result store cannot be reached; try again later.")
        if meta.get("task_id") is None:  # nothing stored: an ID this API never issued, or expired
            raise NotFound("No task has this ID.")
        if meta["status"] == states.SUCCESS and not isinstance(meta["result"], dict):
            raise NotFound("No task has this ID.")  # another kind of task's result, in the same store
        return Response(TaskStatusSerializer(task_status(task_id, meta)).data)
