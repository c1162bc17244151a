"""How rare each word is among the indexed chunks: the weights of a question's words when a
passage is checked for covering them (the answer desk's word support).

Counted over the chunks' own texts, one count per chunk that holds a token, and weighed
log(1 + N / (1 + df)). The BM25 index's idf is another statistic on purpose: it also sees
each chunk's title and headings, which every chunk of a law repeats.

>>> statistics = TermStatistics.count(["安全 生产", "消防 安全", "消防 设施"], str.split)
>>> round(statistics.idf["设施"], 3), round(statistics.idf["安全"], 3), "锅炉" in statistics.idf
(0.916, 0.693, False)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable

from regkb.corpus.store import Store


class TermStatistics:
    def __init__(self, frequencies: Counter, total: int):
        self.frequencies = frequencies  # token → how many chunks hold it
        self.total = total
        # token → inverse document frequency (rare words weigh more); unseen tokens are absent
        self.idf = {token: math.log(1 + (total or 1) / (1 + n)) for token, n in frequencies.items()}

    @classmethod
    def count(cls, texts: Iterable[str], tokenize: Callable[[str], list[str]]) -> "TermStatistics":
        frequencies: Counter = Counter()
        total = 0
        for text in texts:
            frequencies.update(set(tokenize(text)))
            total += 1
        return cls(frequencies, total)

    @classmethod
    def of_store(cls, store: Store, tokenize: Callable[[str], list[str]]) -> "TermStatistics":
        """Over the chunks the store holds, which are the rows of its index."""
        return cls.count((chunk.text for chunk in store.chunks()), tokenize)
