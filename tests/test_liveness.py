"""GET /health, in-process: answers without any database access."""

from __future__ import annotations


def test_liveness_answers_ok_without_touching_the_database(client):
    # No django_db mark: pytest-django makes any database access fail this test.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_liveness_refuses_writes(client):
    assert client.post("/health").status_code == 405
