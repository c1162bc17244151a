"""Exact duties from a division-of-labour document (分工方案).

Every target and numbered task of such a document ends with a parenthesis that says who
owns it: ``(省应急厅牵头,省发展改革委、工业和信息化厅,省、中直负有安全生产监管职责的部门
按职责分工负责)``. ``DivisionOfLabourParser`` reads those parentheses from a document's
blocks and returns one ``Duty`` per task, with canonical department names (see
``regkb.corpus.departments``) and the verbatim parenthesis as ``evidence``.

Use it for ``division_of_labour`` documents only; plans and opinions state duties in prose
and go to ``regkb.ingest.prose_duties`` (inferred duties), tables to
``regkb.ingest.duty_tables``.

Blocks may come in two shapes and both work: headings moved into ``section_path`` (a task
with sub-paragraphs appears as ``"1.危险化学品安全"`` in the path, and a heading's own
parenthesis becomes a duty too), or numbered tasks as paragraph blocks that still start with
``1.``. A parenthesis split over two blocks or lines is joined again.

Example::

    >>> from regkb.corpus.models import Block
    >>> from regkb.ingest.duties import DivisionOfLabourParser
    >>> blocks = [Block(text="5.营运车辆万车死亡率下降10%(省交通运输厅、公安厅负责)。",
    ...                 section_path=["一、规划目标"])]
    >>> duty = DivisionOfLabourParser().run(blocks, source="004.txt", doc_id="d4")["duties"][0]
    >>> duty.task, duty.responsible, duty.evidence
    ('营运车辆万车死亡率下降10%', ['省交通运输厅', '省公安厅'], '(省交通运输厅、公安厅负责)')

Without a structure parser, ``extract_duties_from_text(text, source, doc_id)`` segments
plain text itself (blank lines or line breaks, ``一、`` ``(一)`` ``1.`` headings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from typing import Callable

from regkb.corpus.departments import (DepartmentRegistry, canonical_form, explicit_names, split_departments_carrying,
                                      split_top_level)
from regkb.corpus.models import Block, Duty

OPEN = "(（"
CLOSE = ")）"

# Role verbs at the end of a clause, longest first. 落实 (e.g. 相关市政府落实) is treated
# as responsible: the named body carries the task out.
_ROLE_VERBS: list[tuple[str, str]] = [
    ("按职责分工负责", "responsible"), ("按职责分工落实", "responsible"),
    ("按职责负责", "responsible"), ("分工负责", "responsible"), ("共同负责", "responsible"),
    ("具体负责", "responsible"), ("负责落实", "responsible"), ("牵头负责", "lead"),
    ("牵头", "lead"), ("负责", "responsible"), ("配合", "cooperating"),
    ("协助", "cooperating"), ("参与", "cooperating"), ("落实", "responsible"),
]
_CLAUSE_RE = re.compile(
    r"^(?:由)?(?P<names>.+?)(?:等)?(?P<verb>" + "|".join(re.escape(v) for v, _ in _ROLE_VERBS) + r")$"
)
_ROLE_OF_VERB = dict(_ROLE_VERBS)
_DEADLINE_RE = re.compile(r"\d{4}年|\d{1,2}月(底|前|份)?|年底|年内|前完成|长期坚持|持续推进|每年|季度|完成时限")
_CLAUSE_SEPARATORS = ",，;；"
_ROLE_VERB_RE = re.compile("|".join(re.escape(v) for v, _ in _ROLE_VERBS))

# Enumerators of plan-style headings, by depth.
_ENUM_RES: list[tuple[int, re.Pattern]] = [
    (1, re.compile(r"^[一二三四五六七八九十百]+[、.．]")),
    (2, re.compile(r"^[(（][一二三四五六七八九十百]+[)）]")),
    (3, re.compile(r"^\d{1,3}(?:[.．、](?!\d)|\s)")),
    (4, re.compile(r"^[(（]\d{1,3}[)）]")),
    (5, re.compile(r"^[①-⑳]")),
]
_SENTENCE_END = "。;；!！?？"


def enum_level(text: str) -> int | None:
    """Depth of the enumerator a line starts with (一、=1, (一)=2, 1.=3, (1)=4, ①=5)."""
    for level, rx in _ENUM_RES:
        if rx.match(text):
            return level
    return None


def strip_enumerator(text: str) -> str:
    text = text.strip()
    for _, rx in _ENUM_RES:
        m = rx.match(text)
        if m:
            return text[m.end():].strip()
    return text


def paren_balance(text: str) -> int:
    """Opening minus closing brackets (ASCII and full-width)."""
    return sum(text.count(c) for c in OPEN) - sum(text.count(c) for c in CLOSE)


def split_trailing_paren(text: str) -> tuple[str, str] | None:
    """``"任务…(省应急厅牵头)。"`` → (``"任务…"``, ``"(省应急厅牵头)"``), else None."""
    t = text.rstrip().rstrip("。.;；,， \u3000").rstrip()
    if not t or t[-1] not in CLOSE:
        return None
    depth = 0
    for i in range(len(t) - 1, -1, -1):
        c = t[i]
        if c in CLOSE:
            depth += 1
        elif c in OPEN:
            depth -= 1
            if depth == 0:
                return t[:i], t[i:]
    return None


@dataclass
class Assignment:
    """The roles read from one parenthesis or table row, names as written (prefix restored)."""

    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    deadline: str | None = None

    def roles(self) -> dict[str, list[str]]:
        return {"lead": self.lead, "responsible": self.responsible, "cooperating": self.cooperating}

    def empty(self) -> bool:
        return not (self.lead or self.responsible or self.cooperating)


# Labelled roles, the other common way to state them: "牵头单位：市应急局；配合单位：市公安局".
_LABEL_RE = re.compile(r"(牵头单位|牵头部门|责任单位|责任部门|主责单位|配合单位|配合部门|协办单位|参与单位"
                       r"|完成时限|完成时间|时间节点)[:：]")
_ROLE_OF_LABEL = {"牵头": "lead", "责任": "responsible", "主责": "responsible", "配合": "cooperating",
                  "协办": "cooperating", "参与": "cooperating"}
_LEAD_MARK_RE = re.compile(r"[(（]\s*牵头\s*[)）]")


def parse_labelled(text: str, known: Callable[[str], bool] | None = None) -> Assignment | None:
    """Read ``牵头单位：省应急厅；责任单位：公安厅、交通厅（牵头）；完成时限：2023年底`` into
    roles; a ``（牵头）`` mark in a 责任单位 list makes that name a lead. None without labels."""
    labels = list(_LABEL_RE.finditer(text))
    if not labels:
        return None
    result = Assignment()
    prefix = ""
    for label, following in zip(labels, labels[1:] + [None]):
        value = text[label.end(): following.start() if following else len(text)].strip(" ；;。.，,")
        kind = label.group(1)
        if kind.startswith(("完成", "时间")):
            result.deadline = value or None
            continue
        role = next(r for word, r in _ROLE_OF_LABEL.items() if kind.startswith(word))
        for part in split_top_level(value, "、,，;；"):
            marked = bool(_LEAD_MARK_RE.search(part))
            names, prefix = split_departments_carrying(_LEAD_MARK_RE.sub("", part), prefix, known)
            getattr(result, "lead" if marked else role).extend(names)
    return result


def parse_assignment(inner: str, known: Callable[[str], bool] | None = None) -> Assignment | None:
    """Read ``省应急厅牵头,省司法厅,省、中直…部门按职责分工负责`` into roles.

    Clauses are separated by commas; a clause without a role verb takes the role of the next
    clause that has one (``省司法厅,省、中直…按职责分工负责`` are both responsible), or
    ``responsible`` when none follows; commas inside brackets (``各县（市，区）``) separate
    nothing. ``known`` tells which full names the document has written out (see
    ``regkb.corpus.departments.is_own_body``). Returns None when the text is not an
    assignment (e.g. ``(以下简称《规划》)``).
    """
    inner = re.sub(r"\s+", "", inner)
    if inner[:1] in OPEN and inner[-1:] in CLOSE:
        inner = inner[1:-1]
    if not inner or "《" in inner or "简称" in inner:
        return None
    if _LABEL_RE.search(inner):
        return parse_labelled(inner, known)
    result = Assignment()
    prefix = ""  # a level prefix carries across clauses: 省工信厅牵头,应急厅配合 → 省应急厅
    pending: list[str] = []  # clauses still waiting for a verb
    found_verb = False
    for clause in split_top_level(inner, _CLAUSE_SEPARATORS):
        m = _CLAUSE_RE.match(clause)
        if m and m.group("names").strip("等"):
            found_verb = True
            role = _ROLE_OF_VERB[m.group("verb")]
            names_text = "、".join(pending + [m.group("names")])
            pending = []
            names, prefix = split_departments_carrying(names_text, prefix, known)
            getattr(result, role).extend(names)
        elif _DEADLINE_RE.search(clause) and not clause.endswith(("厅", "委", "局", "办")):
            result.deadline = clause
        else:
            pending.append(clause)
    if not found_verb:
        return None
    if pending:
        result.responsible.extend(split_departments_carrying("、".join(pending), prefix, known)[0])
    return result


def known_names(texts: list[str], registry: DepartmentRegistry | None = None) -> Callable[[str], bool]:
    """Whether a full name (``市水利局``) is written out in the document's ``texts`` or is
    already in the registry: the evidence for restoring a list's prefix to a bare name."""
    written = explicit_names([_ROLE_VERB_RE.sub("、", text) for text in texts])

    def known(full: str) -> bool:
        return canonical_form(full) in written or (registry is not None and registry.canonical(full) is not None)

    return known


