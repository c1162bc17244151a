"""The default backend: ``SearchIndex`` (a bm25s index and a FAISS index in files next to
the store), rebuilt whole for each store generation.

>>> storage = FaissBm25sStorage(home / "index")
>>> storage.load().dense_search(query_vector, 5, None)
[(12, 0.87...), ...]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regkb.index.backends.base import Embed, Tokenize
from regkb.index.search_index import IndexRow, SearchIndex


class FaissBm25sStorage:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def current_generation(self) -> int | None:
        return SearchIndex.current_generation(self.folder)

    def load(self) -> SearchIndex:
        return SearchIndex.load(self.folder)

    def build(self, rows: list[IndexRow], texts: list[str], tokenize: Tokenize, embed: Embed, *, model_id: str,
              generation: int) -> SearchIndex:
        vectors = embed(texts) if texts else np.zeros((0, 0), np.float32)
        index = SearchIndex.build(rows, [tokenize(t) for t in texts], vectors, model_id=model_id, generation=generation)
        index.save(self.folder)
        return index
