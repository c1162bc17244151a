"""Restatements: local articles that repeat a national one (or each other), word for word or reworded.

A library holds the national law and a dozen provinces' regulations that restate its
articles. Ranked side by side, the copies push the law out of the first hits. Hits whose
texts are near-duplicates (character bigrams, article number aside, and the figures of one
all among the other's: ``same_figures``) form one group, shown
once, under the member of the highest standing (``legal_standing``: the law, then the
administrative regulation, the department rule, a local rule; the best-ranked among equals);
the group ranks at its best member's score, and the others ride along as its local copies
(各地规定). When a place is asked, the national articles and that place's stay hits
of their own.

Most local rules reword the national text (often its older version) rather than copy it: the
index also maps a local article to the national one whose passage vector is nearly its own and
whose bigrams it partly shares (``national_sources``). Such a reworded copy yields to the law
when no place is asked and the law answers the question nearly as well by its own score
(``lift_national_sources``); a local rule that says more on the question than the law keeps its
rank. The first reworded copy is shown after the law, later ones fold under it.

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

from regkb.corpus.kinds import Authority
from regkb.corpus.numerals import numeral_value
from regkb.index.bm25 import PUNCTUATION
from regkb.index.regions import NATIONAL_AUTHORITIES, is_national

# share of the shorter text's bigrams found in the other: a local article that adds a
# clause to the national one still restates it ...
RESTATEMENT_OVERLAP = 0.65
# ... but a short article inside a long one (主要负责人对本单位安全生产工作全面负责 inside the
# list of the 主要负责人's duties) does not: the shared bigrams must also be this share of the longer
RESTATEMENT_SPAN = 0.4
# Local rules mostly reword the national text they restate (often an older version of it): a
# local article also restates the national one whose passage vector is this close to its own ...
RESTATEMENT_COSINE = 0.94
# ... when they still share this much of the shorter one's bigrams (the same matter, reworded)
# and this much of the longer one's (a short national article is not restated by a long local
# one that mentions its matter among others)
REWORDED_SHARE = 0.25
REWORDED_SPAN = 0.2
# With no place asked, a local article yields to the national one it restates in other words
# only where the national one answers the question nearly as well: its score at least this share
# of the local article's (a local rule that adds what the question asks about keeps its rank).
YIELD_RATIO = 0.8
NATIONAL_ORDER = tuple(a.value for a in Authority if a.value in NATIONAL_AUTHORITIES)  # 法律, 行政法规, 部门规章
_LABEL = re.compile(r"^\s*第[一二三四五六七八九十百零〇]+条")
# the figures a text states (a date, a sum, a period, a count), not a reference to an article or its parts
_FIGURE = re.compile(r"\d+(?:\.\d+)?|[零〇一二三四五六七八九十百千万两]+(?=[年月日天元倍人个名次%]|小时|周岁)")
_REFERENCE = re.compile(r"第[零〇一二三四五六七八九十百千\d]+[条款项章节目]")


def bigrams(text: str) -> frozenset[str]:
    plain = PUNCTUATION.sub("", _LABEL.sub("", text))
    return frozenset(plain[i : i + 2] for i in range(len(plain) - 1))


def figures(text: str) -> frozenset[str]:
    """The figures ``text`` states, as values (一个月 and 1个月 state the same)."""
    found = _FIGURE.findall(_REFERENCE.sub("", _LABEL.sub("", text)))
    return frozenset(str(f if (value := numeral_value(f)) is None else value) for f in found)


def same_figures(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two texts' figures allow one to restate the other: those of one are among the
    other's (a copy may add a figure or leave one out). Texts that share their words but not their
    figures say different things: 本法自2004年5月1日起施行 is no copy of 本条例自2004年2月1日起施行,
    nor a fine of 五万元 of one of 十万元.

    >>> same_figures(figures("本法自2004年5月1日起施行。"), figures("第七十一条 本条例自2004年2月1日起施行。"))
    False
    >>> same_figures(figures("违反本法第二十条，处十万元以下的罚款"), figures("违反本条例第十八条，处十万元以下的罚款，并责令十五日内改正"))
    True
    >>> same_figures(figures("届满前一个月提出定期检验要求"), figures("届满前1个月提出定期检验要求"))
    True
    """
    return a <= b or b <= a


