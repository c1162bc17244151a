"""Exact duties from division-of-labour tables (分工表).

A table with columns such as 序号 / 重点任务 (工作任务, 任务) / 牵头单位 / 责任单位 /
配合单位 / 完成时限 gives one ``Duty`` per task row: the departments of each role column
(canonical names, see ``regkb.corpus.departments``), the deadline, and the row itself as
``evidence`` (``表头:单元格；…``).

Tables arrive as ``Table.rows`` (first row, or first few rows, the header). Merged cells show
up as repeated or empty cells: an empty 序号 or category cell takes the value above, a row
without a task adds its departments to the task above, and a row whose cells all say the
same thing (``一、危险化学品``) is a section heading for the rows below. A department list
may be broken over lines inside a cell, even in the middle of a name (pdf) or inside its
brackets (``各县（市、`` / ``区）人民政府``). ``省应急管理厅(牵头)`` inside a 责任单位 cell marks a
lead. An indicator table (指标 / 2025年目标值 / 责任单位) gives one duty per indicator, its
target value completing the task (``道路交通万车死亡率下降10%``). A list's level prefix goes to
a bare name only when the name is the issuer's own body (``regkb.corpus.departments.is_own_body``).

Example::

    >>> from regkb.ingest.duty_tables import duties_from_table
    >>> rows = [["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
    ...         ["1", "开展化工园区安全风险评估", "省应急厅", "省工业和信息化厅、\\n公安厅", "2022年底"]]
    >>> d = duties_from_table(rows, source="表.docx", doc_id="t1")[0]
    >>> d.lead, d.cooperating, d.deadline
    (['省应急管理厅'], ['省工业和信息化厅', '省公安厅'], '2022年底')

``read_table_rows(path)`` reads the tables of a docx, xlsx, pdf or tab-separated text file
into rows (for tests and for callers without a reader of their own).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from regkb.corpus.departments import (DEPARTMENT_SUFFIXES, DepartmentRegistry, LEVEL_PREFIXES,
                                      normalise_name, split_departments)
from regkb.corpus.models import Duty, Table
from regkb.ingest.duties import DutyExtractor, known_names, paren_balance

# Column kinds, tested in this order on the (joined) header text of a column.
_COLUMN_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("seq", ("序号", "编号")),
    ("lead", ("牵头",)),
    ("cooperating", ("配合", "协助", "协办", "参与")),
    ("deadline", ("时限", "时间", "期限", "节点", "进度安排")),
    ("responsible", ("责任单位", "责任部门", "负责单位", "负责部门", "主责", "承办", "责任处室",
                     "落实单位", "责任主体", "责任分工", "实施单位", "责任领导")),
    ("value", ("目标值", "预期值", "指标值", "目标要求", "现状值", "基期值", "基数")),
    ("nature", ("属性", "性质")),  # 指标属性 (约束性/预期性) describes the indicator, it is not the task
    ("task", ("任务", "事项", "内容", "措施", "工作要点", "重点工作", "主要工作", "具体工作", "举措", "项目", "目标",
              "指标")),
    ("category", ("类别", "领域", "方面", "类型", "分类")),
    ("note", ("备注", "说明")),
]
_ROLE_COLUMNS = ("lead", "responsible", "cooperating", "first_lead")
# 责任单位（排名第一的为牵头单位）: a responsible column whose first body leads
_FIRST_LEADS = re.compile(r"(?:第一|首位|首个|排首).{0,6}牵头|牵头.{0,6}(?:第一|首位)")
_YEAR_HEADER = re.compile(r"^20\d\d年(?:度|底|末)?(?:目标)?$")
_BASELINE_WORDS = ("现状", "基期", "基数", "基准")
_LEAD_MARK_RE = re.compile(r"[(（]\s*牵头\s*[)）]")
_MARKED_RE = re.compile(r"([^、,，;；\n]+?)\s*[(（]\s*牵头\s*[)）]")
_SEP_END = ("、", ",", "，", ";", "；", "/")
# A cell line that ends a name, or starts a new one (市直有关部门 / 各县（市、区）人民政府).
_NAME_ENDS = DEPARTMENT_SUFFIXES + ("部门", "单位", "政府", ")", "）")
_NAME_STARTS = ("各", "有关", "相关", "驻")


def classify_header(text: str) -> str | None:
    t = re.sub(r"\s+", "", text or "")
    if not t:
        return None
    if t in ("序", "No", "No."):
        return "seq"
    if _FIRST_LEADS.search(t):
        return "first_lead"
    for kind, words in _COLUMN_RULES:
        if any(w in t for w in words):
            return kind
    if t in ("责任", "负责"):
        return "responsible"
    if _YEAR_HEADER.match(t):
        return "value"  # 2020年 / 2025年: an indicator table's baseline and target columns
    return None


def target_value_columns(headers: list[str], kinds: list[str | None]) -> list[int]:
    """The value columns that hold a target: not a baseline (现状值, 基期值, 基数), and of
    several year columns (2020年, 2025年) only the last, the period's end."""
    values = [j for j, k in enumerate(kinds) if k == "value" and not any(w in headers[j] for w in _BASELINE_WORDS)]
    years = [j for j in values if _YEAR_HEADER.match(headers[j])]
    return [j for j in values if j not in years[:-1]]


