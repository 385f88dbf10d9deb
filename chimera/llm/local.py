"""The offline provider: deterministic, always available, costs nothing."""

from __future__ import annotations

import hashlib

from chimera.llm.base import Generation

MODEL = "local-echo-1"
PREVIEW_CHARS = 200


class LocalProvider:
    """Answers every prompt with the same text for the same input, without any network."""

    name = "local"
    model = MODEL
    configured = True
    not_configured_reason = None

    def generate(self, prompt: str) -> Generation:
        """A reply that describes the prompt: its size, a digest and its opening."""
        digest = hashlib.sha256(prompt.encode()).hexdigest()[:12]
        words = len(prompt.split())
        preview = prompt if len(prompt) <= PREVIEW_CHARS else prompt[:PREVIEW_CHARS] + "..."
        text = f"[local] {words} word{'s' if words != 1 else ''}, digest {digest}: {preview}"
        return Generation(text=text, provider=self.name, model=self.model)
