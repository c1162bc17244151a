"""Fusion of the BM25 and dense result lists.

Two methods. ``scores`` (the default): each list's scores are scaled to [0, 1] (BM25 by
its best score; cosine between the list's best and worst candidate) and mixed as
α·bm25 + (1−α)·dense, where α follows the evidence: it grows with the share of the query's
rarity (idf mass) that BM25 could match at all. A plain-language query whose words the
documents never use leans on the embeddings; a query in the documents' own terms leans on
BM25. ``rrf``: weighted reciprocal-rank fusion, Σ wₘ / (k + rankₘ).

On the labelled set (eval/RESULTS.md) score fusion beat RRF by 0.03–0.05 in hit@5 and MRR:
RRF throws away how far ahead the best BM25 hit is.

>>> fuse_scores([(3, 9.0), (7, 4.5)], [(7, 0.82), (1, 0.80), (3, 0.70)], alpha=0.5)
[(7, 0.75), (3, 0.5), (1, 0.416...)]
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from regkb.index.hits import Hits


class FusionMethod(str, Enum):
    scores = "scores"
    rrf = "rrf"


@dataclass(frozen=True)
class FusionWeights:
    method: FusionMethod = FusionMethod.scores
    alpha_min: float = 0.2  # BM25's share when it matched none of the query's rare words
    alpha_max: float = 0.6  # … and when it matched all of them
    rrf_k: int = 10
    rrf_bm25: float = 1.0
    rrf_dense: float = 1.0
    # the question memory (index/question_memory.py): a remembered question at cosine c ≥ threshold
    # multiplies its gold articles' fused scores by 1 + weight·(c − threshold)/(1 − threshold)
    memory_threshold: float = 0.7
    memory_weight: float = 1.0

    def alpha(self, coverage: float) -> float:
        return self.alpha_min + (self.alpha_max - self.alpha_min) * max(0.0, min(1.0, coverage))


def fuse_scores(bm25: Hits, dense: Hits, alpha: float) -> Hits:
    scores: dict[int, float] = {}
    if bm25:
        best = bm25[0][1] or 1.0
        for row, score in bm25:
            scores[row] = alpha * score / best
    if dense:
        best, worst = dense[0][1], dense[-1][1]
        spread = (best - worst) or 1.0
        for row, score in dense:
            scores[row] = scores.get(row, 0.0) + (1 - alpha) * (score - worst) / spread
    return sorted(scores.items(), key=lambda item: -item[1])


def fuse_rrf(ranked: dict[str, Hits], weights: dict[str, float], rrf_k: int) -> Hits:
    scores: dict[int, float] = {}
    for name, hits in ranked.items():
        weight = weights.get(name, 1.0)
        for rank, (row, _) in enumerate(hits, start=1):
            scores[row] = scores.get(row, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def lift(hits: Hits, recalled: dict[int, float], weight: float, threshold: float) -> Hits:
    """``hits`` with each recalled row (its closest remembered question's cosine) already among
    them multiplied by 1 + weight·(cosine − threshold)/(1 − threshold). Only candidates, and in
    proportion: a neighbour on another article of the same law (their cosines reach the
    threshold too) cannot pull a weak candidate over the one the lists agree on; added, or
    joining the list, the lift cost formal hit@1 on dev (eval/RESULTS.md, issue 21, q21u)."""
    scale = weight / (1.0 - threshold)
    return sorted(((row, score * (1.0 + scale * (recalled[row] - threshold)) if row in recalled else score)
                   for row, score in hits), key=lambda item: -item[1])


def fuse(bm25: Hits, dense: Hits, coverage: float, weights: FusionWeights) -> Hits:
    if weights.method is FusionMethod.rrf:
        return fuse_rrf({"bm25": bm25, "dense": dense}, {"bm25": weights.rrf_bm25, "dense": weights.rrf_dense},
                        weights.rrf_k)
    return fuse_scores(bm25, dense, weights.alpha(coverage))
