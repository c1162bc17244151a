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

# share of the shorter text's bigrams found in the other: a local article that adds a
# clause to the national one still restates it
RESTATEMENT_OVERLAP = 0.7
_LABEL = re.compile(r"^\s*第[一二三四五六七八九十百零〇]+条")
_NOISE = re.compile(r"[\s，。；：、（）()“”《》,.;:!?！？]")


def bigrams(text: str) -> frozenset[str]:
    plain = _NOISE.sub("", _LABEL.sub("", text))
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


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
