"""The chimera HTTP API: POST /api/v1/generate and the OpenAPI schema."""
