"""Chunks, vectors and the keyword index: SQLite + FAISS files, or PostgreSQL + pgvector."""

from .db import TERM_COUNT_CAP
from .index import Index, Writer
from .manifest import FORMAT_VERSION, Manifest
from .postgres import PgIndex, PgWriter

Store = Index | PgIndex  # what retrieval and answering read, whichever backend holds it

__all__ = ["FORMAT_VERSION", "TERM_COUNT_CAP", "Index", "Manifest", "PgIndex", "PgWriter", "Store", "Writer"]
