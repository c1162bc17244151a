"""Plan targets: the quantified goals of a plan, read from its indicator tables, its 专栏
boxes and its prose.

A target is a number with its unit that the plan sets as a goal: ``生产安全事故死亡人数下降15%``,
``安装率达到100%``, ``完好率≥95%``, ``配备1辆以上移动指挥车``. Results of the previous period
(a plan's 成效 and 形势 sections) and conditions (``入井人数超过30人的矿山``) are not targets:
the first are skipped by section, the second have no goal verb and no percentage.

>>> extractor = TargetExtractor(region="连云区", level="county", title="连云区“十四五”安全生产规划")
>>> blocks = [Block(text="生产安全事故起数下降16%。", section_path=["二、规划目标"])]
>>> target = extractor.run(blocks, source="002.txt", doc_id="abc")["targets"][0]
>>> target.indicator, target.value, target.unit, target.direction, target.deadline
('生产安全事故起数', '16', '%', 'down', '2025')
"""

from __future__ import annotations

import re

from regkb.haystack_import import import_haystack

import_haystack()
from haystack import component  # noqa: E402

from regkb.corpus.models import Block, Target  # noqa: E402
from regkb.ingest.duty_tables import classify_header, target_value_columns  # noqa: E402

# Sections that look back (what the last plan achieved) rather than forward.
_PAST_SECTION = re.compile(r"成效|回顾|进展|形势|现状|面临")
# Five-year plans name their period; the period's last year is the deadline of a target
# that names none.
_PLAN_PERIOD = {"十一五": "2010", "十二五": "2015", "十三五": "2020", "十四五": "2025", "十五五": "2030"}
_PERIOD_RANGE = re.compile(r"20\d\d\s*[—–\-－~～至到]\s*(20\d\d)\s*年")
_ANNUAL_TITLE = re.compile(r"(20\d\d)年度?(?=[^\d—–\-－~～至到])")
_DEADLINE = re.compile(r"(?:到|至|在)(20\d\d)年(?:底|末)?")
_BASELINE = re.compile(r"(?:与|比|较)(.{2,14}?)(?:相比|比较)")
# The short form, "比2020年下降16%" / "较“十三五”末下降20%": 比 or 较 and a period, right before the verb.
_PERIOD = r"(?:20\d\d年?(?:底|末|度)?|“?十[一二三四五]五”?(?:期末|末|期间)?|上一?年(?:度|同期)?|同期|基期)"
_BASELINE_YEAR = re.compile(r"(20\d\d)")

_NUMBER = r"(?P<num>\d+(?:\.\d+)?)"
_PERCENT_UNITS = ("%", "％", "‰", "个百分点")
_COUNT_UNITS = ("个月", "周", "天", "个", "辆", "支", "家", "座", "所", "人次", "分钟", "小时")
# in a table's value cell a bare count of people or accidents is the goal (控制在1起以内, 达到1.5人);
# in prose it is mostly a condition (入井人数超过30人)
_TABLE_UNITS = ("起", "人")
# a rate's unit: 人/10万人, 人/万车, 平方米/人
_RATE_UNIT = r"[\u4e00-\u9fff]{1,3}/\d*[万亿千百]?[\u4e00-\u9fff]{1,3}"
# an indicator table's unit: a 单位 column (not 责任单位), or the name's bracket (万车死亡率（人/万车）)
_UNIT_HEADERS = ("单位", "计量单位")
_INDICATOR_HEADERS = ("指标", "项目", "名称")
_UNIT_IN_NAME = re.compile(r"[（(]((?:%|％|‰|" + _RATE_UNIT + r"|[\u4e00-\u9fff]{1,2}))[)）]$")
_VALUE_LIKE_UNIT = re.compile(r"^(?:%|％|‰|" + _RATE_UNIT + r"|[\u4e00-\u9fff]{1,4})$")
_DOWN = ("累计下降", "下降", "降低", "减少")
_UP = ("累计提高", "增加", "提高", "增长", "提升")
_AT_LEAST = ("不低于", "不少于", "超过", "高于", "＞", ">", "≥", "大于")
_AT_MOST = ("不超过", "不高于", "控制在", "低于", "＜", "<", "≤", "小于")
_REACH = ("达到", "达")
_VERBS = sorted(_DOWN + _UP + _AT_LEAST + _AT_MOST + _REACH, key=len, reverse=True)
_BASELINE_BEFORE_VERB = re.compile(r"(?:比|较)(" + _PERIOD + r")(?=\s*(?:均|分别|累计)?(?:" + "|".join(map(re.escape, _VERBS)) + "))")
_BASELINE_AT_END = re.compile(r"(?:比|较)" + _PERIOD + "$")
# "<indicator><verb>[在职人员的]<number><unit>[以上]": a verb, then the number (a verb may be
# followed by a short "X的" naming what the number is a share of).
def _value_pattern(units: tuple[str, ...]) -> re.Pattern:
    unit = "(?P<unit>" + "|".join([_RATE_UNIT, *map(re.escape, units)]) + ")?"
    return re.compile(
        "(?:(?P<verb>" + "|".join(map(re.escape, _VERBS)) + r")\s*(?:[^\d，,；;。:：]{1,8}?的)?)?\s*" + _NUMBER + r"\s*" + unit
        + r"(?P<tail>及以上|以上|以内|以下)?")


