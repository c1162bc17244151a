"""The reader: the shipped factor file, its merge into a portable int8 graph shaped like the
passage encoder's, and that graph reading a question with its article above another article."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from conftest import SAFETY_LAW
from regkb.index import e5_convert
from regkb.index.query_adapter import TARGETS
from regkb.index.reader import Reader, ReaderHead, load_factors, passage_text

# Written for this test, in no eval or training set: (question, its article, an unrelated one).
QUESTIONS = [
    ("新来的工人还没培训，老板就让他直接上岗干活，这样行不行", "第二十八条", "第九十四条"),
    ("厂里发生事故死了人，老板能不能先不报，自己私了", "第八十三条", "第四十一条"),
    ("我们车间的逃生出口被货物堵死了，老板说没事", "第四十二条", "第二十条"),
]


def article_text(number: str) -> str:
    """The article of the 安全生产法 file that starts with ``number``, up to the next one."""
    text = SAFETY_LAW.read_text(encoding="utf-8")
    start = text.index(f"{number}　") if f"{number}　" in text else text.index(f"{number} ")
    end = text.find("\n第", start + len(number))
    return text[start + len(number):end].strip()


def test_shipped_factors_fit_the_upper_layers_and_head():
    factors = load_factors()
    assert factors is not None, "index/data/reader.npz is missing"
    layers = factors.meta["layers"]
    assert sorted(factors.factors) == sorted(f"encoder.layer.{i}.{t}.weight"
                                             for i in range(12 - layers, 12) for t in TARGETS)
    assert all(np.abs(d).max() > 0 for d in factors.deltas().values())  # trained, not the zero start
    head = ReaderHead.of(factors)
    assert head.weight.shape == (384,) and np.abs(head.weight).max() > 0
    assert "plain test" not in factors.meta["questions"] and "story" not in factors.meta["questions"]


def test_passage_text_reads_a_long_article_from_its_best_sentence():
    text = "第一句是主题。" + "中间的话。" * 40 + "最相关的一句。"
    best = text.index("最相关")
    read = passage_text("中华人民共和国安全生产法", "第九条", text, best)
    assert read.startswith("安全生产法第九条 第一句是主题。…最相关的一句。")
    assert passage_text(None, None, "短条文。", 3) == " 短条文。"


@pytest.mark.slow
def test_merged_graph_is_portable_int8_shaped_like_the_passage_graph():
    import onnx

    folder = e5_convert.build_default_model()
    graph = e5_convert.ensure_reader_graph(folder)
    assert graph == folder / e5_convert.ONNX_READER == e5_convert.reader_graph(folder)
    meta = json.loads((folder / e5_convert.META_FILE).read_text(encoding="utf-8"))
    assert meta["reader_sha256"]
    reader, passages = (onnx.load(str(p)).graph for p in (graph, e5_convert.portable_int8_graph(folder)))
    ops = Counter(n.op_type for n in reader.node)
    assert ops == Counter(n.op_type for n in passages.node)
    assert ops["Softmax"] == 0 and ops["Attention"] == 0 and ops["MatMulInteger"] > 0
    shapes = {t.name: tuple(t.dims) for t in reader.initializer}
    assert shapes == {t.name: tuple(t.dims) for t in passages.initializer}
    changed = {t.name for t, u in zip(reader.initializer, passages.initializer)
               if onnx.numpy_helper.to_array(t).tobytes() != onnx.numpy_helper.to_array(u).tobytes()}
    assert changed  # the factors were merged
    weights = [onnx.numpy_helper.to_array(t) for t in reader.initializer if t.data_type == onnx.TensorProto.INT8]
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64  # 7-bit, as the passage graph's


@pytest.mark.slow
def test_reader_scores_the_article_above_an_unrelated_one():
    reader = Reader.load()
    assert reader is not None
    for question, gold, other in QUESTIONS:
        texts = [passage_text("安全生产法", number, article_text(number), 0) for number in (gold, other)]
        scores = reader.scores(question, texts)
        assert scores[0] > scores[1], (question, scores)
