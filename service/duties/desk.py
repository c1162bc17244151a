"""Who owns what: search the duties of 分工方案 and plans, list a department's tasks,
count every department's tasks, export the whole division of labour to Excel or CSV.

A duty's task is a paragraph that always reads "X牵头, Y按职责分工负责"; a question about it
reads "尾矿库治理谁负责". The words that ask *who* (谁负责, 哪个部门, 牵头 …) say nothing about
*which* task, and every duty would match them, so they are stripped before matching. The topic
left is ranked by the duty search of the knowledge base's backend (``regkb.index.duty_search``).

A department is a body of one region (the region of the documents that name it): the
省应急管理厅 of a Liaoning plan and of a Jiangxi one are listed apart, and a name that fits
several bodies returns them as candidates until a region picks one.

>>> desk = kb.duty_desk  # doctest: +SKIP
>>> desk.search("尾矿库治理谁负责", k=1).matches[0].section_path[-1]  # doctest: +SKIP
'3.非煤矿山安全'
>>> desk.department("应急厅").department  # doctest: +SKIP
'省应急管理厅'
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np

from regkb.corpus.departments import DepartmentRegistry, full_name, normalise_name, region_key, split_prefix
from regkb.corpus.models import Duty
from regkb.corpus.store import Store
from regkb.index.backends.base import IndexStorage
from regkb.index.duty_search import DutySearch, DutyTexts
from regkb.index.tokenizer import ChineseTokenizer
from regkb.index.vector_cache import cached_embeddings
from regkb.service.library.export_files import EXPORT_FORMATS, atomic_write
from regkb.service.duties.schemas import (DepartmentCandidate, DepartmentResponse, DepartmentsResponse, DepartmentSummary,
                                        DepartmentTask, DutiesResponse, DutyExport, DutyMatch)
from regkb.service.validation import KnowledgeBaseError, NotFoundError, validate_query

ROLES = ("lead", "responsible", "cooperating")
ROLE_NAMES = {"lead": "牵头", "responsible": "负责", "cooperating": "配合"}
EXPORT_HEADER = ("任务", "所在章节", "牵头单位", "责任单位", "配合单位", "完成时限", "依据", "来源", "是否推断")
SECTION_SEPARATOR = " › "
NAME_SEPARATOR = "、"

# Phrases that ask who does something. Stripped from a question before its words are
# matched against task texts: "消防通道整治谁来管" → "消防通道整治".
_WHO_RE = re.compile(
    r"(?:是|由|归|该|应该|应当|应由)?"
    r"(?:谁|哪个|哪些|哪几个|哪一个|哪家|什么)(?:部门|单位|机构|机关|人)?(?:们)?"
    r"(?:来|去|在|能|会)?"
    r"(?:牵头|负责|主管|分管|主抓|抓|管理|管|承担|推动|落实|督促|组织|制定|定|建设|建|做|办|干|配合|参与)*"
    r"(?:呢|啊|吗|的)?"
)
# Filler around the who-question: "这事", "这块工作", "管不管", "参与吗".
_FILLER_RE = re.compile(
    r"这(?:件|项|个|些|块|方面)(?:事情|事儿|事|工作|任务|活儿|活)?|这事儿?|这活儿?"
    r"|(?:按照?|依照?)?(?:各自)?职责(?:分工)?(?=负责|牵头|配合|承担)"
    r"|(?:管不管|参不参与|负不负责|配不配合|有没有份|参与吗|配合吗|负责吗|管吗)"
    r"|的(?:事情|事儿|事|活儿|活|工作)(?=[,，。?？!！\s]|$|归|由|谁|哪|是|该)"
)
# Tokens that name a role or an asking word; none of them tells one task from another.
_ROLE_TOKENS = frozenset({
    "谁", "牵头", "负责", "配合", "参与", "主管", "分管", "部门", "单位", "哪个", "哪些", "哪几个",
    "归", "管", "管理", "来管", "谁管", "这事", "这块", "这些", "事", "活", "省里", "职责", "分工",
    "监督管理", "监督",
})


def strip_who_words(question: str) -> str:
    """The part of a question that says which task it is about."""
    text = _FILLER_RE.sub("", question)
    text = _WHO_RE.sub(" ", text)
    text = re.sub(r"[,，。?？!！、;；\s]+", " ", text).strip()
    return text or question.strip()


def duty_source_text(duty: Duty) -> str:
    """The task as the source writes it: the sentence and its parenthesis of departments."""
    if duty.evidence and duty.evidence not in duty.task:
        return duty.task + duty.evidence
    return duty.task


class DutyDesk:
    """Duties and departments of one store. Cheap to build; the duty index is loaded (or built)
    from ``index_storage`` at the first search (vectors come from the store's embedding cache,
    the missing ones are embedded once and cached there).

    ``embedder`` is a zero-argument callable returning the embedder, so a desk that only
    lists departments never loads a model.

    >>> desk = kb.duty_desk  # doctest: +SKIP
    >>> [d.name for d in desk.departments().departments][:2]  # doctest: +SKIP
    ['省应急管理厅', '省、中直负有安全生产监管职责的部门']
    """

    def __init__(self, store: Store, registry: DepartmentRegistry, tokenizer: ChineseTokenizer,
                 embedder: Callable[[], object], index_storage: IndexStorage):
        self.store = store
        self.registry = registry
        self.tokenizer = tokenizer
        self._embedder_factory = embedder
        self.index_storage = index_storage

    # --- lazily built parts ---------------------------------------------------------

    @cached_property
    def duties(self) -> list[Duty]:
        return self.store.duties()

    @cached_property
    def embedder(self):
        return self._embedder_factory()

    @cached_property
    def _search(self) -> DutySearch:
        """The duty index of the knowledge base's backend (vectors through the embedding cache)."""
        texts = DutyTexts.of(self.duties)
        index = self.index_storage.duty_index(texts, self.tokenizer.tokenize,
                                              lambda batch: cached_embeddings(self.store, self.embedder, batch)[0],
                                              generation=self.store.generation)
        return DutySearch(index, texts, [d.inferred for d in self.duties])

    # --- search ---------------------------------------------------------------------

    def search(self, query: str, k: int = 5) -> DutiesResponse:
        query = validate_query(query)
        if not 1 <= k <= 200:
            raise KnowledgeBaseError("k 应在 1 到 200 之间")
        if not self.duties:
            return DutiesResponse(query=query, matches=[])
        ranked = self.rank(query)[:k]
        return DutiesResponse(query=query, matches=[self._match(self.duties[row], score) for row, score in ranked])

    def rank(self, query: str) -> list[tuple[int, float]]:
        """Every duty, best first, as (row, score); at equal score exact duties come first."""
        topic = strip_who_words(query)
        tokens = list(dict.fromkeys(t for t in self.tokenizer.tokenize(topic) if t not in _ROLE_TOKENS))
        expansion = [t for t in self.tokenizer.expansion(topic) if t not in _ROLE_TOKENS]
        query_vector = np.asarray(self.embedder.embed_queries([topic])[0], dtype=np.float32)
        return self._search.rank(tokens, expansion, query_vector)

    def _match(self, duty: Duty, score: float) -> DutyMatch:
        return DutyMatch(task=duty.task, lead=duty.lead, responsible=duty.responsible, cooperating=duty.cooperating,
                         source=duty.source, section_path=duty.section_path, text=duty_source_text(duty),
                         score=round(score, 6), inferred=duty.inferred, deadline=duty.deadline, evidence=duty.evidence)

    # --- departments ---------------------------------------------------------------

    @cached_property
    def _regions(self) -> dict[str, str | None]:
        """Each document's region, by doc_id: a duty's departments belong to it."""
        return {document.doc_id: document.region for document in self.store.documents()}

    def _key(self, name: str, duty: Duty) -> tuple[str, str | None]:
        """The (canonical name, region) body a name stored in a duty stands for."""
        canonical = self.registry.canonical(name) or name
        return canonical, region_key(canonical, self._regions.get(duty.doc_id))

    def department(self, name: str, region: str | None = None) -> DepartmentResponse:
        """A department's tasks, whatever spelling the user typed (应急厅, 省应急厅, 应急管理厅,
        辽宁省应急管理厅). When the name fits bodies of several regions (two provinces'
        应急管理厅) and ``region`` does not pick one, the response lists them as
        ``candidates`` and holds no tasks. A name that names no department (empty, unknown, or
        not in ``region``) raises ``NotFoundError``."""
        typed = normalise_name(name or "")
        if not typed:
            raise NotFoundError("部门名称不能为空")
        matches = self.registry.matches(typed)
        if not matches:
            suggestions = self.suggest(typed)
            hint = f"您是不是要找:{'、'.join(suggestions)}?" if suggestions else ""
            raise NotFoundError(f"没有找到部门“{typed}”。{hint}(用 regkb departments 查看全部部门)")
        if region:
            wanted = region.strip()
            picked = [key for key in matches if key[1] and (wanted in key[1] or key[1] in wanted)]
            if not picked:
                known = "、".join(dict.fromkeys(key[1] or "全国" for key in matches))
                raise NotFoundError(f"“{typed}”在地区“{wanted}”没有对应的部门(已知地区:{known})")
            matches = picked
        tasks_of = {key: self._tasks(key) for key in matches}
        if len(matches) > 1:
            candidates = [DepartmentCandidate(department=canonical, region=where, full_name=full_name(canonical, where),
                                              tasks=len(tasks_of[(canonical, where)]))
                          for canonical, where in matches]
            return DepartmentResponse(department=typed, aliases=[], tasks=[], candidates=candidates)
        canonical, where = matches[0]
        return DepartmentResponse(department=canonical, aliases=self.registry.aliases(canonical, where),
                                  tasks=tasks_of[matches[0]], region=where, full_name=full_name(canonical, where))

    def _tasks(self, key: tuple[str, str | None]) -> list[DepartmentTask]:
        tasks = []
        for duty in self.duties:
            for role in ROLES:
                if any(self._key(n, duty) == key for n in getattr(duty, role)):
                    tasks.append(DepartmentTask(task=duty.task, role=role, source=duty.source,
                                                section_path=duty.section_path, inferred=duty.inferred,
                                                deadline=duty.deadline))
        return tasks

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Canonical names close to what the user typed, closest first."""
        _, core = split_prefix(name)
        scores: dict[str, float] = {}
        for spelling in self.registry.all_spellings():
            canonical = self.registry.canonical(spelling) or spelling
            _, other = split_prefix(spelling)
            score = difflib.SequenceMatcher(None, core, other).ratio()
            if core and (core in other or other in core):
                score += 0.5
            scores[canonical] = max(scores.get(canonical, 0.0), score)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        return [canonical for canonical, score in ranked if score >= 0.5][:limit]

    def departments(self) -> DepartmentsResponse:
        """Every department (per region) with its aliases and how many tasks it leads, shares
        and supports."""
        counts: dict[tuple[str, str | None], Counter] = {key: Counter() for key in self.registry.keys()}
        for duty in self.duties:
            for role in ROLES:
                for key in dict.fromkeys(self._key(n, duty) for n in getattr(duty, role)):
                    counts.setdefault(key, Counter())[role] += 1
        summaries = [DepartmentSummary(name=name, aliases=self.registry.aliases(name, where), lead=c["lead"],
                                       responsible=c["responsible"], cooperating=c["cooperating"], region=where,
                                       full_name=full_name(name, where))
                     for (name, where), c in counts.items()]
        summaries.sort(key=lambda s: (-(s.lead + s.responsible + s.cooperating), -s.lead, s.name, s.region or ""))
        return DepartmentsResponse(departments=summaries)

    # --- export ---------------------------------------------------------------------

    def rows(self) -> list[list[str]]:
        """The export's rows (without the header), one per duty, in store order."""
        return [[d.task, SECTION_SEPARATOR.join(d.section_path), NAME_SEPARATOR.join(d.lead),
                 NAME_SEPARATOR.join(d.responsible), NAME_SEPARATOR.join(d.cooperating), d.deadline or "",
                 d.evidence, d.source, "是" if d.inferred else "否"] for d in self.duties]

    def export(self, path: Path | str) -> DutyExport:
        """Write every duty to ``path`` (.xlsx or .csv) atomically: a temp file, then a rename."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in EXPORT_FORMATS:
            raise KnowledgeBaseError(f"不支持导出为“{path.suffix or path.name}”格式,请使用 {' 或 '.join(EXPORT_FORMATS)} 文件名")
        rows = self.rows()
        atomic_write(path, lambda temp: (_write_xlsx if suffix == ".xlsx" else _write_csv)(temp, rows))
        return DutyExport(path=str(path), format=suffix[1:], duties=len(rows))


# Column widths in Excel's units (about one Latin character; a Chinese one takes two).
_XLSX_WIDTHS = (60, 30, 22, 40, 24, 12, 40, 26, 10)


def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "分工"
    sheet.append(list(EXPORT_HEADER))
    for row in rows:
        sheet.append(row)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows():
        for cell in cells:
            cell.alignment = wrap
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for column, width in enumerate(_XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    workbook.save(path)


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    # The BOM makes Excel read the file as UTF-8 instead of the system's code page.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(rows)
