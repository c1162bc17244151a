"""Embeddings through the store's cache: each text is embedded once per model.

>>> vectors, embedded = cached_embeddings(store, embedder, ["第一条 …", "第二条 …"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from regkb.corpus.models import text_hash
from regkb.corpus.store import Store
from regkb.index.embedders import Embedder

# Vectors are committed in batches of this size, so an interrupted run resumes where it
# stopped instead of embedding everything again.
CACHE_BATCH = 64


def cached_embeddings(store: Store, embedder: Embedder, texts: list[str],
                      progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
    """The vectors of ``texts`` in order, and how many had to be embedded now."""
    hashes = [text_hash(t) for t in texts]
    cached = store.cached_vectors(embedder.model_id, hashes)
    missing = {h: t for h, t in zip(hashes, texts) if h not in cached}
    todo = sorted(missing.items(), key=lambda item: len(item[1]))  # little padding within a batch
    if progress:
        progress(len(texts) - len(todo))  # the cached ones are done already
    for start in range(0, len(todo), CACHE_BATCH):
        batch = todo[start : start + CACHE_BATCH]
        vectors = embedder.embed_passages([t for _, t in batch], progress=progress)
        items = list(zip([h for h, _ in batch], vectors))
        store.put_vectors(embedder.model_id, items)
        cached.update(items)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    return np.stack([np.asarray(cached[h], dtype=np.float32) for h in hashes]), len(todo)
