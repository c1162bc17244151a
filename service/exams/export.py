"""Exam files: a paper as Word (题型 sections, numbered questions, then the key with
explanations and sources), a bank as Excel/CSV in the columns exam platforms import, and
reading such a bank back (xlsx, csv, or the JSON of ``regkb exam``) for the audit.

>>> question = ExamQuestion(type="judge", stem="根据《安全生产法》，生产经营单位应当建立安全生产责任制。",
...                         answer="true", explanation="", source="安全生产法.md", quote="生产经营单位应当建立安全生产责任制。")
>>> write_paper([question], Path("试卷.docx"))
>>> write_paper([question], Path("题库.xlsx"))
>>> [q["stem"] for q in read_bank(Path("题库.xlsx"))][:1]
['根据《安全生产法》，...']
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from regkb.corpus.law_names import without_state_name
from regkb.ingest.limits import check_xlsx
from regkb.ingest.readers import IngestError, sheet_rows
from regkb.service.exams.generators import LETTERS, SLOT
from regkb.service.exams.schemas import TYPE_NAMES, ExamQuestion
from regkb.service.library.export_files import atomic_write
from regkb.service.validation import MAX_QUERY_CHARS, KnowledgeBaseError

OPTION_COLUMNS = 6
COLUMNS = ("题型", "题干", *(f"选项{LETTERS[i]}" for i in range(OPTION_COLUMNS)), "答案", "解析", "出处", "难度")
PAPER_FORMATS = (".docx", ".xlsx", ".json")
BANK_FORMATS = (".xlsx", ".csv", ".json")
MAX_BANK_QUESTIONS = 1000  # each is solved against the corpus: a search per option
TYPE_ORDER = ("judge", "single", "multi", "blank")
CHINESE_NUMBERS = "一二三四五六"
JUDGE_WORDS = {"true": "正确", "false": "错误"}
# What trainers write in a bank's 答案 column for a 判断 key.
TRUE_WORDS = {"正确", "对", "√", "是", "true", "T", "Y", "A"}
FALSE_WORDS = {"错误", "错", "×", "否", "false", "F", "N", "B"}
TYPE_WORDS = {"判断": "judge", "单选": "single", "多选": "multi", "填空": "blank"}


def citation(question: ExamQuestion) -> str:
    title = without_state_name(question.title or question.source)
    where = question.article or " › ".join(question.section_path)
    return f"《{title}》{where}"


def answer_text(question: ExamQuestion) -> str:
    return JUDGE_WORDS.get(question.answer, question.answer) if question.type == "judge" else question.answer


def row_of(question: ExamQuestion) -> list[str]:
    options = (question.options + [""] * OPTION_COLUMNS)[:OPTION_COLUMNS]
    return [TYPE_NAMES[question.type], question.stem, *options, answer_text(question), question.explanation,
            citation(question), question.difficulty]


# --- writing -----------------------------------------------------------------------------

def write_paper(questions: list[ExamQuestion], path: Path) -> None:
    """Write ``questions`` to ``path`` (.docx, .xlsx or .json) atomically."""
    suffix = path.suffix.lower()
    if suffix not in PAPER_FORMATS:
        raise KnowledgeBaseError(f"不支持导出为“{path.suffix or path.name}”格式,请使用 {'、'.join(PAPER_FORMATS)} 文件名")
    writer = {".docx": _write_docx, ".xlsx": _write_xlsx, ".json": _write_json}[suffix]
    atomic_write(path, lambda temp: writer(questions, temp))


def _write_json(questions: list[ExamQuestion], path: Path) -> None:
    payload = {"questions": [q.model_dump() for q in questions]}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def write_rows(path: Path, header: tuple[str, ...] | list[str], rows: list[list]) -> None:
    """An xlsx sheet: a bold, frozen header and wrapped text in readable column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "题库"
    for row in [list(header), *rows]:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        longest = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, longest * 1.6))
        for cell in column[1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)


def _write_xlsx(questions: list[ExamQuestion], path: Path) -> None:
    write_rows(path, COLUMNS, [row_of(q) for q in questions])