def canonical_roles(assignment: Assignment, registry: DepartmentRegistry,
                    level: str | None = None, region: str | None = None) -> dict[str, list[str]]:
    """Canonical, de-duplicated names per role (registering every alias seen)."""
    return {role: registry.add_all(names, level=level, region=region)
            for role, names in assignment.roles().items()}


def _clean_task(text: str) -> str:
    return strip_enumerator(text).strip().rstrip("。.;；,，:：").strip()


class DutyExtractor:
    """Base of the duty extractors: configured with the document's level and region, which
    the department registry records for the names it meets."""

    def __init__(self, level: str | None = None, region: str | None = None) -> None:
        self.level = level
        self.region = region

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, "init_parameters": {"level": self.level, "region": self.region}}

    @classmethod
    def from_dict(cls, data: dict) -> "DutyExtractor":
        return cls(**data.get("init_parameters", {}))


class DivisionOfLabourParser(DutyExtractor):
    """Duties from the trailing parentheses of a division-of-labour document's blocks.

    ``__init__`` takes the document's level and region (recorded on departments with a
    level prefix: ``省`` in a Liaoning provincial plan → provincial, 辽宁). ``run`` takes the
    blocks in reading order and returns ``{"duties": [Duty, …]}``; pass a shared
    ``DepartmentRegistry`` to collect the canonical names and aliases across documents.

    >>> from regkb.corpus.models import Block
    >>> p = DivisionOfLabourParser(level="provincial", region="辽宁")
    >>> blocks = [Block(text="把安全科技纳入…(省应急厅、科技厅等负责,省、中直负有安全生产监管职责的部门按职责分工负责)",
    ...                 section_path=["二、主要任务", "(九)推动安全科技创新"])]
    >>> d = p.run(blocks, source="004.txt", doc_id="d4")["duties"][0]
    >>> d.lead, d.responsible
    ([], ['省应急管理厅', '省科技厅', '省、中直负有安全生产监管职责的部门'])
    """

    def run(self, blocks: list[Block], source: str, doc_id: str,
            registry: DepartmentRegistry | None = None) -> dict[str, list[Duty]]:
        registry = registry if registry is not None else DepartmentRegistry()
        duties: list[Duty] = []
        seen_headings: set[tuple[str, ...]] = set()
        pending: list[Block] = []  # paragraphs of the current section without a parenthesis
        carry: Block | None = None  # a block whose parenthesis is still open
        base_path: list[str] = []  # the section path the blocks came with
        local: list[tuple[int, str]] = []  # headings met as body blocks under base_path

        known = known_names([block.text for block in blocks] + [h for block in blocks for h in block.section_path],
                            registry)

        labelled: tuple[Duty, list[str]] | None = None  # the duty "牵头单位：…" lines fill, and their path

        def make(task: str, path: list[str], paren: str) -> Duty | None:
            assignment = parse_assignment(paren, known)
            if assignment is None or assignment.empty():
                return None
            roles = canonical_roles(assignment, registry, self.level, self.region)
            return Duty(task=_clean_task(task), section_path=list(path), deadline=assignment.deadline,
                        evidence=re.sub(r"\s+", "", paren), inferred=False, source=source,
                        doc_id=doc_id, **roles)

        for block in blocks:
            # a heading's own parenthesis is a duty too, emitted once, before its content
            for depth in range(len(block.section_path)):
                key = tuple(block.section_path[: depth + 1])
                if key in seen_headings:
                    continue
                seen_headings.add(key)
                split = split_trailing_paren(block.section_path[depth])
                if split and split[0].strip():
                    duty = make(split[0], list(key[:-1]), split[1])
                    if duty:
                        duties.append(duty)

            text = block.text.strip()
            if carry is not None:  # the rest of an open parenthesis
                text = carry.text.rstrip() + text
                block = carry.model_copy(update={"text": text})
                carry = None
            if paren_balance(text) > 0:
                carry = block
                continue
            if block.section_path != base_path:
                base_path, local = list(block.section_path), []
            split = split_trailing_paren(text)
            if (split is None or parse_assignment(split[1]) is None) and _short_heading(text):
                # a heading left in the body (no structure parser): it extends the path of
                # what follows and is never part of a task
                level = enum_level(text) or 9
                local = [(lv, h) for lv, h in local if lv < level] + [(level, text.rstrip("。"))]
                pending = []
                continue
            own_level = enum_level(text)
            if own_level is not None:
                local = [(lv, h) for lv, h in local if lv < own_level]
                path = block.section_path
                while path and (enum_level(path[-1]) or 0) >= own_level:
                    path = path[:-1]  # "2.…（…牵头）" is a sibling of the heading "1.…", not under it
                if path != block.section_path:
                    block = block.model_copy(update={"section_path": path})
            if local:
                block = block.model_copy(update={"section_path": base_path + [h for _, h in local]})
            # a table row's "牵头单位:…" cells are the table parser's
            label = _LABEL_RE.search(text) if block.kind != "table_row" and (
                split is None or not _LABEL_RE.search(split[1])) else None
            if label:
                labelled = self._labelled(text, label.start(), block, pending, labelled, make, duties)
                pending = []
                continue
            labelled = None
            duty = None
            if split:
                task, paren = split
                if not task.strip(" \u3000"):
                    # the parenthesis stands alone: it belongs to the paragraph(s) before it
                    task = _join_pending(pending, whole=True)
                elif (pending and not pending[-1].text.rstrip().endswith(tuple(_SENTENCE_END))
                      and pending[-1].section_path == block.section_path and enum_level(text) is None):
                    # the task began in the paragraph before (broken mid-sentence); a numbered
                    # task, or one under other headings, begins here (a signature above is no task)
                    task = _join_pending(pending, whole=False) + task.strip()
                duty = make(task, block.section_path, paren) if task.strip() else None
            if duty:
                duties.append(duty)
                pending = []
            else:
                if pending and pending[-1].section_path != block.section_path:
                    pending = []
                pending.append(block)
        if carry is not None:  # an unclosed parenthesis at the very end: try it as it is
            split = split_trailing_paren(carry.text + ")")
            if split:
                duty = make(split[0], carry.section_path, split[1])
                if duty:
                    duties.append(duty)
        return {"duties": duties}


    @staticmethod
    def _labelled(text: str, start: int, block: Block, pending: list[Block],
                  labelled: tuple[Duty, list[str]] | None, make: Callable,
                  duties: list[Duty]) -> tuple[Duty, list[str]] | None:
        """A block with "牵头单位：…" labels: a task before the labels, or the labels of the
        task above (the paragraph before, or the numbered heading the block sits under);
        further label lines add to the same duty. Returns the duty being filled and the
        section path of its label lines."""
        task, labels = text[:start], text[start:]
        path = block.section_path
        if not strip_enumerator(task).strip(" 。；;，,："):
            if labelled is not None and labelled[1] == path:
                duty, more = labelled[0], make(labelled[0].task, path, labels)
                for role in ("lead", "responsible", "cooperating"):
                    getattr(duty, role).extend(n for n in getattr(more, role, []) if n not in getattr(duty, role))
                duty.deadline = duty.deadline or parse_labelled(labels).deadline
                duty.evidence += labels
                return labelled
            own = [b for b in pending if b.section_path == path]
            if own:
                task = _join_pending(own, whole=True)
            elif path and enum_level(path[-1]) is not None:
                task, path = path[-1], path[:-1]
            else:
                return None
        duty = make(task, path, labels)
        if duty is None:
            return None
        duties.append(duty)
        return duty, block.section_path