def _clean_text(cell: str | None) -> str:
    """Cell text with line breaks removed (Chinese text wraps without spaces)."""
    if not cell:
        return ""
    parts = [p.strip(" \t\u3000\xa0") for p in str(cell).splitlines()]
    return "".join(p for p in parts if p)


def split_cell_departments(cell: str | None, known: Callable[[str], bool] | None = None) -> list[str]:
    """Department names of one cell, where a line break may separate names or split one.

    A line ending in a separator, or a complete name followed by a line that starts a new
    one, is a boundary; a line that ends in the middle of a name joins the next line.
    """
    if not cell:
        return []
    lines = [ln.strip(" \t\u3000\xa0") for ln in str(cell).splitlines()]
    lines = [ln for ln in lines if ln]
    text = ""
    for ln in lines:
        if not text:
            text = ln
        elif text.endswith(_SEP_END) or ln.startswith(_SEP_END) or paren_balance(text) > 0:
            text += ln
        elif _LEAD_MARK_RE.match(ln) or ln.startswith(("等", "(", "（")) or \
                re.split(r"[、,，;；]", text)[-1] in LEVEL_PREFIXES:
            text += ln  # …、市 / 市场监管局: the level prefix of the name the next line ends
        elif text.endswith(_NAME_ENDS) or _LEAD_MARK_RE.search(text[-5:]) or \
                ln.startswith(LEVEL_PREFIXES + _NAME_STARTS):
            text += "、" + ln
        else:
            text += ln  # a name broken in the middle
    return split_departments(text, known)



def _split_with_lead_marks(cell: str, known: Callable[[str], bool] | None = None) -> tuple[list[str], list[str]]:
    """(names, names marked ``(牵头)``) of a responsible cell."""
    if not _LEAD_MARK_RE.search(cell):
        return split_cell_departments(cell, known), []
    names = split_cell_departments(_LEAD_MARK_RE.sub("", cell), known)
    raw_marked = [normalise_name(m) for m in _MARKED_RE.findall(cell)]
    marked = [n for n in names if any(m and (n.endswith(m) or m.endswith(n)) for m in raw_marked)]
    return [n for n in names if n not in marked], marked


def _header_like(row: list[str]) -> bool:
    values = [_clean_text(c) for c in row]
    distinct = {v for v in values if v}
    kinds = {classify_header(v) for v in distinct} - {None}
    return len(kinds) >= 2 and all(len(v) <= 20 for v in distinct)


def _find_header(rows: list[list[str]]) -> tuple[int, int] | None:
    """(first, end) of the header rows among the first few rows, or None."""
    for start in range(min(4, len(rows))):
        if _header_like(rows[start]):
            end = start + 1
            while end < len(rows) and end < start + 3 and _header_like(rows[end]):
                end += 1
            return start, end
    return None


def _joined_header(header_rows: list[list[str]], width: int) -> list[str]:
    """One name per column from header rows stacked by merged cells (责任分工/牵头单位)."""
    headers = []
    for j in range(width):
        parts: list[str] = []
        for row in header_rows:
            value = _clean_text(row[j]) if j < len(row) else ""
            if value and value not in parts:
                parts.append(value)
        headers.append("/".join(parts))
    return headers


def table_header(rows: list[list[str]]) -> tuple[list[str], int]:
    """(column names, index of the first body row): the header rows found among the first
    rows, past a title merged across the table; the first row when none is found."""
    found = _find_header(rows)
    if found is None:
        return [_clean_text(c) for c in rows[0]], 1
    start, end = found
    return _joined_header(rows[start:end], max(len(r) for r in rows)), end


