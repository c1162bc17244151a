"""jieba's prefix dictionary from regkb's cache segments exactly like jieba's own load."""

from __future__ import annotations

import jieba
import pytest

from regkb.eval.bench.embedders import corpus_passages
from regkb.index import jieba_dictionary
from regkb.index.jieba_dictionary import SortedPrefixDictionary, load_prefix_dictionary

pytestmark = pytest.mark.slow  # jieba's own load against the cached dictionary on the corpus

ADDED = ["双重预防机制", "安全生产标准化", "有限空间作业"]


def _with_words(tokenizer):
    for word in ADDED:
        tokenizer.add_word(word)
    return tokenizer


@pytest.fixture(scope="module")
def texts():
    return corpus_passages()[:150] + ["我们车间的叉车师傅没考证也能开吗?", "有限空间作业前要先通风检测", "ＡＢＣ１２３ GB 30871"]


@pytest.fixture(scope="module")
def reference(texts):
    tokenizer = _with_words(jieba.Tokenizer())
    tokenizer.initialize()
    return [(tokenizer.lcut(t), tokenizer.lcut_for_search(t)) for t in texts]


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def _segment(texts):
    tokenizer = jieba.Tokenizer()
    load_prefix_dictionary(tokenizer)
    _with_words(tokenizer)
    return tokenizer, [(tokenizer.lcut(t), tokenizer.lcut_for_search(t)) for t in texts]


@pytest.mark.parametrize("whole_after", [10**9, 2_000])
def test_same_segmentation_as_jieba(cache_home, monkeypatch, texts, reference, whole_after):
    """Looked up in the sorted arrays throughout, and switched to the whole dict midway."""
    _segment(texts[:1])  # first process: builds the cache
    monkeypatch.setattr(jieba_dictionary, "WHOLE_AFTER", whole_after)
    tokenizer, segmented = _segment(texts)
    assert segmented == reference
    assert isinstance(tokenizer.FREQ, SortedPrefixDictionary) == (whole_after > 10**6)


def test_cache_is_built_once_and_opened_lazily(cache_home):
    first = jieba.Tokenizer()
    load_prefix_dictionary(first)
    assert type(first.FREQ) is dict  # no cache yet: jieba's own load, then the cache is written
    assert list(cache_home.glob("regkb/jieba-*/words.npy"))
    second = jieba.Tokenizer()
    load_prefix_dictionary(second)
    assert isinstance(second.FREQ, SortedPrefixDictionary)
    assert second.total == first.total
    assert ("安全" in second.FREQ, second.FREQ.get("安全"), "不是词语呀呀" in second.FREQ) == (True, first.FREQ["安全"], False)
