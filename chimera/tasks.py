"""Background tasks of the service layer: a generation, answered later at ``/api/v1/tasks/<id>``."""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded

from chimera.celery import app
from chimera.llm.base import ProviderFailure
from chimera.llm.service import get_llm_service
from observability.context import get_request_id


class TaskFailure(Exception):
    """A task that failed with one of the API's error codes; its arguments survive the result store."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code, self.message = code, message


@app.task(name="chimera.generate")
def generate(prompt: str, provider: str) -> dict[str, object]:
    """The synchronous endpoint's answer for a prompt already through the transformation engine."""
    try:
        generation = get_llm_service().generate(prompt, provider)
    except ProviderFailure as failure:
        raise TaskFailure(failure.code, failure.message) from None
    except SoftTimeLimitExceeded:
        raise TaskFailure("task_time_limit", f"The generation did not finish within {app.conf.task_time_limit:g} "
                                             "seconds.") from None
    return {"text": generation.text, "provider": generation.provider, "model": generation.model,
            "request_id": get_request_id()}
