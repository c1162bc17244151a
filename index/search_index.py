"""The on-disk search index: a row table, a BM25 index and a FAISS index, built together.

Beside the chunk vectors, an optional second FAISS index holds one vector per sentence of
each multi-sentence chunk (``index/sentences.py``), with the row each sentence belongs to.

Each build goes to a folder of its own (``index/gen-<generation>/``); a ``CURRENT``
file, replaced atomically, names the live one. A reader that finds ``CURRENT`` behind
the store's generation (a crash between commit and index build) rebuilds from the store
and the embedding cache, so nothing is embedded twice.

>>> import tempfile
>>> rows = [IndexRow("d1:00000", "d1", "安全生产法.md", "law", None, "national"),
...         IndexRow("d2:00000", "d2", "消防法.md", "law", None, "national")]
>>> bm25_tokens, vectors = [["安全", "生产"], ["消防"]], np.eye(2, 384, dtype="float32")
>>> index = SearchIndex.build(rows, bm25_tokens, vectors, model_id="multilingual-e5-small", generation=3)
>>> folder = Path(tempfile.mkdtemp()) / "index"
>>> index.save(folder)
>>> sorted(p.name for p in folder.iterdir())
['CURRENT', 'gen-3']
>>> SearchIndex.load(folder).manifest["generation"]
3
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from regkb.index import ann
from regkb.index.bm25 import Bm25Index

_CURRENT = "CURRENT"
_PREVIOUS = ".CURRENT.previous"  # the pointer save() replaced, until the next save
# Bumped when the on-disk layout gains something a search needs (2: row titles, articles
# and section paths, sentence vectors; 3: the national article a local one restates; 4: also
# where the local one rewords it; 5: the law's article a regulation repeats word for word; 6: no
# copy states other figures than its source); an older build is rebuilt from the store.
FORMAT = 6


class _OneThreadForSearches:
    """OpenMP's thread count is global to the process, and the service runs several searches
    at once: the first search to start sets one thread, the last to finish restores the count."""

    def __init__(self):
        self._lock = threading.Lock()
        self._searches = 0
        self._threads = 0

    @contextmanager
    def __call__(self):
        import faiss

        with self._lock:
            if not self._searches:
                self._threads = faiss.omp_get_max_threads()
                faiss.omp_set_num_threads(1)
            self._searches += 1
        try:
            yield
        finally:
            with self._lock:
                self._searches -= 1
                if not self._searches:
                    faiss.omp_set_num_threads(self._threads)


# One OpenMP thread for FAISS while it answers one query: splitting a search of a few
# thousand vectors over cores costs more than it saves, and far more on a busy machine.
# Builds keep all threads.
single_threaded = _OneThreadForSearches()


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
    title: str | None = None  # the document's title, for looking up cited articles (《消防法》第十六条)
    article: str | None = None  # 第X条
    section_path: list[str] = field(default_factory=list)
    restates: str | None = None  # the national chunk a local article restates, or a lower national one repeats


@dataclass
class SearchFilters:
    doc_type: str | None = None
    region: str | None = None  # matches when the document's region contains it (辽宁 ⊂ 辽宁省)
    level: str | None = None
    source: str | None = None
    authority: str | None = None
    excluded_docs: tuple[str, ...] = ()  # documents not to search (versions not in force on the day asked)

    def active(self) -> bool:
        return any(asdict(self).values())


class SearchIndex:
    def __init__(self, rows: list[IndexRow], bm25: Bm25Index, vectors, manifest: dict, sentences=None,
                 sentence_rows: np.ndarray | None = None):
        self.rows = rows
        self.bm25 = bm25
        self.vectors = vectors  # a faiss index whose ids are row numbers, or None when empty
        self.manifest = manifest
        self.sentences = sentences  # a faiss index whose ids are sentence numbers, or None
        self.sentence_rows = sentence_rows if sentence_rows is not None else np.zeros(0, dtype=np.int64)

    @classmethod
    def build(cls, rows: list[IndexRow], bm25_tokens: list[list[str]], vectors: np.ndarray, *, model_id: str,
              generation: int, sentence_vectors: np.ndarray | None = None,
              sentence_rows: np.ndarray | None = None) -> "SearchIndex":
        """``sentence_vectors[i]`` is a sentence of row ``sentence_rows[i]`` (rows ascending)."""
        faiss_index = sentence_index = None
        if len(rows):
            faiss_index = ann.build_index(vectors, np.arange(len(rows), dtype=np.int64))
        if sentence_vectors is not None and len(sentence_vectors):
            sentence_index = ann.build_index(sentence_vectors, np.arange(len(sentence_vectors), dtype=np.int64))
        manifest = {"format": FORMAT, "generation": generation, "model_id": model_id,
                    "dim": int(vectors.shape[1]) if len(rows) else 0, "rows": len(rows),
                    "vector_index": ann.index_kind(faiss_index) if faiss_index is not None else None,
                    "sentences": int(sentence_index.ntotal) if sentence_index is not None else 0}
        return cls(rows, Bm25Index.build(bm25_tokens), faiss_index, manifest, sentence_index,
                   np.asarray(sentence_rows if sentence_rows is not None else [], dtype=np.int64))

    def chunk_vectors(self) -> np.ndarray:
        """Every row's chunk vector, in row order."""
        if self.vectors is None:
            return np.zeros((0, self.manifest.get("dim") or 0), dtype=np.float32)
        return self.vectors.reconstruct_n(0, self.vectors.ntotal)

    def appended(self, rows: list[IndexRow], bm25_tokens: list[list[str]], vectors: np.ndarray, *, generation: int,
                 sentence_vectors: np.ndarray, sentence_rows: list[int],
                 moved: tuple[list[int], np.ndarray] = ([], np.zeros(0))) -> "SearchIndex | None":
        """This index with ``rows[len(self.rows):]`` added (``vectors``: theirs; ``sentence_vectors``: their
        sentences, of ``sentence_rows``), as the index of ``generation``. ``rows`` replaces the
        row table (a row before them may now restate a new one); ``bm25_tokens`` are every row's,
        as BM25's statistics are the whole corpus's; ``moved`` gives the sentences already indexed
        whose vector changes (a sentence now embedded under a new document's title), by number.
        None when a build of these rows would pick another kind of vector index than the one
        appended to, or one that cannot replace vectors would have to. Changes this index's FAISS indexes."""
        start, total = len(self.rows), self.sentences.ntotal if self.sentences is not None else 0
        moved_ids = np.asarray(moved[0], dtype=np.int64)
        if self.vectors is None or ann.choose_index_kind(len(rows)) != ann.index_kind(self.vectors):
            return None
        if self.sentences is not None and (ann.choose_index_kind(total + len(sentence_vectors)) != ann.index_kind(self.sentences)
                                           or (len(moved_ids) and ann.index_kind(self.sentences) != "flat")):
            return None
        self.vectors.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                  np.arange(start, len(rows), dtype=np.int64))
        sentences = self.sentences
        if len(moved_ids):
            sentences.remove_ids(moved_ids)
            sentences.add_with_ids(np.ascontiguousarray(moved[1], dtype=np.float32), moved_ids)
        if len(sentence_vectors):
            if sentences is None:
                sentences = ann.build_index(sentence_vectors, np.arange(len(sentence_vectors), dtype=np.int64))
            else:
                sentences.add_with_ids(np.ascontiguousarray(sentence_vectors, dtype=np.float32),
                                       np.arange(total, total + len(sentence_vectors), dtype=np.int64))
        manifest = {**self.manifest, "generation": generation, "rows": len(rows),
                    "sentences": int(sentences.ntotal) if sentences is not None else 0}
        return SearchIndex(rows, Bm25Index.build(bm25_tokens), self.vectors, manifest, sentences,
                           np.concatenate([self.sentence_rows, np.asarray(sentence_rows, dtype=np.int64)]))

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        """The filterable fields as arrays, so a filter is a few vector comparisons."""
        return {name: np.array([getattr(row, name) or "" for row in self.rows], dtype=str)
                for name in ("doc_id", "doc_type", "region", "level", "source", "authority")}

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
        if filters.excluded_docs:
            mask &= ~np.isin(self._columns["doc_id"], list(filters.excluded_docs))
        return mask

    def dense_search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if self.vectors is None:
            return []
        allowed_ids = np.flatnonzero(allowed) if allowed is not None else None
        scores, ids = ann.search(self.vectors, query_vector, k, allowed_ids)
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def row_numbers(self, chunk_ids: list[str]) -> dict[str, int]:
        """The row of each of ``chunk_ids`` the index holds (others are left out)."""
        return {chunk_id: self._row_of[chunk_id] for chunk_id in chunk_ids if chunk_id in self._row_of}

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {row.chunk_id: number for number, row in enumerate(self.rows)}

    def chunk_scores(self, query_vector: np.ndarray, rows: list[int]) -> dict[int, float]:
        """Exact cosine of the query with each of ``rows``' chunk vectors."""
        if self.vectors is None or not rows:
            return {}
        scores, ids = ann.search(self.vectors, query_vector, len(rows), np.asarray(rows, dtype=np.int64))
        return {int(i): float(s) for s, i in zip(scores[0], ids[0]) if i >= 0}

    def sentence_search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None) -> dict[int, float]:
        """The best sentence score of each row among the ``k`` nearest sentences."""
        if self.sentences is None:
            return {}
        allowed_ids = np.flatnonzero(allowed[self.sentence_rows]) if allowed is not None else None
        if allowed_ids is not None and not len(allowed_ids):
            return {}
        scores, ids = ann.search(self.sentences, query_vector, k, allowed_ids)
        return self._best_per_row(scores[0], ids[0])

    def sentence_scores(self, query_vector: np.ndarray, rows: list[int]) -> dict[int, float]:
        """The best sentence score of each of ``rows`` (rows without sentence vectors are left out)."""
        return {row: max(scores) for row, scores in self.sentence_cosines(query_vector, rows).items()}

    def sentence_cosines(self, query_vector: np.ndarray, rows: list[int]) -> dict[int, list[float]]:
        """The score of each sentence of each of ``rows``, in the order of ``split_sentences`` (rows
        without sentence vectors are left out)."""
        if self.sentences is None or not rows:
            return {}
        starts = np.searchsorted(self.sentence_rows, rows, side="left")
        ends = np.searchsorted(self.sentence_rows, rows, side="right")
        ids = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends)])
        if not len(ids):
            return {}
        scores, found = ann.search(self.sentences, query_vector, len(ids), ids.astype(np.int64))
        by_id = {int(i): float(s) for s, i in zip(scores[0], found[0]) if i >= 0}
        return {int(row): [by_id[i] for i in range(a, b)] for row, a, b in zip(rows, starts, ends)
                if b > a and all(i in by_id for i in range(a, b))}

    def _best_per_row(self, scores: np.ndarray, ids: np.ndarray) -> dict[int, float]:
        best: dict[int, float] = {}
        for score, i in zip(scores, ids):
            if i >= 0:
                row = int(self.sentence_rows[i])
                best[row] = max(best.get(row, -1.0), float(score))
        return best

    # --- persistence ------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        """Write this build beside the live one, then make it live. The build it replaces
        stays on disk, named by ``.CURRENT.previous``, until the next save, so that
        ``restore`` can bring it back when the store fails to commit this generation."""
        folder.mkdir(parents=True, exist_ok=True)
        name = f"gen-{self.manifest['generation']}"
        staging = folder / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging.mkdir()
            self.bm25.save(staging / "bm25")
            if self.vectors is not None:
                ann.save_index(self.vectors, staging / "vectors.faiss")
            if self.sentences is not None:
                ann.save_index(self.sentences, staging / "sentences.faiss")
                np.save(staging / "sentence_rows.npy", self.sentence_rows)
            (staging / "rows.json").write_text(json.dumps([vars(r) for r in self.rows], ensure_ascii=False), encoding="utf-8")
            (staging / "manifest.json").write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            pointer = folder / f".{_CURRENT}.tmp"
            pointer.write_text(name, encoding="utf-8")
            live = _live_name(folder)
            if live is not None and live != name:
                (folder / _PREVIOUS).write_text(live, encoding="utf-8")
            else:
                (folder / _PREVIOUS).unlink(missing_ok=True)
        except BaseException:  # a full disk: leave no half-written build behind
            shutil.rmtree(staging, ignore_errors=True)
            raise
        for old in folder.glob("gen-*"):  # builds older than the one being replaced
            if old.name not in (live, name):
                shutil.rmtree(old, ignore_errors=True)
        final = folder / name
        shutil.rmtree(final, ignore_errors=True)  # a rebuild of the live generation replaces it
        os.replace(staging, final)
        os.replace(pointer, folder / _CURRENT)

    @staticmethod
    def restore(folder: Path, generation: int) -> None:
        """Make the build of ``generation`` live again if a newer save replaced it (the store
        did not commit that newer generation), and delete the newer build."""
        live = _live_name(folder)
        if live is None or live == f"gen-{generation}":
            return
        if _live_name(folder, _PREVIOUS) == f"gen-{generation}":
            os.replace(folder / _PREVIOUS, folder / _CURRENT)
        else:  # nothing to go back to: the next load rebuilds from the store
            (folder / _CURRENT).unlink(missing_ok=True)
        shutil.rmtree(folder / live, ignore_errors=True)

    @staticmethod
    def current_generation(folder: Path) -> int | None:
        try:
            name = (folder / _CURRENT).read_text(encoding="utf-8").strip()
            manifest = json.loads((folder / name / "manifest.json").read_text(encoding="utf-8"))
            return manifest["generation"] if manifest.get("format") == FORMAT else None
        except (OSError, ValueError, KeyError):
            return None

    @classmethod
    def load(cls, folder: Path) -> "SearchIndex":
        live = folder / (folder / _CURRENT).read_text(encoding="utf-8").strip()
        manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
        rows = [IndexRow(**r) for r in json.loads((live / "rows.json").read_text(encoding="utf-8"))]
        vectors = ann.load_index(live / "vectors.faiss") if (live / "vectors.faiss").exists() else None
        sentences = sentence_rows = None
        if (live / "sentences.faiss").exists():
            sentences = ann.load_index(live / "sentences.faiss")
            sentence_rows = np.load(live / "sentence_rows.npy")
        return cls(rows, Bm25Index.load(live / "bm25", len(rows)), vectors, manifest, sentences, sentence_rows)

    def size_on_disk(self, folder: Path) -> int:
        live = folder / f"gen-{self.manifest['generation']}"
        return sum(p.stat().st_size for p in live.rglob("*") if p.is_file())


def _live_name(folder: Path, pointer: str = _CURRENT) -> str | None:
    """The build folder a pointer file names (None when there is none)."""
    try:
        return (folder / pointer).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
