"""The request journal: every failed or slow request, findable by its request ID or trace ID.

``configuration`` (REQUEST_JOURNAL_*, the link templates), ``recording`` (the middleware, the
per-request log buffer and the background writer), ``queries`` (reading it), ``api`` (the endpoints).
Entries live in ``observability.models.JournalEntry``, shared by every process using the database.
"""
