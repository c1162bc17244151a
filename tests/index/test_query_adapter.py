"""The tuned query encoder: the shipped adapter, its merge into the ONNX query graph, the
default embedder's use of it, and the training step on a real store."""

from __future__ import annotations

import json

import numpy as np
import pytest

from regkb.index import e5_convert
from regkb.index.query_adapter import ADAPTER_FILE, QueryAdapter, adapter_sha256, target_weights

QUESTIONS = ["厂里没交保险，工人干活受伤了这钱谁出", "老板让我们不戴安全帽上高处干活怎么办", "加油站里能不能打电话"]


@pytest.fixture(scope="module")
def model_folder():
    return e5_convert.build_default_model()


def test_shipped_adapter_fits_the_encoder():
    adapter = QueryAdapter.load()
    assert adapter is not None, "index/data/query_adapter.npz is missing"
    assert sorted(adapter.factors) == sorted(target_weights(12))
    rank = adapter.meta["rank"]
    for a, b in adapter.factors.values():
        assert a.shape == (rank, 384) and b.shape == (384, rank)
    deltas = adapter.deltas()
    assert all(np.abs(d).max() > 0 for d in deltas.values())  # trained, not the zero start
    assert adapter.meta["questions"]["everyday_words"] > 0  # trained on dev and the training sets; never on test


def test_save_load_round_trip_and_bad_shapes(tmp_path):
    rng = np.random.default_rng(0)
    factors = {"encoder.layer.0.attention.self.query.weight": (rng.random((2, 4), dtype=np.float32),
                                                                rng.random((4, 2), dtype=np.float32))}
    path = tmp_path / "adapter.npz"
    QueryAdapter(factors, {"rank": 2}).save(path)
    loaded = QueryAdapter.load(path)
    assert loaded.meta == {"rank": 2}
    (a, b), = loaded.factors.values()
    np.testing.assert_array_equal(b @ a, factors["encoder.layer.0.attention.self.query.weight"][1]
                                  @ factors["encoder.layer.0.attention.self.query.weight"][0])
    assert [p.name for p in tmp_path.iterdir()] == ["adapter.npz"]  # no temporary file left
    QueryAdapter({"w": (np.zeros((2, 4)), np.zeros((4, 3)))}).save(path)
    with pytest.raises(ValueError, match="形状"):
        QueryAdapter.load(path)
    assert QueryAdapter.load(tmp_path / "none.npz") is None


def test_mean_of_adapters_is_the_mean_update():
    rng = np.random.default_rng(1)
    runs = [QueryAdapter({"w": (rng.random((2, 5)), rng.random((3, 2)))}) for _ in range(3)]
    mean = QueryAdapter.mean(runs)
    np.testing.assert_allclose(mean.deltas()["w"], np.mean([r.deltas()["w"] for r in runs], axis=0), rtol=1e-6)
    assert mean.factors["w"][0].shape == (6, 5)


@pytest.mark.slow
def test_query_graph_follows_the_adapter_file(model_folder, tmp_path):
    """A build that merged another adapter (or none) has no current query graph."""
    assert e5_convert.query_graph(model_folder) == model_folder / e5_convert.ONNX_QUERY
    (tmp_path / "onnx").mkdir()
    (tmp_path / e5_convert.ONNX_QUERY).write_bytes(b"graph")
    for sha, expected in ((None, None), ("0" * 64, None), (adapter_sha256(), tmp_path / e5_convert.ONNX_QUERY)):
        (tmp_path / e5_convert.META_FILE).write_text(json.dumps({"query_adapter_sha256": sha}))
        assert e5_convert.query_graph(tmp_path) == expected


@pytest.mark.slow
def test_query_graph_is_the_trained_encoder(model_folder):
    """The merged ONNX graph gives the vectors the training's own PyTorch forward gives."""
    from regkb.eval.training.query_adapter import QueryEncoder
    from regkb.index.embedders import OnnxE5Embedder

    adapter = QueryAdapter.load()
    encoder = QueryEncoder(model_folder, e5_convert.QUERY_PREFIX, rank=adapter.meta["rank"]).load(adapter)
    expected = encoder.encode(QUESTIONS, train=False).numpy()
    onnx = OnnxE5Embedder(model_folder, "fp32", graph=e5_convert.query_graph(model_folder)).embed_queries(QUESTIONS)
    assert np.sum(expected * onnx, axis=1).min() >= 0.9999


@pytest.mark.slow
def test_default_embedder_searches_through_the_query_graph(model_folder):
    """Searches use the tuned encoder; plain query vectors (calibrated thresholds) stay plain."""
    from regkb.index.embedders import OnnxE5Embedder, embed_search_queries, load_embedder

    default = load_embedder("default")
    plain = OnnxE5Embedder(model_folder, "fp32").embed_queries(QUESTIONS)
    tuned = OnnxE5Embedder(model_folder, "fp32", graph=e5_convert.query_graph(model_folder)).embed_queries(QUESTIONS)
    np.testing.assert_allclose(embed_search_queries(default, QUESTIONS), tuned, atol=1e-6)
    np.testing.assert_allclose(default.embed_queries(QUESTIONS), plain, atol=1e-6)
    assert np.sum(tuned * plain, axis=1).max() < 0.99
    passages = ["生产经营单位必须依法参加工伤保险，为从业人员缴纳保险费。"]
    assert float(default.embed_passages(passages)[0] @ OnnxE5Embedder(model_folder, "int8").embed_passages(passages)[0]) >= 0.9999


@pytest.mark.slow
def test_training_lowers_the_loss_on_a_real_store(law_kb):
    """A short run on the store of the fixture: the loss of the first epoch falls by the second."""
    from regkb.eval.metrics.everyday import EverydayQuestion, Gold
    from regkb.eval.metrics.retrieval import load_questions
    from regkb.eval.training.query_adapter import StoreTargets, train

    sources = {d.source for d in law_kb.store.documents()}
    targets = StoreTargets(law_kb)
    questions = [q for q in load_questions() if q.source in sources and targets.gold(q)][:16]
    assert len(questions) == 16
    losses: list[float] = []
    encoder = train(law_kb, targets, questions, epochs=2, log=lambda line: losses.append(float(line.split()[-1])))
    assert len(losses) == 2 and losses[1] < losses[0]
    # a real person's question's gold is an article: every chunk of it, and nothing else
    asked = EverydayQuestion("r", "公司让我们没有安全培训就上岗", "train", (Gold("安全生产法", "第二十八条"),))
    rows = targets.gold(asked)
    chunks = law_kb.store.chunks_by_id([law_kb.index.rows[i].chunk_id for i in rows])
    assert rows and {c.article for c in chunks.values()} == {"第二十八条"}
    adapter = encoder.adapter({"rank": 8})
    assert sorted(adapter.factors) == sorted(target_weights(12))
    assert ADAPTER_FILE.is_file()  # the shipped file was not touched by a test run
