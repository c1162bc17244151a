"""The default backend: ``SearchIndex`` (a bm25s index and a FAISS index in files next to
the store), rebuilt for a store generation, or appended to when the store only gained
documents (``append``: the new rows' vectors added to the live FAISS indexes, BM25 re-indexed
from the tokens kept with the live build, the whole written as a new build then made live); the duty
search in memory.

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

import json
import os
from pathlib import Path

import numpy as np

from regkb.corpus.models import text_hash
from regkb.index.backends.base import Embed, Sentences, Tokenize
from regkb.index.duty_search import DutyTexts, LocalDutyIndex
from regkb.index.search_index import IndexRow, SearchIndex

# Each build keeps its texts' BM25 tokens beside the index, by text hash: the next build
# segments only the texts that are new (jieba over a library's 15k chunks takes half a minute).
_TOKENS = "tokens.json"
# Kept with the tokens: when the segmenter (its dictionary, its thesaurus) cuts this differently,
# the kept tokens are stale and every text is segmented again.
SEGMENTER_PROBE = "生产经营单位的主要负责人组织建立安全风险分级管控和隐患排查治理双重预防工作机制，危险化学品重大危险源"


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
        kept, tokens = self._tokens(texts, tokenize)
        index = SearchIndex.build(rows, tokens, vectors, model_id=model_id, generation=generation,
                                  sentence_vectors=embed(sentence_texts) if sentence_texts else None,
                                  sentence_rows=sentence_rows)
        self._save(index, kept)
        return index

    def append(self, live: SearchIndex, rows: list[IndexRow], texts: list[str], tokenize: Tokenize,
               vectors: np.ndarray, embed: Embed, *, generation: int, sentences: Sentences,
               moved: tuple[list[int], list[str]] = ([], [])) -> SearchIndex | None:
        """``live`` (the loaded live build) with ``rows[len(live.rows):]`` appended, saved as the build of
        ``generation``. ``rows`` and ``texts`` are every row's (an earlier row's ``restates`` may change);
        ``vectors`` are the new rows', ``sentences`` the new rows' sentences, ``moved`` the indexed
        sentences (by number) whose text to embed changed. None when the live build cannot take them
        (see ``SearchIndex.appended``): the caller rebuilds."""
        kept, tokens = self._tokens(texts, tokenize)
        nothing = np.zeros((0, vectors.shape[1]), np.float32)
        sentence_texts, sentence_rows = sentences
        index = live.appended(rows, tokens, vectors, generation=generation,
                              sentence_vectors=embed(sentence_texts) if sentence_texts else nothing,
                              sentence_rows=sentence_rows,
                              moved=(moved[0], embed(moved[1]) if moved[1] else nothing))
        if index is not None:
            self._save(index, kept)
        return index

    def _tokens(self, texts: list[str], tokenize: Tokenize) -> tuple[dict, list[list[str]]]:
        """Each text's BM25 tokens (segmenting only those the live build did not keep), and what to keep."""
        probe = tokenize(SEGMENTER_PROBE)
        known = self._previous_tokens(probe)
        hashes = [text_hash(t) for t in texts]
        tokens = [known[h] if h in known else tokenize(t) for h, t in zip(hashes, texts)]
        return {"probe": probe, "tokens": dict(zip(hashes, tokens))}, tokens

    def _save(self, index: SearchIndex, kept: dict) -> None:
        index.save(self.folder)
        self._save_tokens(index.manifest["generation"], kept)

    def duty_index(self, texts: DutyTexts, tokenize: Tokenize, embed: Embed, *, generation: int) -> LocalDutyIndex:
        """Duties are few and their vectors cached: their index lives in memory, one per generation."""
        return LocalDutyIndex.build(texts, tokenize, embed)

    def _live(self) -> Path | None:
        try:
            return self.folder / (self.folder / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def _previous_tokens(self, probe: list[str]) -> dict[str, list[str]]:
        live = self._live()
        try:
            kept = json.loads((live / _TOKENS).read_text(encoding="utf-8")) if live else {}
        except (OSError, ValueError):
            return {}
        return kept.get("tokens", {}) if kept.get("probe") == probe else {}

    def _save_tokens(self, generation: int, tokens: dict) -> None:
        live = self.folder / f"gen-{generation}"
        staging = live / f".{_TOKENS}.tmp"
        staging.write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        os.replace(staging, live / _TOKENS)
