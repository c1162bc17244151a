"""With no place asked and many places' copies of a matter filling BM25's list, the national
rows below it join the fusion on the list's own scale (index/retrieval.py, index/fusion.py)."""

from __future__ import annotations

import numpy as np

from regkb.index.fusion import FusionWeights
from regkb.index.hits import HitList
from regkb.index.legal_prior import LegalPriorRanker
from regkb.index.retrieval import Bm25Retriever, QueryTerms, RankFuser
from regkb.index.search_index import IndexRow, SearchIndex

PLACES = ("辽宁省", "山东省", "浙江省")
LOCAL = 30  # three places' copies, each saying 燃气 three times
TOP_K = 10


def _index() -> tuple[SearchIndex, list[str]]:
    rows = [IndexRow(f"l{i}:00000", f"l{i}", f"{PLACES[i % 3]}燃气管理条例.md", "regulation", PLACES[i % 3],
                     "provincial", authority="local_regulation") for i in range(LOCAL)]
    rows += [IndexRow(f"n{i}:00000", f"n{i}", "城镇燃气管理条例.md", "regulation", None, "national",
                      authority="administrative_regulation") for i in range(2)]
    # the national regulation says 燃气 once in a longer article; its other article never
    tokens = [["燃气", "燃气", "燃气", "条例"]] * LOCAL + [["燃气", "管道", "安全", "检查", "条例"], ["管道", "条例"]]
    texts = ["".join(t) for t in tokens]
    vectors = np.eye(len(rows), 8, dtype=np.float32) + 0.01
    return SearchIndex.build(rows, tokens, vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
                             model_id="toy", generation=1), texts


def _bm25(place_asked: bool) -> dict:
    index, texts = _index()
    prior = LegalPriorRanker(index.rows, [None, *PLACES])
    retriever = Bm25Retriever(index, lambda rows: [texts[row] for row in rows], prior)
    terms = QueryTerms(tokens=("燃气",), expansion={}, terms=())
    return retriever.run("燃气", terms, TOP_K, place_asked=place_asked)


def test_the_national_row_below_local_copies_is_fused_and_the_lists_rows_keep_their_scores():
    found = _bm25(place_asked=False)
    assert all(row < LOCAL for row in found["hits"].rows())  # ten local copies fill BM25's list
    assert found["below"].rows() == [LOCAL]  # five slots beyond half; the one national row that says 燃气
    dense = HitList.of([(0, 0.9), (1, 0.8)])
    fuser = RankFuser(FusionWeights())
    alone = dict(fuser.run(found["hits"], dense, 0.5)["hits"])
    fused = dict(fuser.run(found["hits"], dense, 0.5, found["below"])["hits"])
    assert set(fused) == set(alone) | {LOCAL} and 0 < fused[LOCAL] < max(alone.values())
    assert {row: fused[row] for row in alone} == alone


def test_a_place_asked_reads_no_deeper():
    assert len(_bm25(place_asked=True)["below"]) == 0
