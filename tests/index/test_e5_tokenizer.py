"""The quick-loading e5 tokenizer gives exactly the full tokenizer's ids and offsets."""

from __future__ import annotations

import random
import shutil

import pytest

from regkb.eval.bench.embedders import corpus_passages
from regkb.index.e5_convert import build_default_model
from regkb.index.e5_tokenizer import SUBSETS, E5Tokenizer

pytestmark = pytest.mark.slow  # the full tokenizer against the quick one on the corpus


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory):
    """A copy of the built model's tokenizer.json, so the subset is derived in a tmp folder."""
    folder = tmp_path_factory.mktemp("tokenizer")
    shutil.copy(build_default_model() / "tokenizer.json", folder / "tokenizer.json")
    return folder / "tokenizer.json"


def _random_texts(n: int, seed: int = 7) -> list[str]:
    """Strings over the subsets' ranges (a third of them without Latin letters), spaces and a
    few characters from outside them."""
    rng = random.Random(seed)
    alphabet = [chr(cp) for lo, hi in SUBSETS["common"] for cp in range(lo, hi + 1)]
    outside = ["é", "Ж", "ア", "한", "𠀀", "🙂", "\u0301", "\x01"]
    texts = []
    for _ in range(n):
        chars = [rng.choice(alphabet) for _ in range(rng.randint(1, 60))]
        if rng.random() < 0.33:
            chars = [c for c in chars if not c.isascii() or not c.isalpha()] or ["安"]
        if rng.random() < 0.2:
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(outside))
        texts.append("".join(chars))
    return texts


def test_same_tokens_as_the_full_tokenizer(tokenizer_json):
    from tokenizers import Tokenizer

    full = Tokenizer.from_file(str(tokenizer_json))
    texts = ["passage: " + p for p in corpus_passages()[:600]] + _random_texts(3000)
    texts += ["query: GB 30871—2022 4.1.2 ㎡ ①② α≤β ～ Ａ１ ﹐，。？！“”《》【】℃", "x<unk>y <s> 罕见字𠀀", "¨ é"]
    ours = E5Tokenizer(tokenizer_json).encode(texts)
    for text, (ids, offsets), reference in zip(texts, ours, full.encode_batch(texts, add_special_tokens=False)):
        assert (ids, offsets) == (reference.ids, reference.offsets), text


def test_subsets_are_cached_loaded_as_needed_and_rederived_when_stale(tokenizer_json):
    first = E5Tokenizer(tokenizer_json)
    assert (tokenizer_json.parent / "tokenizer_chinese.json").is_file()
    again = E5Tokenizer(tokenizer_json)
    assert again.loaded() == {"chinese"}  # the 250k-piece file was not parsed
    assert again.encode(["query: 生产安全事故"]) == first.encode(["query: 生产安全事故"])
    assert again.loaded() == {"chinese"}  # Chinese and the prefix need only the smallest subset
    again.encode(["GB 30871 动火作业"])
    assert again.loaded() == {"chinese", "common"}
    again.encode(["Привет"])
    assert "full" in again.loaded()  # any other script loads the full tokenizer

    tokenizer_json.write_text(tokenizer_json.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    stale = E5Tokenizer(tokenizer_json)
    assert "full" in stale.loaded()  # the source changed: the subset was derived again
    assert stale.encode(["生产安全事故"]) == first.encode(["生产安全事故"])
