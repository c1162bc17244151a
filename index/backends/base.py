"""The interface every search backend implements, and the factory that picks one.

The retrieval components see a ``SearchBackend``: ``rows`` (row id → ``IndexRow``),
``bm25`` (a ``KeywordIndex``), ``dense_search`` and ``allowed``. What ``allowed`` returns
is opaque to them: a boolean row mask for FAISS + bm25s, a filter expression that Milvus
evaluates for Milvus. The service sees an ``IndexStorage``: which generation of the store
the index reflects, load it, or bring it up to date with the store.

>>> import tempfile
>>> rows = [IndexRow("d1:00000", "d1", "安全生产法.md", "law", None, "national"),
...         IndexRow("d2:00000", "d2", "消防法.md", "law", None, "national")]
>>> texts = ["安全 生产", "消防 设施"]
>>> embed = lambda texts: np.eye(len(texts), 384, dtype="float32")  # stands in for the embedder
>>> storage = open_index_storage("faiss", folder=Path(tempfile.mkdtemp()) / "index")
>>> storage.current_generation() is None
True
>>> index = storage.build(rows, texts, str.split, embed, model_id="multilingual-e5-small", generation=3)
>>> storage.current_generation(), index.bm25.search(["消防"], 5)
(3, [(1, 0.315...)])
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from regkb.index.choices import BackendKind
from regkb.index.duty_search import DutyIndex, DutyTexts, Embed, Tokenize
from regkb.index.hits import Hits
from regkb.index.search_index import IndexRow, SearchFilters

Sentences = tuple[list[str], list[int]]  # sentence texts to embed, and the row of each (``index/sentences.py``)


class KeywordIndex(Protocol):
    def search(self, query_tokens: list[str], k: int, allowed: Any = None,
               expansion: dict[str, float] | None = None, expansion_weight: float = 0.5) -> Hits: ...

    def search_including(self, query_tokens: list[str], k: int, allowed: Any = None,
                         expansion: dict[str, float] | None = None, expansion_weight: float = 0.5,
                         include: Iterable[int] = ()) -> Hits: ...

    def idf(self, token: str) -> float: ...


class SearchBackend(Protocol):
    rows: Any  # supports rows[row_id] → IndexRow and len(rows)
    bm25: KeywordIndex
    manifest: dict

    def allowed(self, filters: SearchFilters | None) -> Any: ...

    def dense_search(self, query_vector: np.ndarray, k: int, allowed: Any) -> Hits: ...


class IndexStorage(Protocol):
    def current_generation(self) -> int | None:
        """The store generation the stored index reflects (None when there is none)."""

    def load(self) -> SearchBackend: ...

    def restore(self, generation: int) -> None:
        """Bring back the index of ``generation`` when a build after it was not committed by
        the store (a no-op where the backend cannot)."""

    def build(self, rows: list[IndexRow], texts: list[str], tokenize: Tokenize, embed: Embed, *, model_id: str,
              generation: int, sentences: Sentences | None = None) -> SearchBackend:
        """Make the stored index hold exactly ``rows`` (``texts`` are what BM25 and the embedder see;
        ``sentences``, when the backend keeps sentence evidence, each row's sentences)."""

    def duty_index(self, texts: DutyTexts, tokenize: Tokenize, embed: Embed, *, generation: int) -> DutyIndex:
        """The duty search over ``texts``, the store's duties at ``generation`` (built when the
        stored one, if the backend stores one, reflects another generation)."""


def open_index_storage(backend: str, *, folder: Path, milvus_uri: str | None = None,
                       milvus_collection: str = "regkb") -> IndexStorage:
    if BackendKind.parse(backend) is BackendKind.milvus:
        from regkb.index.backends.milvus import MilvusIndexStorage, connect

        return MilvusIndexStorage(connect(milvus_uri), milvus_collection)
    from regkb.index.backends.faiss_bm25s import FaissBm25sStorage

    return FaissBm25sStorage(folder)
