"""Who-owns-what retrieval: the duties of 分工方案 and plans ranked for a question, on any backend.

A task paragraph covers several topics and a question is about one of them, so both BM25
(with the thesaurus's plain-word expansion) and the embedder score a duty by its
best-matching sentence; the two scores, each scaled to the best duty, are added with
weights. A backend (``index/backends/``) keeps the texts (``DutyTexts``) in a ``DutyIndex``
and returns the raw scores of every duty and sentence; ``DutySearch`` combines them, the
same way on every backend.

>>> duties = [Duty(doc_id="d", source="s", task="尾矿库治理。", lead=["省应急厅"], section_path=["3.非煤矿山"]),
...           Duty(doc_id="d", source="s", task="消防车通道整治。", lead=["省消防救援总队"])]
>>> texts = DutyTexts.of(duties)
>>> texts.sentences, texts.sentence_rows.tolist()
(['3.非煤矿山 尾矿库治理。', '消防车通道整治。'], [0, 1])
>>> embed = lambda batch: np.eye(len(batch), 4, dtype="float32")  # stands in for the embedder
>>> search = DutySearch(LocalDutyIndex.build(texts, list, embed), texts, [d.inferred for d in duties])
>>> [row for row, _ in search.rank(["尾"], [], np.eye(1, 4, dtype="float32")[0])]
[0, 1]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from regkb.corpus.models import Duty

Tokenize = Callable[[str], list[str]]
Embed = Callable[[list[str]], np.ndarray]  # texts → normalised vectors (through the cache)

# At equal relevance, a duty stated in a 分工方案 or table ranks before one read from prose.
INFERRED_FACTOR = 0.97
# Weights of the two scores, each scaled to [0, 1] over the duties. A weighted sum, not
# RRF: the embedder's similarities of duties are close together (0.90 vs 0.89), and RRF
# turns such a near tie into a full rank step. On held-out plain questions BM25 (which finds
# a task's rare words: 尾矿库, 消防车通道) was the more precise of the two, so it weighs more;
# the embedder carries the paraphrases BM25 misses (煤气罐 → 瓶装液化气).
BM25_WEIGHT = 1.5
DENSE_WEIGHT = 1.0
# The BM25 score of a duty is its best sentence's score plus this share of the whole duty's
# score (task, headings and departments' names), so a department named in the question counts.
WHOLE_DUTY_SHARE = 0.8
EXPANSION_WEIGHT = 0.5  # thesaurus terms count half, as in the passage search
_SENTENCE_RE = re.compile(r"(?<=[。;；!！?？])")


def duty_names(duty: Duty) -> list[str]:
    return duty.lead + duty.responsible + duty.cooperating


def duty_sentences(duty: Duty) -> list[str]:
    return [part for part in _SENTENCE_RE.split(duty.task) if part.strip()]


def sentence_texts(duties: list[Duty]) -> tuple[list[str], np.ndarray]:
    """Every sentence of every task under its heading (what is embedded), and its duty's row."""
    texts, rows = [], []
    for row, duty in enumerate(duties):
        heading = duty.section_path[-1] if duty.section_path else ""
        for sentence in duty_sentences(duty) or [duty.task]:
            texts.append(f"{heading} {sentence}".strip())
            rows.append(row)
    return texts, np.asarray(rows, dtype=np.int64)


def duty_index_text(duty: Duty) -> str:
    """What the whole-duty BM25 index sees: headings, task and the departments' names
    (so that "宣传部管不管" favours the tasks the 省委宣传部 shares)."""
    return "\n".join(part for part in (" ".join(duty.section_path), duty.task, " ".join(duty_names(duty))) if part)


@dataclass(frozen=True)
class DutyTexts:
    """What a duty index holds: one whole text per duty (BM25 only) and the duties' sentences
    (BM25 and the embedder), each with its duty's row."""

    whole: list[str]
    sentences: list[str]
    sentence_rows: np.ndarray

    @classmethod
    def of(cls, duties: list[Duty]) -> "DutyTexts":
        sentences, rows = sentence_texts(duties)
        return cls([duty_index_text(d) for d in duties], sentences, rows)


class DutyIndex(Protocol):
    """The raw scores a backend computes over ``DutyTexts``."""

    def bm25_scores(self, tokens: list[str], expansion: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of every duty's whole text and of every sentence (each over its own statistics);
        ``expansion`` tokens count ``EXPANSION_WEIGHT``."""

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """The cosine of the query with every sentence."""


class LocalDutyIndex:
    """Two bm25s indexes (one row per duty, one per sentence) and the sentence vectors in memory:
    cheap to build (the vectors come from the embedding cache), so it is built per store generation."""

    def __init__(self, whole, sentences, vectors: np.ndarray):
        self.whole = whole
        self.sentences = sentences
        self.vectors = vectors

    @classmethod
    def build(cls, texts: DutyTexts, tokenize: Tokenize, embed: Embed) -> "LocalDutyIndex":
        from regkb.index.bm25 import Bm25Index

        whole = Bm25Index.build([tokenize(t) for t in texts.whole])
        return cls(whole, Bm25Index.build([tokenize(t) for t in texts.sentences]), embed(texts.sentences))

    def bm25_scores(self, tokens: list[str], expansion: list[str]) -> tuple[np.ndarray, np.ndarray]:
        def scores(index) -> np.ndarray:
            return index.scores(tokens) + EXPANSION_WEIGHT * index.scores(expansion)

        return scores(self.whole), scores(self.sentences)

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        return self.vectors @ query_vector


def _scaled(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def _min_max(scores: np.ndarray) -> np.ndarray:
    low, high = (float(scores.min()), float(scores.max())) if scores.size else (0.0, 0.0)
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def _best_per_duty(scores: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    best = np.full(size, -np.inf, dtype=np.float32)
    np.maximum.at(best, rows, scores.astype(np.float32))
    return np.where(np.isfinite(best), best, 0.0).astype(np.float32)


class DutySearch:
    """Duties ranked for a question's tokens and vector, over a backend's ``DutyIndex``."""

    def __init__(self, index: DutyIndex, texts: DutyTexts, inferred: list[bool]):
        self.index = index
        self.sentence_rows = texts.sentence_rows
        self.inferred = inferred

    def rank(self, tokens: list[str], expansion: list[str], query_vector: np.ndarray) -> list[tuple[int, float]]:
        """Every duty, best first, as (row, score); at equal score exact duties come first."""
        scores = BM25_WEIGHT * _scaled(self._bm25(tokens, expansion)) + DENSE_WEIGHT * _min_max(self._dense(query_vector))
        scores = scores * np.where(self.inferred, INFERRED_FACTOR, 1.0)
        order = sorted(range(len(self.inferred)), key=lambda row: (-round(float(scores[row]), 9), self.inferred[row]))
        return [(row, float(scores[row])) for row in order]

    def _bm25(self, tokens: list[str], expansion: list[str]) -> np.ndarray:
        """Per duty: its best sentence's BM25 score + WHOLE_DUTY_SHARE × the whole duty's, each scaled."""
        whole, sentences = self.index.bm25_scores(tokens, expansion)
        size = len(self.inferred)
        return _scaled(_best_per_duty(sentences, self.sentence_rows, size)) + WHOLE_DUTY_SHARE * _scaled(whole)

    def _dense(self, query_vector: np.ndarray) -> np.ndarray:
        """Per duty: the cosine similarity of its best sentence to the question."""
        return _best_per_duty(self.index.dense_scores(query_vector), self.sentence_rows, len(self.inferred))