_VALUE = _value_pattern(_PERCENT_UNITS + _COUNT_UNITS)
_TABLE_VALUE = _value_pattern(_PERCENT_UNITS + _COUNT_UNITS + _TABLE_UNITS)
# "推进5个重点行业领域风险评估工作", "配备1辆以上移动指挥车": a count before the thing counted.
_COUNTED = re.compile(
    r"(?P<verb>推进|完成|配备|建成|建设|创建|培育|新建|打造)" + _NUMBER + r"(?P<unit>个|辆|支|家|座|所|处)"
    r"(?P<tail>及以上|以上)?(?P<indicator>[^，,；;。：:（(]{2,40})")
_CLAUSE = re.compile(r"[，,；;。！!？?]")
_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
_LEADING = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）.、．]\s*)?(?:(?:到|至)20\d\d年(?:底|末)?[，,]?\s*)?"
                      r"(?:力争|确保|实现|推动|要|使|全面)?")
_TRAILING = re.compile(r"(?:均|要|应|将|分别|累计|持续|需|须)$")
_NATURE = re.compile(r"约束性|预期性")


def plan_end_year(title: str | None, texts: list[str]) -> str | None:
    """The last year of the plan's period, from its title or its first lines; else the
    year an annual plan's title names (金华市2024年安全生产目标指标)."""
    for text in [title or "", *texts]:
        match = _PERIOD_RANGE.search(text)
        if match:
            return match.group(1)
        for name, year in _PLAN_PERIOD.items():
            if f"{name}”" in text or f"{name}\"" in text or f"{name}时期" in text or f"{name}规划" in text:
                return year
    annual = _ANNUAL_TITLE.search(title or "")
    return annual.group(1) if annual else None


def direction_of(verb: str | None, tail: str | None, indicator: str) -> str:
    """down, up, at_most, at_least or reach, from the verb before the number and the word after it."""
    if verb in _DOWN:
        return "down"
    if verb in _UP:
        return "up"
    if "降幅" in indicator or "下降率" in indicator:
        return "down"  # "降幅 ＞15%": the decrease is what is bounded
    if verb in _AT_MOST or tail in ("以内", "以下"):
        return "at_most"
    if verb in _AT_LEAST or tail in ("以上", "及以上"):
        return "at_least"
    return "reach"


def _clean_indicator(text: str) -> str:
    text = _LEADING.sub("", text.strip())
    text = _TRAILING.sub("", text.strip())
    text = _TRAILING.sub("", _BASELINE_AT_END.sub("", text.strip()).strip())  # "死亡率比2020年(均)"
    return text.strip(" ：:“”\"")


def _baseline(text: str | None) -> dict:
    year = _BASELINE_YEAR.search(text) if text else None
    return {"baseline": text, "baseline_year": year.group(1) if year else None}


def _deadline_before(sentence: str, position: int, default: str | None) -> str | None:
    found = [m.group(1) for m in _DEADLINE.finditer(sentence[:position])]
    return found[-1] if found else default


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


