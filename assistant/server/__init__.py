"""The FastAPI application; routes call the package's public functions only."""

from __future__ import annotations

from fastapi import FastAPI

from .. import __version__
from ..config import get_settings
from ..errors import AssistantError
from ..ingest import open_index


def create_app() -> FastAPI:
    """Build the app over the configured index."""
    app = FastAPI(title="Council documents assistant", version=__version__)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, object]:
        """The index opens and matches the configured model."""
        try:
            index = open_index(get_settings())
        except AssistantError as exc:
            from fastapi import HTTPException

            raise HTTPException(status_code=503, detail=str(exc)) from exc
        try:
            stats = index.stats()
        finally:
            index.close()
        return {"status": "ready", "documents": stats["documents"], "chunks": stats["chunks"]}

    return app
