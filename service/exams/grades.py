"""An accident's grade from its figures, by the ranges an article's grade definitions give:
"重大事故，是指造成10人以上30人以下死亡，或者50人以上100人以下重伤，或者5000万元以上1亿元以下直接经济损失的事故"
makes an accident with 15 people dead, or 6000万元 of direct loss, a 重大事故. Banks ask it both ways: the grade of an
accident their stem describes (options are grades), and which of the accidents their options describe is of the
grade the stem names.

>>> definitions = grade_definitions(["（二）重大事故，是指造成10人以上30人以下死亡，或者5000万元以上1亿元以下直接经济损失的事故；",
...                                  "（三）较大事故，是指造成3人以上10人以下死亡，或者1000万元以上5000万元以下直接经济损失的事故；"])
>>> grade_of(accident_figures("造成直接经济损失 1946 万元"), definitions)
'较大事故'
>>> grade_of(accident_figures("瓦斯爆炸造成 15人死亡"), definitions)
'重大事故'
>>> grade_of(accident_figures("造成 10人死亡"), definitions) is None  # both ranges hold 10 where 以下 includes it
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regkb.corpus.numerals import NUMERAL_CHARS, numeral_value

MEASURES = ("死亡", "重伤", "直接经济损失")
_UNIT_VALUES = {"人": 1, "元": 1, "万元": 10_000, "亿元": 100_000_000}
_NUMBER = rf"\d+(?:\.\d+)?|[{NUMERAL_CHARS}]+"
_UNIT = "人|万元|亿元|元"
_DEFINITION_RE = re.compile(r"^(?:[(（][一二三四五六七八九十]+[)）])?([^，,；;。：:]{1,8}事故)[，,]?是指造成(.+?)的事故")
# one alternative of a definition: "10人以上30人以下死亡", "1亿元以上直接经济损失", "3人以下死亡"
_BOUND_RE = re.compile(rf"(?:({_NUMBER})({_UNIT})以上)?(?:({_NUMBER})({_UNIT})以下)?({'|'.join(MEASURES)})")
# the article's own reading of its bounds: "所称的“以下”不包括本数"
_UPPER_EXCLUSIVE_RE = re.compile(r"以下[”\"’']?不包括本数")
# an accident's figure in a stem or option: "31人死亡", "死亡3人", "直接经济损失 1946 万元", "6000万元的直接经济损失"
_FIGURE_RES = (
    re.compile(rf"({_NUMBER})\s*(人)\s*(死亡|重伤)"),
    re.compile(rf"(死亡|重伤)\s*({_NUMBER})\s*(人)"),
    re.compile(rf"(直接经济损失)(?:达|为|约|共)?\s*({_NUMBER})\s*({_UNIT})"),
    re.compile(rf"({_NUMBER})\s*({_UNIT})(?:的)?(直接经济损失)"),
)


@dataclass(frozen=True)
class Range:
    measure: str
    low: float | None  # included
    high: float | None
    high_included: bool

    def holds(self, measure: str, value: float) -> bool:
        if measure != self.measure or (self.low is None and self.high is None):
            return False
        if self.low is not None and value < self.low:
            return False
        return self.high is None or value < self.high or (self.high_included and value == self.high)


def _value(number: str | None, unit: str | None) -> float | None:
    if number is None:
        return None
    value = float(number) if re.fullmatch(r"\d+(?:\.\d+)?", number) else numeral_value(number)
    return None if value is None else value * _UNIT_VALUES[unit]


def grade_definitions(lines: list[str]) -> dict[str, list[Range]]:
    """The grades an article's lines define by figures, each with its ranges (one per measure it names)."""
    high_included = not any(_UPPER_EXCLUSIVE_RE.search(line) for line in lines)
    grades = {}
    for line in lines:
        definition = _DEFINITION_RE.match(line.strip())
        if not definition:
            continue
        ranges = [Range(m.group(5), _value(m.group(1), m.group(2)), _value(m.group(3), m.group(4)), high_included)
                  for part in re.split(r"或者|或", definition.group(2)) if (m := _BOUND_RE.search(part))]
        if ranges:
            grades[definition.group(1)] = ranges
    return grades


def defining_line(lines: list[str], grade: str) -> str | None:
    """The line that defines ``grade`` (not one that names it inside a longer grade, 特别重大事故 for 重大事故)."""
    return next((line for line in lines if (m := _DEFINITION_RE.match(line.strip())) and m.group(1) == grade), None)


def accident_figures(text: str) -> list[tuple[str, float]]:
    """(measure, value) of each figure the text gives an accident."""
    figures = []
    for figure_re in _FIGURE_RES:
        for match in figure_re.finditer(text):
            parts = match.groups()
            measure = next(p for p in parts if p in MEASURES)
            number = next(p for p in parts if p not in MEASURES and p not in _UNIT_VALUES)
            unit = next(p for p in parts if p in _UNIT_VALUES)
            value = _value(number, unit)
            if value is not None:
                figures.append((measure, value))
    return figures


def grade_of(figures: list[tuple[str, float]], definitions: dict[str, list[Range]]) -> str | None:
    """The one grade whose ranges hold every figure; None where the text gives none, a figure falls
    in no range or in several (a bound both ranges include), or its figures point to different grades."""
    if not figures:
        return None
    found = set()
    for measure, value in figures:
        holding = [grade for grade, ranges in definitions.items() if any(r.holds(measure, value) for r in ranges)]
        if len(holding) != 1:
            return None
        found.add(holding[0])
    return found.pop() if len(found) == 1 else None


def named_grades(text: str, definitions: dict[str, list[Range]]) -> list[str]:
    """The defined grades a text names, the longest name first where names overlap (特别重大事故, not 重大事故)."""
    if not definitions:
        return []
    names = sorted(definitions, key=len, reverse=True)
    return re.findall("|".join(map(re.escape, names)), text)