def _write_docx(questions: list[ExamQuestion], path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    style.font.name = "宋体"  # creates the run fonts element; Chinese text also needs the East Asian font set
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run("安全生产培训考试试卷")
    run.bold = True
    run.font.size = Pt(16)
    document.add_paragraph(f"共 {len(questions)} 题。判断题在括号内填“√”或“×”；选择题在括号内填选项字母，多选题有两个或两个以上正确选项。")
    numbered = _numbered(questions)
    for section, (kind, items) in enumerate(numbered):
        document.add_paragraph().add_run(f"{CHINESE_NUMBERS[section]}、{TYPE_NAMES[kind]}（共 {len(items)} 题）").bold = True
        for number, question in items:
            stem = question.stem if SLOT in question.stem or question.type == "blank" else question.stem + SLOT
            document.add_paragraph(f"{number}. {stem}")
            for letter, option in zip(LETTERS, question.options):
                document.add_paragraph(f"{letter}. {option}").paragraph_format.left_indent = Pt(21)
    document.add_page_break()
    document.add_paragraph().add_run("参考答案与解析").bold = True
    for kind, items in numbered:
        document.add_paragraph().add_run(TYPE_NAMES[kind]).bold = True
        for number, question in items:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{number}. 答案：{answer_text(question)}").bold = True
            paragraph.add_run(f"    出处：{citation(question)}")
            document.add_paragraph(f"解析：{question.explanation}").paragraph_format.left_indent = Pt(21)
    document.save(path)


def _numbered(questions: list[ExamQuestion]) -> list[tuple[str, list[tuple[int, ExamQuestion]]]]:
    """Questions grouped by type in paper order, numbered through the paper."""
    sections, number = [], 0
    for kind in TYPE_ORDER:
        items = []
        for question in (q for q in questions if q.type == kind):
            number += 1
            items.append((number, question))
        if items:
            sections.append((kind, items))
    return sections


# --- reading a bank ------------------------------------------------------------------------

def read_bank(path: Path) -> list[dict]:
    """The questions of a bank file as dicts with type, stem, options and answer (the bank's key,
    judge keys as "true"/"false"). Rows without a stem are skipped."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise KnowledgeBaseError(f"文件不存在:{path}")
    if suffix not in BANK_FORMATS:
        raise KnowledgeBaseError(f"不支持的题库格式“{path.suffix or path.name}”,请使用 {'、'.join(BANK_FORMATS)}")
    try:
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            records = data.get("questions", []) if isinstance(data, dict) else data
            return _within_caps(path, [_from_json(r) for r in records if isinstance(r, dict) and r.get("stem")])
        rows = _xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path)
    except IngestError as exc:
        raise KnowledgeBaseError(str(exc)) from exc
    except (ValueError, KeyError, OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(f"无法读取题库 {path.name}:{exc}") from exc
    except Exception as exc:  # openpyxl raises its own errors on a corrupt workbook
        raise KnowledgeBaseError(f"无法读取题库 {path.name}:{type(exc).__name__}") from exc
    if not rows:
        raise KnowledgeBaseError(f"题库 {path.name} 是空的")
    header = [str(c or "").strip() for c in rows[0]]
    if "题干" not in header:
        raise KnowledgeBaseError(f"题库 {path.name} 缺少“题干”列(列名应为:{'、'.join(COLUMNS)})")
    records = [dict(zip(header, [str(c).strip() if c is not None else "" for c in row])) for row in rows[1:]]
    return _within_caps(path, [_from_row(r) for r in records if r.get("题干")])


def _within_caps(path: Path, questions: list[dict]) -> list[dict]:
    """A bank is checked question by question against the corpus: its size and each text's are capped."""
    if len(questions) > MAX_BANK_QUESTIONS:
        raise KnowledgeBaseError(f"题库 {path.name} 有 {len(questions)} 道题,一次最多检查 {MAX_BANK_QUESTIONS} 道;请拆分后再检查")
    for number, question in enumerate(questions, start=1):
        if max(map(len, [question["stem"], *question["options"]])) > MAX_QUERY_CHARS:
            raise KnowledgeBaseError(f"题库 {path.name} 第 {number} 题的题干或选项太长(上限 {MAX_QUERY_CHARS} 字)")
    return questions


def _from_json(record: dict) -> dict:
    options = record.get("options") or []
    kind = record.get("type")
    return {"type": kind if isinstance(kind, str) else None, "stem": str(record["stem"]),
            "options": [str(o) for o in options] if isinstance(options, list) else [],
            "answer": str(record.get("answer", ""))}


def _from_row(record: dict) -> dict:
    options = [record.get(f"选项{LETTERS[i]}", "") for i in range(OPTION_COLUMNS)]
    while options and not options[-1]:
        options.pop()
    kind = next((v for k, v in TYPE_WORDS.items() if k in record.get("题型", "")), None)
    answer = record.get("答案", "")
    if kind is None:
        kind = "judge" if not options else ("multi" if len(re.sub(r"[^A-F]", "", answer)) > 1 else "single")
    if kind == "judge":
        answer = "true" if answer in TRUE_WORDS else "false" if answer in FALSE_WORDS else answer
    elif kind in ("single", "multi"):
        answer = "".join(sorted(set(re.sub(r"[^A-Fa-f]", "", answer).upper())))
    return {"type": kind, "stem": record["题干"], "options": options, "answer": answer}


def _xlsx_rows(path: Path) -> list[list]:
    import io

    from openpyxl import load_workbook

    data = path.read_bytes()
    check_xlsx(path.name, data)
    book = load_workbook(io.BytesIO(data), data_only=True)
    return [list(row) for row in sheet_rows(book.worksheets[0], path.name)]


def _csv_rows(path: Path) -> list[list]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.reader(handle)]
