"""Scores that mean the same for every query, for platforms that cut at a threshold (Dify).

The hybrid ranking's scores are scaled per query (its best hit is near 1 whatever it is), so
a threshold on them says nothing. Here each hit of the hybrid ranking gets the probability
that it holds the answer, from a logistic model of two things that do carry across queries:
the hit's dense similarity to the query (cosine, absolute) and its place in the ranking. The
model's weights were fitted on the dev half of the plain-language set (``eval/calibrate_scores.py``;
figures in ``eval/RESULTS.md``); records are ordered by that probability.

>>> [round(s, 2) for _, s in calibrated_hits(kb, "出了事故多久要上报", None)][:2]  # doctest: +SKIP
[0.71, 0.34]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from regkb.index.search_index import SearchFilters
from regkb.service.schemas import SearchHit

CANDIDATES = 100  # hits of the hybrid ranking scored per query


@dataclass(frozen=True)
class RelevanceModel:
    """p(relevant) = σ(bias + w_dense · cosine + w_rank · ln(rank))."""

    bias: float
    dense: float
    rank: float

    def probability(self, cosine: float, rank: int) -> float:
        return 1.0 / (1.0 + math.exp(-(self.bias + self.dense * cosine + self.rank * math.log(rank))))


# fitted by eval/calibrate_scores.py on the plain-language set's dev split
FITTED = RelevanceModel(bias=0.38, dense=0.72, rank=-3.2)


def features(kb, query: str, filters: SearchFilters | None, depth: int = CANDIDATES) -> list[tuple[SearchHit, float, int]]:
    """The hybrid ranking's hits with each one's dense similarity and 1-based rank. A hit the
    dense list does not reach gets that list's lowest similarity (its own is at most that)."""
    ranked = kb.search(query, k=depth, mode="hybrid", filters=filters).hits
    dense = {hit.chunk_id: hit.score for hit in kb.search(query, k=depth, mode="dense", filters=filters).hits}
    floor = min(dense.values(), default=0.0)
    return [(hit, min(dense.get(hit.chunk_id, floor), 1.0), rank) for rank, hit in enumerate(ranked, start=1)]


def calibrated_hits(kb, query: str, filters: SearchFilters | None, depth: int = CANDIDATES,
                    model: RelevanceModel = FITTED) -> list[tuple[SearchHit, float]]:
    """The hits with their probability of holding the answer, most probable first."""
    scored = [(hit, round(model.probability(cosine, rank), 4)) for hit, cosine, rank in features(kb, query, filters, depth)]
    return sorted(scored, key=lambda pair: -pair[1])
