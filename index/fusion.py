"""Rank fusion of the BM25 and dense result lists.

Weighted reciprocal-rank fusion: a row's score is Σ wₘ / (k + rankₘ). The weights can
follow the evidence: when the query's rare terms are all found by BM25, exact wording
matters and BM25 weighs more; when BM25 matched little of the query (plain language),
the dense list weighs more.

>>> fuse({"bm25": [(3, 9.1), (7, 4.0)], "dense": [(7, 0.82), (1, 0.80)]}, {"bm25": 1.0, "dense": 1.0})
[(7, 0.0325...), (3, 0.0163...), (1, 0.0161...)]
"""

from __future__ import annotations

from dataclasses import dataclass

RRF_K = 60


@dataclass(frozen=True)
class FusionWeights:
    bm25: float = 1.0
    dense: float = 1.0
    adaptive: bool = True  # shift weight by how much of the query BM25 matched
    rrf_k: int = RRF_K


def fuse(ranked: dict[str, list[tuple[int, float]]], weights: dict[str, float], rrf_k: int = RRF_K) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for name, hits in ranked.items():
        weight = weights.get(name, 1.0)
        for rank, (row, _) in enumerate(hits, start=1):
            scores[row] = scores.get(row, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def adaptive_weights(base: FusionWeights, matched_idf: float, query_idf: float) -> dict[str, float]:
    """Scale the BM25 weight by the share of the query's rarity (idf mass) BM25 found in its top hit."""
    if not base.adaptive or query_idf <= 0:
        return {"bm25": base.bm25, "dense": base.dense}
    coverage = min(1.0, matched_idf / query_idf)
    return {"bm25": base.bm25 * (0.5 + coverage), "dense": base.dense * (1.5 - coverage)}
