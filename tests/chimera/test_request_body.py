"""Chunked request bodies: read when the server decoded them, 411 when it did not; never empty."""

from __future__ import annotations

import io
import json

from tests.chimera.conftest import API_KEY

URL = "/api/v1/generate"


def chunked_post(client, body: dict, **environ):
    """A POST as a server passes on ``Transfer-Encoding: chunked``: a body, and no Content-Length."""
    data = json.dumps(body).encode()
    # A plain stream as a server's input (the test client's own refuses reads past its length).
    return client.generic("POST", URL, data, content_type="application/json", CONTENT_LENGTH="",
                          HTTP_TRANSFER_ENCODING="chunked", HTTP_X_API_KEY=API_KEY,
                          **{"wsgi.input": io.BytesIO(data), **environ})


def test_a_decoded_chunked_body_is_read(client, configure):
    response = chunked_post(client, {"prompt": "hi"}, **{"wsgi.input_terminated": True})
    assert response.status_code == 200, response.content
    assert response.json()["text"].endswith(": hi")


def test_a_chunked_body_over_the_limit_is_413(client, configure, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = chunked_post(client, {"prompt": "x" * 200}, **{"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_chunked_body_the_server_left_encoded_is_411(client, configure):
    response = chunked_post(client, {"prompt": "hi"})
    assert response.status_code == 411
    assert response.json()["error"] == {
        "code": "length_required", "message": "A chunked request body cannot be read here: send Content-Length.",
        "request_id": response["X-Request-ID"],
    }


def test_bodies_with_a_length_are_left_alone(client, configure):
    response = client.post(URL, json.dumps({"prompt": "hi"}), content_type="application/json",
                           HTTP_X_API_KEY=API_KEY, HTTP_TRANSFER_ENCODING="identity")
    assert response.status_code == 200
