"""Fusion of the BM25 and dense lists (index/fusion.py): BM25's share follows its coverage."""

from regkb.index.fusion import FusionMethod, FusionWeights, fuse

# Row 1 is BM25's alone and row 2 the embeddings' alone; each list also holds row 3, weakly.
BM25 = [(1, 8.0), (3, 2.0)]
DENSE = [(2, 0.90), (3, 0.80)]


def test_bm25_leads_when_it_matched_the_query_s_rare_words():
    matched_all = fuse(BM25, DENSE, coverage=1.0, weights=FusionWeights(alpha_min=0.2, alpha_max=0.6))
    matched_none = fuse(BM25, DENSE, coverage=0.0, weights=FusionWeights(alpha_min=0.2, alpha_max=0.6))
    assert [row for row, _ in matched_all][0] == 1
    assert [row for row, _ in matched_none][0] == 2


def test_fused_lists_are_ordered_and_hold_every_row():
    for method in FusionMethod:
        fused = fuse(BM25, DENSE, coverage=0.5, weights=FusionWeights(method=method))
        assert {row for row, _ in fused} == {1, 2, 3}
        assert [score for _, score in fused] == sorted((score for _, score in fused), reverse=True)


def test_fusion_without_bm25_hits_is_the_dense_list():
    dense = [(3, 0.9), (4, 0.8)]
    assert [row for row, _ in fuse([], dense, coverage=0.0, weights=FusionWeights())] == [3, 4]
