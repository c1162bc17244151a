"""regkb.index.ann: every index kind finds, filters, pads, saves and loads."""

from __future__ import annotations

import numpy as np
import pytest

from regkb.index import ann

N, DIM = 2000, 384


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    centres = _unit(rng.standard_normal((40, DIM)))
    vectors = _unit(centres[rng.integers(0, 40, N)] + 0.6 * _unit(rng.standard_normal((N, DIM))))
    ids = rng.choice(10**12, size=N, replace=False).astype(np.int64)  # not positions
    return vectors, ids


def _build(kind, vectors, ids):
    # a small PQ (16 sub-quantisers) keeps the test fast; the scale run uses 48
    extra = {"pq_m": 16} if kind == "ivfpq" else {}
    return ann.build_index(vectors, ids, kind, **extra)


@pytest.fixture(scope="module")
def indexes(data):
    vectors, ids = data
    return {kind: _build(kind, vectors, ids) for kind in ann.KINDS}


@pytest.mark.parametrize("kind", ann.KINDS)
def test_finds_own_id_at_top1(kind, data, indexes):
    vectors, ids = data
    index = indexes[kind]
    assert ann.index_kind(index) == kind
    scores, found = ann.search(index, vectors[:100], k=10)
    assert found.shape == scores.shape == (100, 10)
    assert found.dtype == np.int64
    assert (found[:, 0] == ids[:100]).mean() >= 0.98
    assert np.all(np.diff(scores, axis=1) <= 1e-5)  # best first


@pytest.mark.parametrize("kind", ann.KINDS)
@pytest.mark.parametrize("exact_max", [ann.EXACT_FILTER_MAX, 10])  # exact path, selector path
def test_filter_returns_only_allowed_ids(kind, exact_max, data, indexes, monkeypatch):
    monkeypatch.setattr(ann, "EXACT_FILTER_MAX", exact_max)
    vectors, ids = data
    allowed = ids[::4]
    scores, found = ann.search(indexes[kind], vectors[:40], k=10, allowed_ids=allowed)
    returned = found[found >= 0]
    assert len(returned) > 0
    assert np.isin(returned, allowed).all()
    # queries whose own id is allowed find it first
    assert (found[::4, 0] == ids[:40:4]).all()


@pytest.mark.parametrize("kind", ann.KINDS)
def test_tiny_filter_is_exact_and_pads(kind, data, indexes):
    vectors, ids = data
    allowed = np.array([ids[5], ids[900], 123456789012345], dtype=np.int64)  # last one unknown
    scores, found = ann.search(indexes[kind], vectors[[5]], k=5, allowed_ids=allowed)
    assert found[0, 0] == ids[5]
    assert set(found[0, :2]) == {ids[5], ids[900]}
    assert (found[0, 2:] == -1).all() and np.isneginf(scores[0, 2:]).all()
    empty_scores, empty = ann.search(indexes[kind], vectors[[5]], k=3, allowed_ids=np.array([], np.int64))
    assert (empty == -1).all()


@pytest.mark.parametrize("kind", ann.KINDS)
def test_k_larger_than_n(kind, data):
    vectors, ids = data
    small = _build(kind, vectors[:300], ids[:300])
    scores, found = ann.search(small, vectors[:2], k=500)
    assert found.shape == (2, 500)
    assert found[0, 0] == ids[0]
    assert (found[:, 300:] == -1).all()
    valid = found[0][found[0] >= 0]
    assert len(set(valid.tolist())) == len(valid)


def test_empty_flat_index_searches():
    index = ann.build_index(np.zeros((0, DIM), np.float32), np.zeros(0, np.int64), "flat")
    scores, found = ann.search(index, np.ones((1, DIM), np.float32), k=3)
    assert (found == -1).all()


@pytest.mark.parametrize("kind", ann.KINDS)
@pytest.mark.parametrize("mmap", [False, True])
def test_save_load_round_trip(kind, mmap, data, indexes, tmp_path):
    vectors, ids = data
    path = tmp_path / "store" / f"{kind}.faiss"
    ann.save_index(indexes[kind], path)
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    loaded = ann.load_index(path, mmap=mmap)
    assert ann.index_kind(loaded) == kind
    before = ann.search(indexes[kind], vectors[:20], k=5)
    after = ann.search(loaded, vectors[:20], k=5)
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_allclose(before[0], after[0], rtol=1e-5)


def test_save_replaces_existing_file(data, indexes, tmp_path):
    path = tmp_path / "v.faiss"
    path.write_bytes(b"old")
    ann.save_index(indexes["flat"], path)
    assert ann.load_index(path).ntotal == N


def test_choose_index_kind_thresholds():
    assert ann.choose_index_kind(0) == "flat"
    assert ann.choose_index_kind(ann.FLAT_MAX_N) == "flat"
    assert ann.choose_index_kind(ann.FLAT_MAX_N + 1) == "hnsw"
    assert ann.choose_index_kind(ann.HNSW_MAX_N) == "hnsw"
    assert ann.choose_index_kind(ann.HNSW_MAX_N + 1) == "ivf"
    assert ann.choose_index_kind(1_000_000) == "ivf"
    assert set(ann.choose_index_kind(n) for n in (10, 10**5, 10**6, 10**7)) <= set(ann.KINDS)


def test_build_rejects_bad_input(data):
    vectors, ids = data
    with pytest.raises(ValueError, match="flat, hnsw, ivf, ivfpq"):
        ann.build_index(vectors, ids, "lsh")
    with pytest.raises(ValueError, match="unique"):
        ann.build_index(vectors[:3], np.array([1, 1, 2], np.int64), "flat")
    with pytest.raises(ValueError, match="shape"):
        ann.build_index(vectors[:3], ids[:2], "flat")