def _join_pending(pending: list[Block], whole: bool) -> str:
    """The text of the paragraph(s) a parenthesis belongs to.

    ``whole``: the parenthesis stood alone, so take the last paragraph and the ones before it
    that were broken mid-sentence; otherwise only the mid-sentence run directly before.
    """
    if not pending:
        return ""
    parts: list[str] = []
    i = len(pending) - 1
    if whole:
        parts.append(pending[i].text.strip())
        i -= 1
    while i >= 0 and not pending[i].text.rstrip().endswith(tuple(_SENTENCE_END)) and \
            pending[i].section_path == pending[-1].section_path:
        parts.insert(0, pending[i].text.strip())
        i -= 1
    return "".join(parts)


def _is_heading(line: str, level: int | None) -> bool:
    if level is None:
        return False
    body = line.rstrip("。")
    return len(body) <= 40 and "。" not in body and paren_balance(body) == 0


_PARA_END = tuple(_SENTENCE_END) + (")", "）", ":", "：", "”")


def _wrap_width(lines: list[str]) -> int | None:
    """The width text was hard-wrapped at, when most long lines share one length."""
    lengths = [len(ln) for ln in lines if len(ln) >= 20]
    if len(lengths) < 5:
        return None
    width = max(set(lengths), key=lengths.count)
    return width if lengths.count(width) >= max(5, len(lengths) // 4) else None


def _short_heading(line: str) -> bool:
    level = enum_level(line)
    return (level is not None and len(line) <= 40 and "。" not in line.rstrip("。")
            and not line.endswith(("；", ";", "，", ",", "、")))


def _ends_with_assignment(text: str) -> bool:
    split = split_trailing_paren(text)
    return split is not None and parse_assignment(split[1]) is not None


def _paragraphs(text: str) -> list[str]:
    raw = [ln.strip(" \t\u3000\xa0") for ln in text.splitlines()]
    nonempty = [ln for ln in raw if ln]
    blank_mode = sum(1 for ln in raw if not ln) >= max(3, len(nonempty) // 5)
    width = None if blank_mode else _wrap_width(nonempty)
    paras: list[str] = []
    cur = ""
    prev = ""
    for ln in raw:
        if not ln:
            if blank_mode and cur and paren_balance(cur) <= 0:
                paras.append(cur)
                cur = ""
            continue
        if cur and paren_balance(cur) > 0:
            cur += ln  # inside an open parenthesis
        elif _LABEL_RE.match(ln) or (cur and _LABEL_RE.match(cur)):
            if cur:  # a "牵头单位：…" line stands alone, and so does the line after it
                paras.append(cur)
            cur = ln
        elif _short_heading(ln) and not (width and len(prev) >= width - 1 and not _short_heading(prev)):
            if cur:
                paras.append(cur)
            paras.append(ln)
            cur = ""
        elif not cur:
            cur = ln
        elif blank_mode or (width and len(prev) >= width - 1 and not _ends_with_assignment(cur)) or \
                (not prev.endswith(_PARA_END) and not _short_heading(prev)):
            cur += ln  # the same paragraph, wrapped or broken mid-sentence
        else:
            paras.append(cur)
            cur = ln
        prev = ln
        if _short_heading(ln) and not cur:
            prev = ""
    if cur:
        paras.append(cur)
    return paras


def segment_text(text: str) -> list[Block]:
    """Light segmentation of plain text into paragraph blocks with section paths.

    Paragraphs are blank-line separated when the text uses blank lines, else lines, with
    lines hard-wrapped at a fixed width or broken mid-sentence joined again; a paragraph
    whose parenthesis is still open is joined with the next; short lines that
    start with ``一、`` ``(一)`` ``1.`` ``(1)`` become headings. A numbered line carrying
    its own role parenthesis is a heading only when plain paragraphs follow it (a task with
    sub-paragraphs); otherwise it is a task paragraph (``1.死亡人数下降15%(…)``).
    """
    lines = _paragraphs(text)

    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        level = enum_level(line)
        heading = False
        if level is not None:
            split = split_trailing_paren(line)
            if split and parse_assignment(split[1]) is not None:
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                nxt_level = enum_level(nxt)
                heading = bool(nxt) and (nxt_level is None or nxt_level > level) and len(split[0]) <= 40
            else:
                heading = _is_heading(line, level)
        if heading:
            stack = [(lv, h) for lv, h in stack if lv < level] + [(level, line.rstrip("。"))]
            continue
        if level is not None:
            # a numbered task paragraph ends the headings of its own and deeper levels
            stack = [(lv, h) for lv, h in stack if lv < level]
        blocks.append(Block(text=line, section_path=[h for _, h in stack]))
    return blocks


def extract_duties(blocks: list[Block], source: str, doc_id: str,
                   registry: DepartmentRegistry | None = None, level: str | None = None,
                   region: str | None = None) -> list[Duty]:
    """Function form of ``DivisionOfLabourParser(level, region).run(...)["duties"]``."""
    return DivisionOfLabourParser(level=level, region=region).run(
        blocks, source=source, doc_id=doc_id, registry=registry)["duties"]


def extract_duties_from_text(text: str, source: str, doc_id: str,
                             registry: DepartmentRegistry | None = None, level: str | None = None,
                             region: str | None = None) -> list[Duty]:
    """Duties of a division-of-labour document given as plain text (own segmentation)."""
    return extract_duties(segment_text(text), source, doc_id, registry=registry,
                          level=level, region=region)
