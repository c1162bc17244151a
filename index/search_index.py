"""The on-disk search index: a row table, a BM25 index and a FAISS index, built together.

Each build goes to a folder of its own (``index/gen-<generation>/``); a ``CURRENT``
file, replaced atomically, names the live one. A reader that finds ``CURRENT`` behind
the store's generation (a crash between commit and index build) rebuilds from the store
and the embedding cache, so nothing is embedded twice.

>>> index = SearchIndex.build(rows, bm25_tokens, vectors, model_id="multilingual-e5-small", generation=3)
>>> index.save(home / "index")
>>> SearchIndex.load(home / "index").manifest["generation"]
3
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from regkb.index import ann
from regkb.index.bm25 import Bm25Index

_CURRENT = "CURRENT"


@dataclass
class IndexRow:
    """What a filter needs to know about an indexed chunk."""

    chunk_id: str
    doc_id: str
    source: str
    doc_type: str | None
    region: str | None
    level: str | None
    authority: str | None = None  # 效力层级, for ranking the law above a local rule


@dataclass
class SearchFilters:
    doc_type: str | None = None
    region: str | None = None  # matches when the document's region contains it (辽宁 ⊂ 辽宁省)
    level: str | None = None
    source: str | None = None
    authority: str | None = None

    def active(self) -> bool:
        return any(asdict(self).values())


class SearchIndex:
    def __init__(self, rows: list[IndexRow], bm25: Bm25Index, vectors, manifest: dict):
        self.rows = rows
        self.bm25 = bm25
        self.vectors = vectors  # a faiss index whose ids are row numbers, or None when empty
        self.manifest = manifest

    @classmethod
    def build(cls, rows: list[IndexRow], bm25_tokens: list[list[str]], vectors: np.ndarray, *, model_id: str,
              generation: int) -> "SearchIndex":
        faiss_index = None
        if len(rows):
            faiss_index = ann.build_index(vectors, np.arange(len(rows), dtype=np.int64))
        manifest = {"generation": generation, "model_id": model_id, "dim": int(vectors.shape[1]) if len(rows) else 0,
                    "rows": len(rows), "vector_index": ann.index_kind(faiss_index) if faiss_index is not None else None}
        return cls(rows, Bm25Index.build(bm25_tokens), faiss_index, manifest)

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        """The filterable fields as arrays, so a filter is a few vector comparisons."""
        return {name: np.array([getattr(row, name) or "" for row in self.rows], dtype=str)
                for name in ("doc_type", "region", "level", "source", "authority")}

    def allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Boolean row mask for the filters, None when nothing is filtered."""
        if filters is None or not filters.active():
            return None
        mask = np.ones(len(self.rows), dtype=bool)
        for name in ("doc_type", "level", "source", "authority"):
            wanted = getattr(filters, name)
            if wanted:
                mask &= self._columns[name] == wanted
        if filters.region:  # 辽宁 matches 辽宁省
            mask &= np.char.find(self._columns["region"], filters.region) >= 0
        return mask

    def dense_search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if self.vectors is None:
            return []
        allowed_ids = np.flatnonzero(allowed) if allowed is not None else None
        scores, ids = ann.search(self.vectors, query_vector, k, allowed_ids)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    # --- persistence ------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"gen-{self.manifest['generation']}"
        staging = folder / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        self.bm25.save(staging / "bm25")
        if self.vectors is not None:
            ann.save_index(self.vectors, staging / "vectors.faiss")
        (staging / "rows.json").write_text(json.dumps([asdict(r) for r in self.rows], ensure_ascii=False), encoding="utf-8")
        (staging / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        final = folder / name
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
        pointer = folder / f".{_CURRENT}.tmp"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, folder / _CURRENT)
        for old in folder.glob("gen-*"):  # earlier builds are no longer referenced
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def current_generation(folder: Path) -> int | None:
        try:
            name = (folder / _CURRENT).read_text(encoding="utf-8").strip()
            return json.loads((folder / name / "manifest.json").read_text(encoding="utf-8"))["generation"]
        except (OSError, ValueError, KeyError):
            return None

    @classmethod
    def load(cls, folder: Path) -> "SearchIndex":
        live = folder / (folder / _CURRENT).read_text(encoding="utf-8").strip()
        manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
        rows = [IndexRow(**r) for r in json.loads((live / "rows.json").read_text(encoding="utf-8"))]
        vectors = ann.load_index(live / "vectors.faiss") if (live / "vectors.faiss").exists() else None
        return cls(rows, Bm25Index.load(live / "bm25", len(rows)), vectors, manifest)

    def size_on_disk(self, folder: Path) -> int:
        live = folder / f"gen-{self.manifest['generation']}"
        return sum(p.stat().st_size for p in live.rglob("*") if p.is_file())
