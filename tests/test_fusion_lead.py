"""BM25's best hit keeps a place near the top of the fused list (index/fusion.py)."""

from regkb.index.fusion import FusionMethod, FusionWeights, fuse, fuse_scores, keep_lead


def test_keep_lead_moves_only_a_row_that_fell_below():
    fused = [(row, 1.0 - row / 10) for row in range(8)]
    assert keep_lead(fused, lead=2, rank=5) == fused  # already inside
    moved = keep_lead(fused, lead=7, rank=5)
    assert [row for row, _ in moved] == [0, 1, 2, 3, 7, 4, 5, 6]
    assert [score for _, score in moved] == [score for _, score in fused]  # still ordered by score
    assert keep_lead(fused, lead=7, rank=0) == fused  # floor switched off
    assert keep_lead(fused, lead=42, rank=5) == fused  # a row the list does not hold


def test_fusion_keeps_bm25_leader_in_the_top_five():
    # Six rows the embeddings like best; BM25 alone finds row 99 and is weak on the rest.
    dense = [(row, 0.90 - row / 100) for row in range(6)] + [(99, 0.70)]
    bm25 = [(99, 10.0)] + [(row, 9.0) for row in range(6)]
    plain = fuse_scores(bm25, dense, alpha=0.2)
    assert [row for row, _ in plain].index(99) >= 5  # what the floor is for
    for method in FusionMethod:
        fused = fuse(bm25, dense, coverage=0.0, weights=FusionWeights(method=method))
        assert 99 in [row for row, _ in fused[:5]]
        assert [score for _, score in fused] == sorted((score for _, score in fused), reverse=True)
    off = fuse(bm25, dense, coverage=0.0, weights=FusionWeights(bm25_lead_rank=0))
    assert off == plain


def test_fusion_without_bm25_hits_is_the_dense_list():
    dense = [(3, 0.9), (4, 0.8)]
    assert [row for row, _ in fuse([], dense, coverage=0.0, weights=FusionWeights())] == [3, 4]
