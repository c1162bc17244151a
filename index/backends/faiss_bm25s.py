"""The default backend: ``SearchIndex`` (a bm25s index and a FAISS index in files next to
the store), rebuilt whole for each store generation.

>>> import tempfile
>>> rows = [IndexRow("d1:00000", "d1", "安全生产法.md", "law", None, "national"),
...         IndexRow("d2:00000", "d2", "消防法.md", "law", None, "national")]
>>> embed = lambda texts: np.eye(len(texts), 384, dtype="float32")  # stands in for the embedder
>>> storage = FaissBm25sStorage(Path(tempfile.mkdtemp()) / "index")
>>> _ = storage.build(rows, ["安全 生产", "消防 设施"], str.split, embed, model_id="multilingual-e5-small", generation=1)
>>> query_vector = np.eye(1, 384, 1, dtype="float32")  # the second row's vector
>>> storage.load().dense_search(query_vector, 5, None)
[(1, 1.0), (0, 0.0)]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from regkb.index.backends.base import Embed, Sentences, Tokenize
from regkb.index.search_index import IndexRow, SearchIndex


class FaissBm25sStorage:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def current_generation(self) -> int | None:
        return SearchIndex.current_generation(self.folder)

    def restore(self, generation: int) -> None:
        SearchIndex.restore(self.folder, generation)

    def load(self) -> SearchIndex:
        return SearchIndex.load(self.folder)

    def build(self, rows: list[IndexRow], texts: list[str], tokenize: Tokenize, embed: Embed, *, model_id: str,
              generation: int, sentences: Sentences | None = None) -> SearchIndex:
        vectors = embed(texts) if texts else np.zeros((0, 0), np.float32)
        sentence_texts, sentence_rows = sentences or ([], [])
        index = SearchIndex.build(rows, [tokenize(t) for t in texts], vectors, model_id=model_id, generation=generation,
                                  sentence_vectors=embed(sentence_texts) if sentence_texts else None,
                                  sentence_rows=sentence_rows)
        index.save(self.folder)
        return index
