"""A ranked list of index rows: ``Hits``, the plain (row, score) pairs every index and
backend returns, and ``HitList``, the form query-pipeline components hand each other.

Haystack deep-copies every component input, element by element, with a costly type check
on each; a plain list of (row, score) pairs cost ~30 ms a query over the pipeline's stages.
A ``HitList`` is immutable and copies as itself.

>>> hits = HitList.of([(3, 0.9), (7, 0.5)])
>>> hits.rows(), len(hits)
([3, 7], 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

Hits = list[tuple[int, float]]  # (row id, score), best first


@dataclass(frozen=True)
class HitList:
    pairs: tuple[tuple[int, float], ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, float]]) -> "HitList":
        return cls(tuple(pairs))

    @classmethod
    def ranked(cls, scores: Iterable[tuple[int, float]]) -> "HitList":
        """Best first (stable for equal scores)."""
        return cls(tuple(sorted(scores, key=lambda item: -item[1])))

    def top(self, n: int) -> "HitList":
        """The first ``n`` (a slice of the list itself is a plain tuple, which Haystack copies)."""
        return HitList(self.pairs[:n])

    def rows(self) -> list[int]:
        return [row for row, _ in self.pairs]

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index):
        return self.pairs[index]

    def __deepcopy__(self, memo) -> "HitList":
        return self