@component
class TargetExtractor:
    """Targets of one document from its blocks (table rows carry their header cells).

    ``region``, ``level`` and ``title`` come from the document's metadata; the title gives
    the plan period, whose last year is the deadline of a target that names no year.
    """

    def __init__(self, region: str | None = None, level: str | None = None, title: str | None = None):
        self.region = region
        self.level = level
        self.title = title

    @component.output_types(targets=list[Target])
    def run(self, blocks: list[Block], source: str = "", doc_id: str = "") -> dict:
        default_deadline = plan_end_year(self.title, [b.text for b in blocks[:5]])
        found: list[Target] = []
        for block in blocks:
            if any(_PAST_SECTION.search(heading) for heading in block.section_path):
                continue
            if block.kind == "table_row" and block.cells and block.header:
                found += self._table_row(block, default_deadline)
            else:
                kind = "column" if any(h.lstrip().startswith("专栏") for h in block.section_path) else "prose"
                found += self._prose(block, kind, default_deadline)
        unique: dict[tuple, Target] = {}
        for target in found:
            target.source, target.doc_id = source, doc_id
            key = (target.indicator, target.value, target.unit, target.direction, target.deadline)
            unique.setdefault(key, target)  # a 专栏 often repeats a sentence of the prose
        return {"targets": list(unique.values())}

    def _target(self, block: Block, kind: str, **fields) -> Target:
        return Target(region=self.region, level=self.level, section_path=block.section_path, kind=kind, **fields)

    # --- indicator tables -----------------------------------------------------------

    def _table_row(self, block: Block, default_deadline: str | None) -> list[Target]:
        header = [h.strip() for h in block.header]
        cells = [c.strip() for c in block.cells] + [""] * (len(header) - len(block.cells))
        kinds = [classify_header(h.replace("/", "")) for h in header]
        tasks = [j for j, kind in enumerate(kinds) if kind == "task"]
        if not tasks:
            return []
        # the indicator's column names it (指标名称, 考核指标); a 规划目标 column holds values
        indicator_col = next((j for j in tasks if any(w in header[j] for w in _INDICATOR_HEADERS)), tasks[-1])
        indicator = cells[indicator_col]
        values = target_value_columns(header, kinds) + [j for j in tasks if j != indicator_col and "目标" in header[j]]
        # the value is in a target column; failing that, a goal written in the indicator
        # cell itself (…覆盖率达到100%) or in a note (备注: 不低于90%)
        if not indicator:
            return []
        found = next(((j, m) for j in values for m in [_TABLE_VALUE.search(cells[j])] if m), None)
        if found is None:
            spare = [indicator_col] + [j for j, kind in enumerate(kinds) if kind == "note"]
            found = next(((j, m) for j in spare for m in [_TABLE_VALUE.search(cells[j])] if m and m.group("verb")), None)
        if found is None:
            return []
        column, match = found
        if column == indicator_col:
            indicator = _clean_indicator(indicator[:match.start()])
        named_unit = _UNIT_IN_NAME.search(indicator)
        indicator = _UNIT_IN_NAME.sub("", indicator).strip()
        unit_col = next((j for j, h in enumerate(header) if h in _UNIT_HEADERS), None)
        unit = match.group("unit") or (named_unit.group(1) if named_unit else None) or \
            (cells[unit_col] if unit_col is not None and _VALUE_LIKE_UNIT.search(cells[unit_col]) else None)
        baselines = [j for j, kind in enumerate(kinds) if kind == "value" and j not in values and cells[j]]
        natures = [cells[j] for j, kind in enumerate(kinds) if kind == "nature" and cells[j]]
        years = _BASELINE_YEAR.findall(header[column]) if column in values else []
        return [self._target(
            block, "table", indicator=indicator, value=match.group("num"), unit=_unit(unit),
            direction=direction_of(match.group("verb"), match.group("tail"), indicator),
            deadline=years[-1] if years else default_deadline, nature=natures[0] if natures else None,
            baseline=cells[baselines[0]] if baselines else None, quote=block.text,
            baseline_year=(_BASELINE_YEAR.findall(header[baselines[0]]) or [None])[0] if baselines else None)]

    # --- 专栏 boxes and prose ----------------------------------------------------------

    def _prose(self, block: Block, kind: str, default_deadline: str | None) -> list[Target]:
        targets = []
        for sentence in _sentences(block.text):
            baseline = _BASELINE.search(sentence)  # "与2020年相比，…": the whole sentence's
            nature = _NATURE.search(sentence)
            common = {**_baseline(baseline.group(1) if baseline else None),
                      "nature": nature.group(0) if nature else None, "quote": sentence.strip()}
            taken: list[tuple[int, int]] = []
            for match in _COUNTED.finditer(sentence):
                taken.append(match.span())
                targets.append(self._target(
                    block, kind, indicator=_clean_indicator(match.group("indicator")), value=match.group("num"),
                    unit=match.group("unit"), direction="at_least" if match.group("tail") else "reach",
                    deadline=_deadline_before(sentence, match.start(), default_deadline), **common))
            clause_start = 0
            for clause in _CLAUSE.split(sentence):
                start, clause_start = clause_start, clause_start + len(clause) + 1
                for match in _VALUE.finditer(clause):
                    at = start + match.start()
                    if any(a <= at < b for a, b in taken):
                        continue
                    own = _BASELINE_BEFORE_VERB.search(clause)  # "比2020年下降16%": this clause's
                    target = self._prose_target(block, kind, clause, match,
                                                {**common, **_baseline(own.group(1))} if own else common)
                    if target:
                        target.deadline = _deadline_before(sentence, at, default_deadline)
                        targets.append(target)
        return targets

    def _prose_target(self, block: Block, kind: str, clause: str, match: re.Match, common: dict) -> Target | None:
        verb, unit, tail = match.group("verb"), match.group("unit"), match.group("tail")
        before = clause[:match.start()]
        after = clause[match.end():]
        if unit is None and verb not in ("＞", ">", "≥", "＜", "<", "≤"):
            return None  # a bare number (a year, a count of people) is not a goal
        if unit in _COUNT_UNITS and verb not in _AT_LEAST + _AT_MOST + _REACH:
            return None
        if unit in _PERCENT_UNITS and not verb and not re.search(r"(率|比例|比重|占比)\s*$", before) \
                and not after.startswith("达标"):
            return None  # "占全市的2.32%" describes; a goal has a verb or names a rate
        indicator = _clean_indicator(before)
        if after.startswith("的") and len(after) > 1:
            indicator = _clean_indicator(after[1:])  # "参加不少于2周的复训": the thing comes after
        if len(indicator) < 2:
            return None
        return self._target(block, kind, indicator=indicator, value=match.group("num"), unit=_unit(unit),
                            direction=direction_of(verb, tail, indicator), **common)


def _unit(unit: str | None) -> str | None:
    return "%" if unit == "％" else unit
