"""Chinese segmentation for BM25: jieba with the domain dictionary, stopwords and a
query-side thesaurus that maps plain words to the documents' terms.

>>> tok = ChineseTokenizer()
>>> tok.tokenize("生产经营单位应当建立双重预防机制")
['生产', '产经', '经营', '单位', '生产经营单位', '双重', '预防', '机制', '双重预防机制']
>>> tok.expansion("老板要负什么责任")
['主要', '负责', '责人', '负责人', '主要负责人', '职责']
>>> tok.weighted_expansion("老板要负什么责任")["主要负责人"]
0.2
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources

from regkb.corpus.law_names import thesaurus_entries
from regkb.index.jieba_dictionary import load_prefix_dictionary

_KEEP = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
_DATA = "data"


def compounds(tokens: list[str]) -> set[str]:
    """The tokens that are two other tokens of the same list joined (search mode gives 管理体制
    and its pieces 管理, 体制).

    A document that writes the pieces across another word boundary (应急管理体制 cuts into
    应急管理 + 体制) holds no compound token, and the compound, rarer than either piece, would
    count its words a second time against it: the query's BM25 weighs it as a lesser term.

    >>> sorted(compounds(["突发", "事件", "突发事件", "管理", "体制", "管理体制", "生产经营单位"]))
    ['突发事件', '管理体制']
    """
    own = set(tokens)
    return {t for t in own if any(t[:i] in own and t[i:] in own for i in range(1, len(t)))}


def _data_lines(name: str) -> list[str]:
    text = resources.files("regkb.index").joinpath(_DATA, name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


class ChineseTokenizer:
    """A jieba ``Tokenizer`` of its own (so its user dictionary does not leak), loaded lazily."""

    def __init__(self, extra_words: list[str] | None = None):
        self.extra_words = extra_words or []

    @cached_property
    def _jieba(self):
        import jieba

        jieba.setLogLevel(60)  # jieba prints its cache messages to stderr otherwise
        tokenizer = jieba.Tokenizer()
        load_prefix_dictionary(tokenizer)
        for line in _data_lines("domain_dict.txt"):
            parts = line.split()
            tokenizer.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None,
                               parts[2] if len(parts) > 2 else None)
        for word in self.extra_words:
            tokenizer.add_word(word)
        return tokenizer

    @cached_property
    def stopwords(self) -> frozenset[str]:
        return frozenset(_data_lines("stopwords.txt"))

    @cached_property
    def thesaurus(self) -> dict[str, list[str]]:
        mapping: dict[str, list[str]] = {}
        for line in _data_lines("thesaurus.txt"):
            plain, _, terms = line.partition("=")
            mapping[plain.strip()] = terms.split()
        for short, laws in thesaurus_entries().items():  # 特设法 = 特种设备安全法 …
            mapping.setdefault(short, laws)
        return mapping

    def words(self, text: str) -> list[str]:
        """Plain segmentation (no sub-words), stopwords and punctuation dropped."""
        return [w for w in self._jieba.lcut(text) if _KEEP.search(w) and w not in self.stopwords]

    def in_dictionary(self, word: str) -> bool:
        """Whether jieba's dictionary (the domain words included) holds ``word``. A word it does
        not hold was glued from single characters by jieba's HMM, often across a word boundary
        of everyday speech (证能 in 没有证能开吗, 那罚 in 那罚多少)."""
        return bool(self._jieba.FREQ.get(word))

    def tokenize(self, text: str) -> list[str]:
        """Search-mode segmentation: long words plus their sub-words, for recall."""
        return [w for w in self._jieba.lcut_for_search(text) if _KEEP.search(w) and w not in self.stopwords]

    def expansion_terms(self, text: str) -> list[str]:
        """The documents' terms (whole) for the plain words of the query that it does not already contain."""
        own = set(self.tokenize(text))
        terms: list[str] = []
        for plain, mapped in self.thesaurus.items():
            # a short key must be a word of the query ("单位" is not a word of "本单位")
            if plain in own or (len(plain) >= 3 and plain in text):
                terms.extend(term for term in mapped if term not in text and term not in terms)
        return terms

    def weighted_expansion(self, text: str) -> dict[str, float]:
        """The tokens of ``expansion_terms`` not in the query, each weighted 1 / (tokens of its
        term): a term counts like one word, however many pieces jieba cuts it into."""
        own = set(self.tokenize(text))
        weights: dict[str, float] = {}
        for term in self.expansion_terms(text):
            tokens = [t for t in dict.fromkeys(self.tokenize(term)) if t not in own and t not in weights]
            weights.update((t, 1 / len(tokens)) for t in tokens)
        return weights

    def expansion(self, text: str) -> list[str]:
        """The tokens of ``expansion_terms``, minus the query's own tokens (for BM25)."""
        return list(self.weighted_expansion(text))
