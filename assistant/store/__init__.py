"""Chunks, vectors and the keyword index on disk."""

from .index import Index, Writer
from .manifest import FORMAT_VERSION, Manifest

__all__ = ["FORMAT_VERSION", "Index", "Manifest", "Writer"]