def overlap(a: frozenset[str], b: frozenset[str], span: float = RESTATEMENT_SPAN) -> float:
    """The share of the shorter set found in the other, or 0 when what they share is under
    ``span`` of the longer one (they do not restate each other)."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / min(len(a), len(b)) if shared >= span * max(len(a), len(b)) else 0.0


def restates(a: str, b: str) -> bool:
    return overlap(bigrams(a), bigrams(b)) >= RESTATEMENT_OVERLAP and same_figures(figures(a), figures(b))


@dataclass
class RestatementGroup:
    """One hit as shown, with the copies folded under it."""

    row: int
    score: float
    copies: list[tuple[int, float]] = field(default_factory=list)


def lift_national_sources(ranked: list[tuple[int, float]], sources: dict[int, int],
                          word_for_word: Callable[[int, int], bool],
                          stays_apart: Callable[[int], bool]) -> tuple[list[tuple[int, float]], dict[int, int]]:
    """Each ranked local article that restates a national one (``sources``: local row → national
    row) lifts it to its own score, bringing it in when the ranking lacks it: a near-duplicate
    (``word_for_word``) always, a reworded one when it does not stay apart (its place is asked) and
    the national article's own score is at least ``YIELD_RATIO`` of its own; the reworded one then
    yields (ranks after the national one). The new ranking and the local rows that yield → their
    national row.

    >>> lift_national_sources([(7, 0.9), (3, 0.75), (8, 0.8)], {7: 3, 8: 4}, lambda local, law: False, lambda row: False)
    ([(3, 0.9), (7, 0.9), (8, 0.8)], {7: 3})
    """
    own, scores, yields = dict(ranked), dict(ranked), {}
    place = {row: float(position) for position, (row, _) in enumerate(ranked)}  # ties keep the ranking's order ...
    for row, score in ranked:
        source = sources.get(row)
        if source is None:
            continue
        if not word_for_word(row, source):
            if stays_apart(row) or own.get(source, 0.0) < YIELD_RATIO * score:
                continue
            yields[row] = source
            place[source] = min(place.get(source, place[row]), place[row] - 0.5)  # ... but the law goes before its copy
        scores[source] = max(scores.get(source, score), score)
    return sorted(scores.items(), key=lambda pair: (-pair[1], place.get(pair[0], len(ranked)))), yields


def legal_standing(hit) -> int:
    """A hit's place in the legal order for leading a group (lower leads): a national text by its
    效力层级 (法律 0, 行政法规 1, 部门规章 2, other national texts 3), a local one after them all.

    >>> from types import SimpleNamespace as Hit
    >>> [legal_standing(Hit(region="全国", authority=a)) for a in ("law", "departmental_rule", None)]
    [0, 2, 3]
    >>> legal_standing(Hit(region="山东省", authority="local_regulation"))
    4
    """
    if not is_national(hit):
        return len(NATIONAL_ORDER) + 1
    return NATIONAL_ORDER.index(hit.authority) if hit.authority in NATIONAL_ORDER else len(NATIONAL_ORDER)


def fold_restatements(hits: list[tuple[int, float]], texts: list[str], doc_ids: list[str], standing: list[int],
                      stays_apart: Callable[[int], bool] = lambda position: False,
                      yields: dict[int, int] | None = None) -> list[RestatementGroup]:
    """Groups ranked hits (``texts``, ``doc_ids``, ``standing`` given per hit: its place in the
    legal order, 0 for a law, lower leads; see ``legal_standing``). A hit for which
    ``stays_apart(position)`` holds is never folded under another (with a place asked: the
    national articles and that place's). Another goes into the group of a near-duplicate, or of
    the national hit it ``yields`` to (position → an earlier position: the national article it
    restates in other words) when another copy has yielded to it before: the first is shown, after it.

    Each group is shown under its member of the highest standing (the law before the regulation
    that repeats it, a national text before a local one; the best-ranked among equals), at the
    best member's score; the result is ranked by score."""
    grams, stated = [bigrams(t) for t in texts], [figures(t) for t in texts]
    yields, shown_after = yields or {}, set()  # the national hits a reworded copy is shown after
    groups: list[list[int]] = []  # positions in ``hits``, best first
    for position in range(len(hits)):
        home = None
        if not stays_apart(position):
            if yields.get(position) in shown_after:
                home = next(g for g in groups if yields[position] in g)
            elif position in yields:
                shown_after.add(yields[position])
            home = home or next((g for g in groups if all(doc_ids[p] != doc_ids[position] for p in g)
                                 and overlap(grams[g[0]], grams[position]) >= RESTATEMENT_OVERLAP
                                 and same_figures(stated[g[0]], stated[position])), None)
        if home is None:
            groups.append([position])
        else:
            home.append(position)
    shown = []
    for group in groups:
        lead = min(group, key=lambda p: standing[p])
        shown.append(RestatementGroup(row=hits[lead][0], score=max(hits[p][1] for p in group),
                                      copies=[hits[p] for p in group if p != lead]))
    return sorted(shown, key=lambda g: -g.score)


def national_sources(texts: list[str], vectors: np.ndarray, national_rows: list[int], local_rows: list[int],
                     candidates: int = 3, block: int = 2048, reworded: bool = True) -> dict[int, int]:
    """For each local chunk that restates a national one: local row → national row.

    A library may rank the national article far below its many local copies (their titles
    and lengths suit BM25 better); knowing which national article a local one restates lets
    the search put the law in its copies' place. The candidates are the ``candidates``
    nearest national chunks by vector (``vectors`` normalised); the one sharing the most
    bigrams wins if it passes ``RESTATEMENT_OVERLAP``, else (where ``reworded``), among
    those at least ``RESTATEMENT_COSINE`` close, the one sharing the most if that passes
    ``REWORDED_SHARE`` (and ``REWORDED_SPAN`` of the longer).

    The same map serves a national text of lower standing that repeats a higher one
    (``higher_sources``): ``local_rows`` are then its rows and ``national_rows`` the higher texts'."""
    national_rows, local_rows = np.asarray(national_rows, dtype=np.int64), np.asarray(local_rows, dtype=np.int64)
    if not len(national_rows) or not len(local_rows):
        return {}
    grams: dict[int, frozenset[str]] = {}
    stated: dict[int, frozenset[str]] = {}

    def grams_of(row: int) -> frozenset[str]:
        if row not in grams:
            grams[row] = bigrams(texts[row])
        return grams[row]

    def stated_of(row: int) -> frozenset[str]:
        if row not in stated:
            stated[row] = figures(texts[row])
        return stated[row]

    found: dict[int, int] = {}
    national_vectors = vectors[national_rows]
    for start in range(0, len(local_rows), block):
        rows = local_rows[start : start + block]
        similarity = vectors[rows] @ national_vectors.T
        top = min(candidates, len(national_rows))
        nearest = np.argpartition(-similarity, top - 1, axis=1)[:, :top]
        for line, (row, picks) in enumerate(zip(rows, nearest)):
            own = grams_of(int(row))
            picks = [p for p in picks if same_figures(stated_of(int(row)), stated_of(int(national_rows[p])))]
            if not picks:
                continue
            scored = [(overlap(own, grams_of(int(national_rows[p]))), int(national_rows[p])) for p in picks]
            best, source = max(scored)
            if best < RESTATEMENT_OVERLAP:
                close = [(overlap(own, grams_of(int(national_rows[p])), REWORDED_SPAN), int(national_rows[p])) for p in picks
                         if reworded and similarity[line, p] >= RESTATEMENT_COSINE]
                best, source = max(close, default=(0.0, -1))
                best = best if best >= REWORDED_SHARE else 0.0
            if best:
                found[int(row)] = source
    return found


def higher_sources(texts: list[str], vectors: np.ndarray, standing: dict[int, int]) -> dict[int, int]:
    """For each national article that repeats, word for word, one of a text of higher standing
    (``standing``: row → ``legal_standing``, lower leads): its row → that row.

    A library holds the implementing and sector regulations beside the law, and some repeat its
    articles word for word (使用有毒物品作业场所劳动保护条例 第八条, the union's right to call the
    workers out, is 职业病防治法 第四十条); such a copy then brings the law's article into the
    ranking and folds under it, as a local copy does. A reworded one does not: the regulation that
    rewords the law is the narrower rule and often says more of what is asked (yielding, it
    gained first places on dev and lost others: eval/RESULTS.md, issue 22, l22u)."""
    found: dict[int, int] = {}
    for level in sorted(set(standing.values()) - {min(standing.values(), default=0)}):
        repeats = national_sources(texts, vectors, [row for row, s in standing.items() if s < level],
                                   [row for row, s in standing.items() if s == level], reworded=False)
        found |= {row: found.get(source, source) for row, source in repeats.items()}  # a copy of a copy: the first text
    return found
