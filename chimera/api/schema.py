"""OpenAPI schema hooks: the prompt's constraints come from the running configuration."""

from __future__ import annotations

from chimera.conf import get_service_config
from chimera.transform import CONTENT_PATTERN


def prompt_constraints(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook: the prompt's live length limit and content rule."""
    schemas = result.get("components", {}).get("schemas", {})
    prompt = schemas.get("GenerateRequest", {}).get("properties", {}).get("prompt")
    if prompt is not None:
        prompt.update(minLength=1, maxLength=get_service_config().prompt_max_chars, pattern=CONTENT_PATTERN)
    return result
