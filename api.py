"""Builds the HTTP app: `uvicorn api:app`."""

from assistant.server import create_app

app = create_app()
