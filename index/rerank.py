"""A learned re-ranker over the signals the query pipeline already has.

The top ``depth`` hits after the legal prior are re-ordered by a linear model (logistic
regression, learned offline by ``eval/train_rerank.py`` on the first question set and shipped
as ``index/data/rerank.json``) over cheap per-candidate features: its fused score and rank,
its BM25 and dense scores and ranks, the query's BM25 coverage, the kind of article
(penalty, definitions, national), how strongly its document leads the list, its length and
place in the document, and how many of the query's character pairs it contains. The hand-set
fusion decides which document; the features let the model pick the article within it.

>>> model = RerankModel.load()
>>> reranker = LearnedReranker(index.rows, chunk_texts, model)
>>> reranker.run(query, hits, bm25_hits, dense_hits, coverage)["hits"][0]
(812, 0.91...)
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from regkb.haystack_import import import_haystack

import_haystack()
from haystack import component  # noqa: E402

from regkb.index.hits import HitList  # noqa: E402
from regkb.index.legal_prior import CONSEQUENCE_QUESTION, PENALTY_CHAPTER, is_national  # noqa: E402

MODEL_FILE = "rerank.json"
HAN_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")
DEFINITIONS = re.compile(r"下列用语|用语的含义|是指")

FEATURES = (
    "score_rel", "recip_rank", "bm25_rel", "bm25_recip_rank", "bm25_absent", "dense_rel", "dense_recip_rank",
    "dense_absent", "coverage", "coverage_x_bm25", "penalty", "penalty_asked", "definitions", "national",
    "doc_best_rel", "doc_count", "doc_share", "doc_first", "best_of_doc", "log_length", "doc_position",
    "pair_overlap", "pair_overlap_rel",
)


def _han_pairs(text: str) -> set[str]:
    return set(HAN_PAIR.findall(text))


def _ranks(hits: HitList) -> tuple[dict[int, int], dict[int, float]]:
    return ({row: rank for rank, (row, _) in enumerate(hits, start=1)}, dict(hits.pairs))


class DocumentLayout:
    """Where each row stands in its document (rows of a document are indexed in reading order)."""

    def __init__(self, rows):
        positions: dict[str, list[int]] = {}
        for number, row in enumerate(rows):
            positions.setdefault(row.doc_id, []).append(number)
        self.position = np.zeros(len(rows))
        for numbers in positions.values():
            for place, number in enumerate(numbers):
                self.position[number] = place / max(1, len(numbers) - 1)


def candidate_features(query: str, hits: HitList, bm25_hits: HitList, dense_hits: HitList, coverage: float,
                       rows, layout: DocumentLayout, texts: list[str]) -> np.ndarray:
    """One row of ``FEATURES`` per hit in ``hits`` (``texts`` are those hits' chunk texts)."""
    scores = np.array([score for _, score in hits], dtype=float)
    best = scores[0] if len(scores) and scores[0] > 0 else 1.0
    bm25_rank, bm25_score = _ranks(bm25_hits)
    bm25_best = (bm25_hits[0][1] if len(bm25_hits) else 0.0) or 1.0
    dense_rank, dense_score = _ranks(dense_hits)
    dense_best = dense_hits[0][1] if len(dense_hits) else 0.0
    dense_floor = dense_hits[-1][1] if len(dense_hits) else 0.0
    docs = [rows[row].doc_id for row, _ in hits]
    top10_mass = float(scores[:10].sum()) or 1.0
    doc_best: dict[str, float] = {}
    doc_count: dict[str, int] = {}
    doc_mass: dict[str, float] = {}
    for rank, (doc, score) in enumerate(zip(docs, scores)):
        doc_best.setdefault(doc, score)
        if rank < 20:
            doc_count[doc] = doc_count.get(doc, 0) + 1
        if rank < 10:
            doc_mass[doc] = doc_mass.get(doc, 0.0) + score
    query_pairs = _han_pairs(query)
    overlaps = [len(query_pairs & _han_pairs(text)) / (len(query_pairs) or 1) for text in texts]
    best_overlap = max(overlaps, default=0.0) or 1.0
    asked_penalty = 1.0 if CONSEQUENCE_QUESTION.search(query) else 0.0
    features = np.zeros((len(scores), len(FEATURES)))
    for i, ((row_number, score), doc, text, overlap) in enumerate(zip(hits, docs, texts, overlaps)):
        row = rows[row_number]
        penalty = 1.0 if any(PENALTY_CHAPTER in part for part in row.section_path) else 0.0
        bm25 = bm25_score.get(row_number, 0.0) / bm25_best
        dense = dense_score.get(row_number, dense_floor)
        features[i] = (
            score / best, 1 / (i + 1), bm25, 1 / bm25_rank[row_number] if row_number in bm25_rank else 0.0,
            float(row_number not in bm25_rank), dense - dense_best,
            1 / dense_rank[row_number] if row_number in dense_rank else 0.0, float(row_number not in dense_rank),
            coverage, coverage * bm25, penalty, penalty * asked_penalty, 1.0 if DEFINITIONS.search(text) else 0.0,
            float(is_national(row)), doc_best[doc] / best, doc_count.get(doc, 0) / 20, doc_mass.get(doc, 0.0) / top10_mass,
            float(doc == docs[0]), float(doc_best[doc] == score), math.log1p(len(text)), layout.position[row_number],
            overlap, overlap / best_overlap,
        )
    return features


@dataclass(frozen=True)
class RerankModel:
    """A linear scorer over standardised ``FEATURES``: w · (x − mean) / scale."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    depth: int

    @classmethod
    def load(cls, path: Path | None = None) -> "RerankModel":
        if path is None:
            text = resources.files("regkb.index").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"重排模型的特征与代码不一致:{path or MODEL_FILE}(请运行 eval/train_rerank.py 重新训练)")
        return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["weights"]), int(data["depth"]))

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURES), "depth": self.depth, "mean": self.mean.round(6).tolist(),
                           "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist()},
                          ensure_ascii=False, indent=1)

    def score(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.weights


def reorder(hits: HitList, order: list[int]) -> HitList:
    """The first ``len(order)`` hits in ``order``; each place keeps the score it had, so the
    list stays ordered by score for the stages after this one."""
    top = [hits[i][0] for i in order]
    return HitList(tuple(zip(top, (score for _, score in hits[: len(top)]))) + hits.pairs[len(top):])


@component
class LearnedReranker:
    """Re-orders the top of the ranked list by the learned model (see the module docstring)."""

    def __init__(self, rows, chunk_texts, model: RerankModel):
        self.rows = rows
        self.chunk_texts = chunk_texts
        self.model = model
        self.layout = DocumentLayout(rows)

    @component.output_types(hits=HitList)
    def run(self, query: str, hits: HitList, bm25_hits: HitList, dense_hits: HitList, coverage: float) -> dict:
        top = hits.top(self.model.depth)
        if len(top) < 2:
            return {"hits": hits}
        features = candidate_features(query, top, bm25_hits, dense_hits, coverage, self.rows, self.layout,
                                      self.chunk_texts(top.rows()))
        order = np.argsort(-self.model.score(features), kind="stable")
        return {"hits": reorder(hits, order.tolist())}
