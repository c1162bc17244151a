"""Facts inside a statute's sentence: the spans an exam question asks about or changes.

A fact is a number with its unit (三十日, 二十四小时, 五十万元), a level of government
(县级以上地方人民政府), an actor that is the subject of a duty (特种设备使用单位), a modal
(应当, 不得, 禁止) or a frequency word (定期). Generators blank or swap one fact; the checks and
the bank audit use the same spans to tell "one fact changed" from "another sentence".

>>> [(f.kind, f.text) for f in find_facts("特种设备使用单位应当在三十日内办理使用登记")]
[('actor', '特种设备使用单位'), ('modal', '应当'), ('number', '三十日')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regkb.corpus.numerals import NUMERAL_CHARS, numeral_value

NUMBER_RE = re.compile(
    rf"(?<![第每上下前后])([{NUMERAL_CHARS}\d]+(?:\.\d+)?)(个)?(工作日|日|天|小时|个月|年|周岁|人|名|万元|元|倍|%|％|次)"
    r"(?![级条款项])")
GOVERNMENT_RE = re.compile(
    r"国务院|(?:县级以上|设区的市级以上|设区的市级|省级|市级|县级|省、自治区、直辖市|乡、镇|乡镇)(?:地方)?(?:各级)?人民政府")
# The subject of a duty: a noun phrase ending in 单位/部门/… right before a modal or 负责.
ACTOR_RE = re.compile(
    r"(?:^|(?<=[，。；：\n]))([^，。；：、\n（()“”]{2,14}?(?:单位|机构|部门|人员|负责人|企业|机关))"
    r"(?=应当|应|不得|必须|可以|负责|有权|依法)")
_ACTOR_REJECT = re.compile(r"^(?:由|应当|向|对|经|有关|相关|接到|被|其|该|本|各|第|但|所在|原"
                           r"|支持|加强|督促|组织|指导|协助|会同|配合|委托|通知|要求|责令|鼓励|引导|推动|制定|建立|完善"
                           r"|开展|做好|加快|实施|落实|接受|接收|移送)|及其|或者|和|以及|与")
# Modals and their opposites: swapping one turns a duty into a permission or a ban into a right.
MODAL_SWAPS = {"应当": "可以", "必须": "可以", "不得": "可以", "禁止": "允许", "可以": "应当"}
MODAL_RE = re.compile("|".join(MODAL_SWAPS))
FREQUENCY_SWAPS = {"定期": "不定期", "书面": "口头"}
FREQUENCY_RE = re.compile(r"(?<!不)(?:定期|书面)")

_TIERS = (("国务院", 4), ("省", 3), ("设区的市", 2), ("市级", 2), ("县", 1), ("乡", 0))


def government_tiers(text: str) -> range:
    """The tiers of government a fact covers, township 0 to State Council 4: 县级以上地方人民政府
    covers counties, cities and provinces, 设区的市级人民政府 cities alone."""
    tier = next((tier for word, tier in _TIERS if text.startswith(word)), None)
    if tier is None:
        return range(0, 5)
    if "以上" in text:
        return range(tier, 4 if "地方" in text else 5)
    return range(tier, tier + 1)


@dataclass(frozen=True)
class Fact:
    kind: str  # number, government, actor, modal, frequency
    text: str
    start: int
    end: int
    unit: str = ""  # for numbers: 日, 小时, 万元 …

    @property
    def value(self) -> float | None:
        return number_value(self.text) if self.kind == "number" else None


_ARABIC_MULTIPLIERS = {"": 1, "百": 100, "千": 1000, "万": 10000, "千万": 10_000_000}


def number_value(text: str) -> float | None:
    """The value of a number fact or numeral: 三十日 → 30, 1.5倍 → 1.5, 二十四 → 24."""
    match = re.match(rf"[{NUMERAL_CHARS}\d.]+", text)
    if not match:
        return None
    numeral = match.group(0)
    # banks write an Arabic figure with a Chinese multiplier (5千元, 1.5万元) for the statute's 五千元
    arabic = re.fullmatch(r"(\d+(?:\.\d+)?)(千万|[百千万]?)", numeral)
    if arabic:
        return float(arabic.group(1)) * _ARABIC_MULTIPLIERS[arabic.group(2)]
    value = numeral_value(numeral)
    return float(value) if value is not None else None


def find_facts(text: str) -> list[Fact]:
    """Every fact in ``text``, in reading order; spans never overlap (the earlier, longer wins)."""
    found: list[Fact] = []
    for match in NUMBER_RE.finditer(text):
        found.append(Fact("number", match.group(0), match.start(), match.end(), match.group(3)))
    for match in GOVERNMENT_RE.finditer(text):
        found.append(Fact("government", match.group(0), match.start(), match.end()))
    for match in ACTOR_RE.finditer(text):
        phrase = match.group(1)
        if not _ACTOR_REJECT.search(phrase) and not GOVERNMENT_RE.search(phrase):
            found.append(Fact("actor", phrase, match.start(1), match.end(1)))
    for match in MODAL_RE.finditer(text):
        found.append(Fact("modal", match.group(0), match.start(), match.end()))
    for match in FREQUENCY_RE.finditer(text):
        found.append(Fact("frequency", match.group(0), match.start(), match.end()))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    result: list[Fact] = []
    for fact in found:
        if not result or fact.start >= result[-1].end:
            result.append(fact)
    return result


def same_fact(a: str, b: str) -> bool:
    """Two spellings of one fact: 三十日 and 30日, or equal texts."""
    if a == b:
        return True
    va, vb = number_value(a), number_value(b)
    unit = re.compile(rf"^[{NUMERAL_CHARS}\d.]+")
    return va is not None and va == vb and unit.sub("", a) == unit.sub("", b)


@dataclass(frozen=True)
class FactChange:
    kind: str
    original: str
    changed: str


def one_fact_changed(original: str, changed: str) -> FactChange | None:
    """The single fact in which ``changed`` differs from ``original``, when everything else is
    the same text; None when they are equal or differ in anything else."""
    if original == changed:
        return None
    prefix = 0
    while prefix < min(len(original), len(changed)) and original[prefix] == changed[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(original), len(changed)) - prefix
           and original[-1 - suffix] == changed[-1 - suffix]):
        suffix += 1
    negation = _negation_change(original, changed, prefix, suffix)
    if negation:
        return negation
    for fact_a in find_facts(original):
        if not (fact_a.start <= prefix and fact_a.end >= len(original) - suffix):
            continue
        for fact_b in find_facts(changed):
            if (fact_b.kind == fact_a.kind and fact_b.start == fact_a.start
                    and changed[fact_b.end:] == original[fact_a.end:] and not same_fact(fact_a.text, fact_b.text)):
                return FactChange(fact_a.kind, fact_a.text, fact_b.text)
    return None


def _negation_change(original: str, changed: str, prefix: int, suffix: int) -> FactChange | None:
    """不定期 for 定期, 不得 for 得: one 不/未/无 inserted or removed is one fact changed."""
    longer, shorter = (original, changed) if len(original) > len(changed) else (changed, original)
    if len(longer) - len(shorter) != 1:
        return None
    inserted = longer[prefix:len(longer) - suffix] if prefix + suffix <= len(longer) else ""
    if inserted in ("不", "未", "无", "非") and longer[:prefix] + longer[len(longer) - suffix:] == shorter:
        return FactChange("negation", original[prefix:prefix + 3], changed[prefix:prefix + 3])
    return None
