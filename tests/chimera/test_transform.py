"""The transformation engine: normalise, limit, template."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chimera.transform import CONTENT_PATTERN, PromptRejected, TransformationEngine, apply_template, normalise


@pytest.mark.parametrize(("raw", "expected"), [
    ("  hello  ", "hello"),
    ("a\r\nb\rc", "a\nb\nc"),
    ("a\t\tb  \u00a0 c", "a b c"),
    ("one\n\n\n\n\ntwo", "one\n\ntwo"),
    ("line   \n   next", "line\nnext"),
    ("nul\x00 and escape\x1b[31m", "nul and escape[31m"),
    ("e\u0301", "\u00e9"),  # NFC: e + combining acute becomes é
    ("lone \ud800 surrogate", "lone surrogate"),
    ("\ufeffbom", "bom"),
    ("emoji 👩\u200d💻 stays", "emoji 👩\u200d💻 stays"),
])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@given(st.text())
def test_normalise_is_idempotent_and_never_leaves_control_characters(text):
    once = normalise(text)
    assert normalise(once) == once
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\r]", once)
    assert once == once.strip()


@given(st.text())
def test_content_pattern_tells_exactly_which_prompts_survive_normalisation(text):
    assert bool(re.search(CONTENT_PATTERN, text)) == bool(normalise(text))


@given(st.text())
def test_content_pattern_means_the_same_in_the_schemas_regex_dialect(text):
    validator = jsonschema_rs.validator_for({"type": "string", "pattern": CONTENT_PATTERN})
    assert validator.is_valid(text) == bool(normalise(text))


def test_template_keeps_braces_in_the_prompt_literal():
    assert apply_template("Q: {prompt}\nA:", "{x} and {prompt}") == "Q: {x} and {prompt}\nA:"


def test_run_normalises_then_applies_the_template():
    engine = TransformationEngine(template="Answer briefly: {prompt}")
    assert engine.run("  what   is\r\nOTel? ") == "Answer briefly: what is\nOTel?"


@pytest.mark.parametrize("prompt", ["", "   ", "\x00\x01\n\t", "\ud800"])
def test_empty_prompt_is_rejected(prompt):
    with pytest.raises(PromptRejected) as caught:
        TransformationEngine().run(prompt)
    assert caught.value.code == "prompt_empty"


def test_limit_applies_to_the_prompt_as_sent():
    engine = TransformationEngine(max_chars=5)
    assert engine.run("abcde") == "abcde"
    with pytest.raises(PromptRejected) as caught:
        engine.run("abcdef")
    assert caught.value.code == "prompt_too_long"
    assert "6 characters; the limit is 5" in caught.value.message


def test_self_test_passes_whatever_the_template_and_limit():
    TransformationEngine(template="Be brief. {prompt}", max_chars=1).self_test()
