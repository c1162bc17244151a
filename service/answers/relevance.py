"""Scores that mean the same for every query, for platforms that cut at a threshold (Dify).

The hybrid ranking's scores are scaled per query, so a threshold on them alone says little.
Here each hit of the hybrid ranking gets the probability that it holds the answer, from a
logistic model of what it has that carries across queries: its hybrid score, its place in
the ranking, and its raw BM25 score (how much of the query's wording it holds; a question the
corpus does not cover matches little). The weights were fitted on the dev half of the
plain-language set (``eval/training/relevance.py``; figures in ``eval/RESULTS.md``). That
probability is multiplied by the answer support's scope model (``support.py``: is the question
one the corpus answers at all, read from its plain vector), which the ranking signals cannot
tell: an off-topic question still has a first hit with a high hybrid score. Records are
ordered by the product.

>>> [round(s, 2) for _, s in calibrated_hits(kb, "出了事故多久要上报", None)][:2]  # doctest: +SKIP
[0.77, 0.42]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from regkb.index.search_index import SearchFilters
from regkb.service.schemas import SearchHit

CANDIDATES = 100  # hits of the hybrid ranking scored per query


@dataclass(frozen=True)
class RelevanceModel:
    """p(relevant) = σ(bias + w_hybrid · hybrid score + w_rank · ln(rank) + w_bm25 · ln(1 + BM25 score))."""

    bias: float
    hybrid: float
    rank: float
    bm25: float

    def probability(self, row: "Features") -> float:
        z = self.bias + self.hybrid * row.hybrid + self.rank * math.log(row.rank) + self.bm25 * math.log1p(row.bm25)
        return row.in_scope / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Features:
    hybrid: float
    rank: int  # 1-based
    bm25: float  # 0 when the BM25 list does not reach the hit
    in_scope: float = 1.0  # the question's, from the answer support's scope model


# fitted by eval/training/relevance.py on the plain-language set's dev split
FITTED = RelevanceModel(bias=-8.51, hybrid=11.96, rank=-1.07, bm25=-0.86)


def features(kb, query: str, filters: SearchFilters | None, depth: int = CANDIDATES) -> list[tuple[SearchHit, Features]]:
    """The hybrid ranking's hits with what the relevance model reads of each."""
    ranked = kb.search(query, k=depth, mode="hybrid", filters=filters).hits
    bm25 = {hit.chunk_id: hit.score for hit in kb.search(query, k=depth, mode="bm25", filters=filters).hits}
    plain = np.asarray(kb.embedder.embed_queries([query])[0], dtype=np.float32)
    scope = kb.answer_desk.support.in_scope(plain)
    return [(hit, Features(hit.score, rank, bm25.get(hit.chunk_id, 0.0), scope)) for rank, hit in enumerate(ranked, start=1)]


def calibrated_hits(kb, query: str, filters: SearchFilters | None, depth: int = CANDIDATES,
                    model: RelevanceModel = FITTED) -> list[tuple[SearchHit, float]]:
    """The hits with their probability of holding the answer, most probable first."""
    scored = [(hit, round(model.probability(row), 4)) for hit, row in features(kb, query, filters, depth)]
    return sorted(scored, key=lambda pair: -pair[1])