class DutyTableParser(DutyExtractor):
    """Duties from division-of-labour tables.

    ``run(tables, source, doc_id, registry=None)`` returns ``{"duties": [...]}``; a table
    without a task column and a department column gives no duties.

    >>> from regkb.corpus.models import Table
    >>> t = Table(rows=[["任务", "责任单位"], ["建立风险管控平台", "省应急厅(牵头)、省公安厅"]])
    >>> d = DutyTableParser().run([t], source="x.xlsx", doc_id="x")["duties"][0]
    >>> d.lead, d.responsible
    (['省应急管理厅'], ['省公安厅'])
    """

    def run(self, tables: list[Table], source: str, doc_id: str,
            registry: DepartmentRegistry | None = None) -> dict[str, list[Duty]]:
        registry = registry if registry is not None else DepartmentRegistry()
        duties: list[Duty] = []
        for table in tables:
            duties.extend(self._table(table, source, doc_id, registry))
        return {"duties": duties}

    def _table(self, table: Table, source: str, doc_id: str,
               registry: DepartmentRegistry) -> list[Duty]:
        rows = [[("" if c is None else str(c)) for c in r] for r in table.rows]
        found = _find_header(rows)
        if found is None:
            return []
        start, end = found
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        headers = _joined_header(rows[start:end], width)
        kinds = [classify_header(h.replace("/", "")) for h in headers]
        task_cols = [j for j, k in enumerate(kinds) if k == "task"]
        if not task_cols or not any(k in _ROLE_COLUMNS for k in kinds):
            return []
        task_col = task_cols[-1]
        category_cols = [j for j, k in enumerate(kinds) if k == "category"] + task_cols[:-1]
        fill_down = set(category_cols) | {j for j, k in enumerate(kinds) if k == "seq"}
        value_cols = target_value_columns(headers, kinds)
        known = known_names([row[j] for row in rows[end:] for j, k in enumerate(kinds) if k in _ROLE_COLUMNS],
                            registry)

        duties: list[Duty] = []
        section: list[str] = []
        previous: list[str] = [""] * width
        for row in rows[end:]:
            cells = [_clean_text(c) for c in row]
            distinct = {c for c in cells if c}
            if not distinct:
                continue
            if len(distinct) == 1:
                value = next(iter(distinct))
                spans = sum(1 for c in cells if c) > 1
                if spans or not cells[task_col] or re.match(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])", value):
                    section = [value]  # a row spanning the table: a heading for the rows below
                    previous = [""] * width
                    continue
            for j in fill_down:
                if not cells[j]:
                    cells[j] = previous[j]
                    row[j] = previous[j]
            roles: dict[str, list[str]] = {"lead": [], "responsible": [], "cooperating": []}
            deadline = None
            for j, kind in enumerate(kinds):
                if kind in _ROLE_COLUMNS and row[j].strip():
                    names, marked = _split_with_lead_marks(row[j], known)
                    if kind == "first_lead":
                        marked, names = marked + names[:1], names[1:]
                    roles["responsible" if kind == "first_lead" else kind].extend(names)
                    roles["lead"].extend(marked)
                elif kind == "deadline" and cells[j]:
                    deadline = cells[j]
            canon = {r: registry.add_all(n, level=self.level, region=self.region) for r, n in roles.items()}
            evidence = "；".join(f"{headers[j] or '列' + str(j + 1)}:{cells[j]}" for j in range(width) if cells[j])
            # an indicator table: the target value completes the task (死亡人数 + 下降15%)
            task = cells[task_col] + "".join(cells[j] for j in value_cols if cells[task_col])
            path = list(table.section_path) + section
            for j in category_cols:
                if cells[j] and cells[j] not in path:
                    path.append(cells[j])
            if duties and (not task or (task == duties[-1].task and path == duties[-1].section_path)):
                # the task cell is merged with the row above: same task, more departments
                prev = duties[-1]
                for r in canon:
                    for name in canon[r]:
                        if name not in getattr(prev, r):
                            getattr(prev, r).append(name)
                prev.deadline = prev.deadline or deadline
                prev.evidence += "\n" + evidence
                previous = cells
                continue
            if not task or not any(canon.values()):
                previous = cells
                continue
            duties.append(Duty(task=task, section_path=path, deadline=deadline, evidence=evidence,
                               inferred=False, source=source, doc_id=doc_id, **canon))
            previous = cells
        return duties


def duties_from_table(table: Table | list[list[str]], source: str, doc_id: str,
                      registry: DepartmentRegistry | None = None,
                      section_path: list[str] | None = None, level: str | None = None,
                      region: str | None = None) -> list[Duty]:
    """Duties of one table given as a ``Table`` or as its rows."""
    if not isinstance(table, Table):
        table = Table(rows=[[("" if c is None else str(c)) for c in r] for r in table],
                      section_path=section_path or [])
    return DutyTableParser(level=level, region=region).run(
        [table], source=source, doc_id=doc_id, registry=registry)["duties"]


# -- reading tables from files ---------------------------------------------------------------

def read_table_rows(path: str | Path) -> list[list[list[str]]]:
    """The tables of a file (docx, xlsx, pdf, tab-separated txt) as rows of cells, read by
    the same readers as ingest."""
    from regkb.ingest.readers import read_file

    return [item.rows for item in read_file(Path(path)).items if isinstance(item, Table)]
