"""The HTTP API (FastAPI): the one place permissions are enforced."""
