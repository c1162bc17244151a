"""Plan targets: list and filter them, line one indicator up across regions, export them.

An indicator is named differently from plan to plan (``死亡人数``, ``生产安全事故死亡人数``,
``生产安全事故死亡人数降幅``), so a word matches an indicator that contains it or shares most
of its character pairs with it.

>>> desk = TargetDesk(kb.store)  # doctest: +SKIP
>>> [row.region for row in desk.targets(compare="死亡人数").comparison][:2]  # doctest: +SKIP
['辽宁省', '包头市九原区']
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from regkb.corpus.models import DIRECTION_NAMES, Target
from regkb.corpus.store import Store
from regkb.service.targets.schemas import TargetExport, TargetRow, TargetsResponse
from regkb.service.library.export_files import export_rows
from regkb.service.validation import KnowledgeBaseError

EXPORT_HEADER = ("地区", "层级", "指标", "方向", "目标值", "单位", "基期", "完成时限", "指标性质", "类型", "来源", "原文")
LEVEL_ORDER = {"national": 0, "provincial": 1, "city": 2, "county": 3}
KIND_NAMES = {"table": "指标表", "column": "专栏", "prose": "正文"}
# A word matches an indicator sharing at least this share of the word's character pairs.
MIN_PAIR_SHARE = 0.75


def _pairs(text: str) -> set[str]:
    text = re.sub(r"\s+", "", text)
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def indicator_match(word: str, indicator: str) -> float:
    """1.0 when the indicator contains the word, else the share of the word's character pairs it has."""
    word, indicator = re.sub(r"\s+", "", word), re.sub(r"\s+", "", indicator)
    if not word:
        return 0.0
    if word in indicator:
        return 1.0
    pairs = _pairs(word)
    return len(pairs & _pairs(indicator)) / len(pairs)


def region_match(wanted: str, region: str | None) -> bool:
    """"辽宁" matches "辽宁省"; "连云" matches "连云区"."""
    return bool(region) and (wanted in region or region.rstrip("省市区县") in wanted)


def describe(target: Target) -> str:
    """``下降 15%`` — the direction and value as a reader says them."""
    value = f"{target.value or ''}{target.unit or ''}"
    return f"{DIRECTION_NAMES.get(target.direction or '', '')}{value}"


class TargetDesk:
    """Targets of one store."""

    def __init__(self, store: Store):
        self.store = store

    @cached_property
    def all_targets(self) -> list[Target]:
        return self.store.targets()

    def targets(self, region: str | None = None, indicator: str | None = None, compare: str | None = None) -> TargetsResponse:
        chosen = self.all_targets
        if region:
            chosen = [t for t in chosen if region_match(region.strip(), t.region)]
        if indicator:
            chosen = [t for t in chosen if indicator_match(indicator, t.indicator) >= MIN_PAIR_SHARE]
        if not compare:
            return TargetsResponse(targets=chosen)
        rows = self.compare(compare, chosen)
        return TargetsResponse(targets=[t for t in chosen if indicator_match(compare, t.indicator) >= MIN_PAIR_SHARE],
                               compare=compare, comparison=rows)

    def compare(self, word: str, targets: list[Target] | None = None) -> list[TargetRow]:
        """For each region, its target that best matches ``word``; national first, then down the levels."""
        word = word.strip()
        if not word:
            raise KnowledgeBaseError("请给出要对比的指标,如 --compare 死亡人数")
        best: dict[str, tuple[tuple, Target]] = {}
        for target in self.all_targets if targets is None else targets:
            score = indicator_match(word, target.indicator)
            if score < MIN_PAIR_SHARE:
                continue
            # the closest name first; at a tie the shorter indicator (less qualified) and a goal
            # from an indicator table, which is the plan's headline figure
            key = (-score, len(target.indicator), target.kind != "table")
            region = target.region or ""
            if region not in best or key < best[region][0]:
                best[region] = (key, target)
        ordered = sorted(best.values(), key=lambda item: (LEVEL_ORDER.get(item[1].level or "", 9), item[1].region or ""))
        return [TargetRow(region=t.region, level=t.level, indicator=t.indicator, value=t.value, unit=t.unit,
                          direction=t.direction, deadline=t.deadline, source=t.source, quote=t.quote)
                for _, t in ordered]

    def rows(self) -> list[list[str]]:
        return [[t.region or "", t.level or "", t.indicator, DIRECTION_NAMES.get(t.direction or "", ""), t.value or "",
                 t.unit or "", t.baseline or "", t.deadline or "", t.nature or "", KIND_NAMES.get(t.kind, t.kind),
                 t.source, t.quote] for t in self.all_targets]

    def export(self, path: Path | str) -> TargetExport:
        """Write every target to ``path`` (.xlsx or .csv) atomically."""
        rows = self.rows()
        written = export_rows(Path(path), EXPORT_HEADER, rows, sheet="规划目标")
        return TargetExport(path=str(path), format=written, targets=len(rows))
