"""The prompt pipeline that runs before any provider call: enforce limits, normalise, apply a template.

Pure functions and one small frozen class, so it is cheap to run as its own health probe.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PLACEHOLDER = "{prompt}"
# Horizontal whitespace of any kind (tabs, no-break and other Unicode spaces), not newlines.
HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
BLANK_LINES = re.compile(r"\n{3,}")
DROPPED_CATEGORIES = frozenset({"Cc", "Cs"})
BYTE_ORDER_MARK = "\ufeff"
# What the OpenAPI schema requires of a prompt so that something is left once normalised: one
# character that is neither whitespace (JSON Schema's \s, which includes the byte order mark)
# nor a control character. Lone surrogates cannot be written in the schema's regex dialect.
CONTENT_PATTERN = r"[^\s\ufeff\x00-\x1f\x7f-\x9f]"
SELF_TEST_INPUT = "  Hello,\r\n\r\n\r\n\tWORLD\x00 \u00a0!  "
SELF_TEST_OUTPUT = "Hello,\n\nWORLD !"


class PromptRejected(ValueError):
    """The prompt cannot be sent: `code` says why (``prompt_empty``, ``prompt_too_long``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalise(text: str) -> str:
    """NFC, LF newlines, no control characters or BOMs, single spaces, at most one blank line, trimmed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (NUL, escape sequences, ...), lone surrogates (which no encoder accepts)
    # and byte order marks never reach a provider; tabs become spaces.
    text = "".join(c for c in text.replace(BYTE_ORDER_MARK, "")
                   if c in "\n\t" or unicodedata.category(c) not in DROPPED_CATEGORIES)
    lines = (HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def apply_template(template: str, prompt: str) -> str:
    """`template` with its placeholder replaced by `prompt`; braces in the prompt stay literal."""
    return template.replace(PLACEHOLDER, prompt, 1)


@dataclass(frozen=True)
class TransformationEngine:
    """Turns what a caller sent into what a provider receives, or refuses it."""

    template: str = PLACEHOLDER
    max_chars: int = 4000

    @classmethod
    def from_config(cls, config) -> TransformationEngine:
        """The engine of a ``chimera.conf.ServiceConfig`` (its prompt template and limit)."""
        return cls(template=config.prompt_template, max_chars=config.prompt_max_chars)

    def run(self, prompt: str) -> str:
        """The provider's input for `prompt`; raises PromptRejected when it is too long or empty.

        The limit applies to the prompt as sent, before any work is done on it.
        """
        if len(prompt) > self.max_chars:
            raise PromptRejected(
                "prompt_too_long", f"The prompt has {len(prompt)} characters; the limit is {self.max_chars}.",
            )
        text = normalise(prompt)
        if not text:
            raise PromptRejected("prompt_empty", "The prompt is empty once whitespace and control characters "
                                                 "are removed.")
        return apply_template(self.template, text)

    def self_test(self) -> None:
        """Normalise and template a fixed input (limits aside); raises AssertionError when wrong."""
        result = normalise(SELF_TEST_INPUT)
        if result != SELF_TEST_OUTPUT:
            raise AssertionError(f"normalisation gave {result!r}, expected {SELF_TEST_OUTPUT!r}")
        if result not in apply_template(self.template, result):
            raise AssertionError("the template dropped the prompt")
