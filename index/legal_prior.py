"""Where an article stands in the legal order, as a prior on the fused ranking.

- **Authority and region.** With no place in the question (and none given), a national
  article (法律, 行政法规, 部门规章) ranks above a local one that says the same thing: a local
  document's score is multiplied by ``local_weight``. When the question names a place
  (辽宁, 湖州 …) or the caller passes ``region``, the documents that apply there and the
  national ones keep their score, and other regions' documents drop by ``other_region_weight``
  (a local document of unknown place is left as it is). The place's own rules lead with the
  national ones: the best article of a document that applies there ranks second at the lowest
  when it scores at least ``place_lead_ratio`` of the first hit (a question about 北京's rule on a
  matter the national regulation treats at length would otherwise see ten national articles).
- **Many places' rules.** A shelf holds the same matter (gas, lifts, e-bikes) in the rules of
  many cities. With no place asked and local rules of two places or more among the first
  hits, every local rule drops to ``widespread_weight``: the national law leads, and the
  reader who wants a city's rule names the city.
- **A sector the question does not name.** A national text for one sector (铁路, 煤矿, 电力,
  医疗事故 …: its title's subject, ``title_subjects``) whose subject words are neither in the
  question nor among the documents' terms for its plain words drops to ``unnamed_subject_weight``;
  a text with no subject (安全生产法, 劳动法) never does. Near ties then go to the general law or to
  the sector the reader named: a library holds many sectors' rules on the same matter (who
  investigates an accident, who may head a firm after a dismissal), the small shelf few.
- **Penalty articles.** An article of a 法律责任 chapter lists the same duties as the article
  that imposes them ("未……的，处……罚款"); it answers a question about consequences, not
  about what must be done, so it is multiplied by ``penalty_weight`` unless the question
  asks about fines, punishment or consequences.

>>> rows = [IndexRow("d1:00000", "d1", "安全生产法.md", "law", None, "national", authority="law"),
...         IndexRow("d2:00000", "d2", "辽宁省安全生产条例.md", "regulation", "辽宁省", "provincial",
...                  authority="local_regulation")]
>>> ranker = LegalPriorRanker(rows, [None, "辽宁省"])
>>> hits = HitList.of([(1, 0.9), (0, 0.85)])
>>> ranker.run("主要负责人有哪些安全生产职责", hits)["hits"].pairs  # no place asked: the law first
((0, 0.85), (1, 0.765))
>>> ranker.run("辽宁的主要负责人有哪些安全生产职责", hits)["hits"].pairs  # 辽宁's rule keeps its score
((1, 0.9), (0, 0.85))
>>> rows.append(IndexRow("d3:00000", "d3", "山东省安全生产条例.md", "regulation", "山东省", "provincial",
...                      authority="local_regulation"))
>>> shelf = LegalPriorRanker(rows, [None, "辽宁省", "山东省"])
>>> shelf.run("主要负责人有哪些安全生产职责", HitList.of([(1, 1.0), (2, 0.98), (0, 0.5)]))["hits"].pairs
((0, 0.5), (1, 0.4), (2, 0.392))
>>> rows.append(IndexRow("d1:00001", "d1", "安全生产法.md", "law", None, "national", authority="law"))
>>> shelf.run("辽宁的主要负责人有哪些职责", HitList.of([(0, 0.9), (3, 0.8), (1, 0.6)]))["hits"].pairs  # 辽宁's leads
((0, 0.9), (1, 0.8), (3, 0.8))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import islice

from regkb.haystack_import import import_haystack

import_haystack()
from haystack import component  # noqa: E402

from regkb.index.hits import HitList  # noqa: E402
from regkb.index.regions import Gazetteer, is_national  # noqa: E402
from regkb.index.search_index import IndexRow  # noqa: E402

PENALTY_CHAPTER = "法律责任"
LOCAL_RULES = frozenset({"local_regulation", "local_rule"})
# A title less these names its subject: the state's name, the kind of text, and the words every
# safety text's title carries whatever its sector.
STATE_NAME = "中华人民共和国"
TEXT_KIND = re.compile(r"(实施)?(条例|法|办法|规定|细则|决定)$")
GENERIC_TITLE_WORDS = frozenset({
    "安全", "生产", "安全生产", "管理", "监察", "监督", "监督管理", "保护", "处理", "处置", "应急", "调查", "调查处理",
    "查处", "事故", "安全事故", "工作", "作业", "场所", "劳动", "使用", "防治", "应对", "保障", "实施", "国务院",
    "国务", "关于", "加强", "特别", "条例", "办法", "规定", "安全法"})
CONSEQUENCE_QUESTION = re.compile(r"罚|处分|后果|怎么处理|如何处理|会怎样|会怎么样|追究|坐牢|判刑|拘留|吊销|没收|担责|法律责任")


@dataclass(frozen=True)
class PriorWeights:
    local_weight: float = 0.85  # a local document when no place is asked
    other_region_weight: float = 0.5  # a document of another place than the one asked
    penalty_weight: float = 0.7  # a 法律责任 article for a question that is not about consequences
    # A local rule when no place is asked and the first ``widespread_depth`` hits hold local
    # rules of ``widespread_places`` places or more: a matter many places legislate is one the
    # national texts answer for a reader who named no place (a single place's rule among the
    # first hits may be a matter only it regulates, and keeps ``local_weight``).
    widespread_weight: float = 0.4
    widespread_places: int = 2
    widespread_depth: int = 20
    place_lead_ratio: float = 0.5  # the asked place's best article, from this share of the first hit's score, ranks second at the lowest
    unnamed_subject_weight: float = 0.98  # a national text whose sector the question does not name (a tie-breaker)


def title_subjects(titles: Iterable[str | None], tokenize: Callable[[str], list[str]]) -> dict[str, frozenset[str]]:
    """Each title's subject words: its words of two characters or more once the state's name, the
    kind of text and the generic words are set aside (特种设备安全监察条例 → 特种, 设备, 特种设备;
    中华人民共和国安全生产法 → none)."""
    subjects = {}
    for title in {t for t in titles if t}:
        stem = TEXT_KIND.sub("", title.replace(STATE_NAME, ""))
        subjects[title] = frozenset(w for w in tokenize(stem) if len(w) > 1 and w not in GENERIC_TITLE_WORDS)
    return subjects


@component
class LegalPriorRanker:
    """Re-weighs hits by authority, region and the kind of article (see the module docstring)."""

    def __init__(self, rows, document_regions: list[str | None], weights: PriorWeights | None = None,
                 subjects: Mapping[str, frozenset[str]] | None = None):
        self.rows = rows  # row id → IndexRow; only the hits' rows are read
        self.weights = weights or PriorWeights()
        self.places = Gazetteer(document_regions)
        self.subjects = subjects or {}  # title → its subject words (``title_subjects``); none: no sector prior

    def asked_region(self, query: str, region: str | None) -> str | None:
        return region or self.places.find(query)

    def _widespread(self, hits: HitList) -> bool:
        first = (self.rows[r] for r, _ in islice(hits, self.weights.widespread_depth))
        places = {row.region for row in first if row.authority in LOCAL_RULES and row.region}
        return len(places) >= self.weights.widespread_places

    @component.output_types(hits=HitList)
    def run(self, query: str, hits: HitList, region: str | None = None, thesaurus: list[str] | None = None) -> dict:
        """``thesaurus``: the documents' terms for the query's plain words (矿上 → 矿山), which name a sector too."""
        asked = self.asked_region(query, region)
        about_consequences = bool(CONSEQUENCE_QUESTION.search(query))
        applies: dict[str | None, bool] = {}
        named_text = query + "".join(thesaurus or ())
        named: dict[str, bool] = {}
        local_weight = self.weights.local_weight
        if asked is None and self._widespread(hits):
            local_weight = self.weights.widespread_weight
        weighted = []
        for row_number, score in hits:
            row = self.rows[row_number]
            factor = 1.0
            if not about_consequences and any(PENALTY_CHAPTER in part for part in row.section_path):
                factor *= self.weights.penalty_weight
            if not is_national(row):
                if asked is None:
                    factor *= local_weight if row.authority in LOCAL_RULES else self.weights.local_weight
                elif row.region:  # a document whose place is unknown cannot be said to be elsewhere
                    if row.region not in applies:
                        applies[row.region] = self.places.applies(row.region, asked)
                    if not applies[row.region]:
                        factor *= self.weights.other_region_weight
            elif self.subjects.get(row.title):
                if row.title not in named:
                    named[row.title] = any(word in named_text for word in self.subjects[row.title])
                if not named[row.title]:
                    factor *= self.weights.unnamed_subject_weight
            weighted.append((row_number, score * factor))
        ranked = HitList.ranked(weighted)
        if asked is not None:
            ranked = self._place_leads(ranked, applies)
        return {"hits": ranked}

    def _place_leads(self, hits: HitList, applies: dict[str | None, bool]) -> HitList:
        """The asked place's best hit moved up to second (at the second's score) when it is lower
        and scores at least ``place_lead_ratio`` of the first."""
        pairs = list(hits)
        for position, (row_number, score) in enumerate(pairs):
            if score < self.weights.place_lead_ratio * pairs[0][1]:
                break
            row = self.rows[row_number]
            if not is_national(row) and row.region and applies[row.region]:
                if position > 1:
                    pairs.insert(1, (row_number, pairs[1][1]))
                    del pairs[position + 1]
                break
        return HitList(tuple(pairs))
