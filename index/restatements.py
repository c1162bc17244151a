"""Restatements: local articles that repeat a national one (or each other) almost word for word.

A library holds the national law and a dozen provinces' regulations that restate its
articles. Ranked side by side, the copies push the law out of the first hits. Hits whose
texts are near-duplicates (character bigrams, article number aside) form one group, shown
once, under the member of the highest standing: the national article, else the best-ranked
one; the group ranks at its best member's score, and the others ride along as its local
copies (各地规定). When a place is asked, the national articles and that place's stay hits
of their own.

>>> law = "第二十一条 生产经营单位的主要负责人对本单位安全生产工作负有下列职责：（一）建立健全并落实本单位全员安全生产责任制"
>>> copy = "第十八条 生产经营单位的主要负责人对本单位安全生产工作负有下列职责：（一）建立健全并落实本单位全员安全生产责任制度"
>>> restates(law, copy), restates(law, "第五条 县级以上人民政府应当加强对安全生产工作的领导。")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# share of the shorter text's bigrams found in the other: a local article that adds a
# clause to the national one still restates it ...
RESTATEMENT_OVERLAP = 0.65
# ... but a short article inside a long one (主要负责人对本单位安全生产工作全面负责 inside the
# list of the 主要负责人's duties) does not: the shared bigrams must also be this share of the longer
RESTATEMENT_SPAN = 0.4
_LABEL = re.compile(r"^\s*第[一二三四五六七八九十百零〇]+条")
_NOISE = re.compile(r"[\s，。；：、（）()“”《》,.;:!?！？]")


def bigrams(text: str) -> frozenset[str]:
    plain = _NOISE.sub("", _LABEL.sub("", text))
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """The share of the shorter set found in the other, or 0 when they do not restate each other."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / min(len(a), len(b)) if shared >= RESTATEMENT_SPAN * max(len(a), len(b)) else 0.0


def restates(a: str, b: str) -> bool:
    return overlap(bigrams(a), bigrams(b)) >= RESTATEMENT_OVERLAP


@dataclass
class RestatementGroup:
    """One hit as shown, with the copies folded under it."""

    row: int
    score: float
    copies: list[tuple[int, float]] = field(default_factory=list)


def fold_restatements(hits: list[tuple[int, float]], texts: list[str], doc_ids: list[str], national: list[bool],
                      stays_apart: Callable[[int], bool] = lambda position: False) -> list[RestatementGroup]:
    """Groups ranked hits (``texts``, ``doc_ids``, ``national`` given per hit). A hit for which
    ``stays_apart(position)`` holds is never folded under another (with a place asked: the
    national articles and that place's).

    Each group is shown under its national member when it has one (else its best), at the best
    member's score; the result is ranked by score."""
    grams = [bigrams(t) for t in texts]
    groups: list[list[int]] = []  # positions in ``hits``, best first
    for position in range(len(hits)):
        home = None
        if not stays_apart(position):
            home = next((g for g in groups if all(doc_ids[p] != doc_ids[position] for p in g)
                         and overlap(grams[g[0]], grams[position]) >= RESTATEMENT_OVERLAP), None)
        if home is None:
            groups.append([position])
        else:
            home.append(position)
    shown = []
    for group in groups:
        lead = next((p for p in group if national[p]), group[0])
        shown.append(RestatementGroup(row=hits[lead][0], score=max(hits[p][1] for p in group),
                                      copies=[hits[p] for p in group if p != lead]))
    return sorted(shown, key=lambda g: -g.score)


def national_sources(texts: list[str], vectors: np.ndarray, national_rows: list[int], local_rows: list[int],
                     candidates: int = 3, block: int = 2048) -> dict[int, int]:
    """For each local chunk that restates a national one: local row → national row.

    A library may rank the national article far below its many local copies (their titles
    and lengths suit BM25 better); knowing which national article a local one restates lets
    the search put the law in its copies' place. The candidates are the ``candidates``
    nearest national chunks by vector; the one sharing the most bigrams wins if it passes
    ``RESTATEMENT_OVERLAP``."""
    national_rows, local_rows = np.asarray(national_rows, dtype=np.int64), np.asarray(local_rows, dtype=np.int64)
    if not len(national_rows) or not len(local_rows):
        return {}
    grams: dict[int, frozenset[str]] = {}

    def grams_of(row: int) -> frozenset[str]:
        if row not in grams:
            grams[row] = bigrams(texts[row])
        return grams[row]

    found: dict[int, int] = {}
    national_vectors = vectors[national_rows]
    for start in range(0, len(local_rows), block):
        rows = local_rows[start : start + block]
        similarity = vectors[rows] @ national_vectors.T
        top = min(candidates, len(national_rows))
        nearest = np.argpartition(-similarity, top - 1, axis=1)[:, :top]
        for row, picks in zip(rows, nearest):
            scored = [(overlap(grams_of(int(row)), grams_of(int(national_rows[p]))), int(national_rows[p])) for p in picks]
            best, source = max(scored)
            if best >= RESTATEMENT_OVERLAP:
                found[int(row)] = source
    return found
