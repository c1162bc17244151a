"""Who owns what: duty search, a department's tasks, the department list and the export,
through the library and through the real CLI over the shared ``law_kb``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from regkb.corpus.departments import DepartmentRegistry
from regkb.corpus.models import Document, Duty
from regkb.corpus.store import Store
from regkb.index.backends.faiss_bm25s import FaissBm25sStorage
from regkb.service.duties.desk import EXPORT_HEADER, DutyDesk, strip_who_words
from regkb.service.knowledge_base import KnowledgeBaseError

DIVISION_SOURCE = "004_36275ac223ca7fcd.txt"


def regkb(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REGKB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "regkb.service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def expected_rows(duties: list[Duty]) -> list[list[str]]:
    return [[d.task, " › ".join(d.section_path), "、".join(d.lead), "、".join(d.responsible), "、".join(d.cooperating),
             d.deadline or "", d.evidence, d.source, "是" if d.inferred else "否"] for d in duties]


@pytest.fixture(scope="module")
def warm_kb(law_kb):
    """The shared knowledge base with the duty vectors embedded (and cached in its store)."""
    law_kb.duties("尾矿库治理谁负责")
    return law_kb


def test_who_words_are_stripped():
    assert strip_who_words("尾矿库治理谁负责") == "尾矿库治理"
    assert strip_who_words("消防通道整治谁来管") == "消防通道整治"
    assert strip_who_words("危化品的事归哪个部门牵头") == "危化品"
    assert strip_who_words("应急避难场所建设哪个部门牵头") == "应急避难场所建设"
    assert strip_who_words("谁负责") == "谁负责"  # nothing left: match what was asked


def test_duty_search_finds_the_tailings_pond_task(warm_kb):
    response = warm_kb.duties("尾矿库治理谁负责", k=5)
    top = response.matches[0]
    assert top.source == DIVISION_SOURCE and "尾矿库" in top.task
    assert top.section_path[-1] == "3.非煤矿山安全"
    assert "省应急管理厅" in top.responsible and not top.inferred
    assert top.evidence and top.text.endswith(top.evidence)
    assert len(response.matches) == 5
    assert [m.score for m in response.matches] == sorted((m.score for m in response.matches), reverse=True)


@pytest.mark.parametrize("question, heading", [
    ("危化品的事归哪个部门牵头", "危险化学品"),
    ("消防通道整治谁来管", "4.消防安全"),
])
def test_duty_search_plain_questions(warm_kb, question, heading):
    top = warm_kb.duties(question, k=3).matches[0]
    assert heading in top.section_path[-1] or heading.replace("危险化学品", "危化品") in top.section_path[-1]


def test_duty_search_rejects_bad_input(warm_kb):
    with pytest.raises(KnowledgeBaseError):
        warm_kb.duties("   ")
    with pytest.raises(KnowledgeBaseError):
        warm_kb.duties("尾矿库", k=0)


@pytest.mark.slow
def test_duties_cli_json(warm_kb):
    result = regkb(warm_kb.settings.home, "duties", "尾矿库治理谁负责", "-k", "2", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "尾矿库治理谁负责" and len(payload["matches"]) == 2
    match = payload["matches"][0]
    assert {"task", "lead", "responsible", "cooperating", "source", "section_path", "text"} <= set(match)
    assert "尾矿库" in match["task"] and match["source"] == DIVISION_SOURCE


@pytest.mark.slow
def test_department_spellings_give_the_same_answer(warm_kb):
    home = warm_kb.settings.home
    answers = []
    for name in ("应急厅", "省应急厅"):
        result = regkb(home, "department", name, "--json")
        assert result.returncode == 0, result.stderr
        answers.append(json.loads(result.stdout))
    assert answers[0] == answers[1]
    answer = answers[0]
    assert answer["department"] == "省应急管理厅" and "省应急厅" in answer["aliases"]
    assert warm_kb.department("应急管理厅").model_dump() == answer
    roles = Counter(task["role"] for task in answer["tasks"])
    assert roles["lead"] > 0 and roles["responsible"] > 0
    assert all(t["source"] == DIVISION_SOURCE and t["section_path"] for t in answer["tasks"])


@pytest.mark.slow
def test_department_cli_text(warm_kb):
    result = regkb(warm_kb.settings.home, "department", "交通厅")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("省交通运输厅") and "[负责]" in result.stdout


def test_unknown_department_is_an_error_with_suggestions(warm_kb):
    result = regkb(warm_kb.settings.home, "department", "宣传厅")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "没有找到部门" in result.stderr and "省委宣传部" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(KnowledgeBaseError, match="没有找到部门"):
        warm_kb.department("不存在的委员会")


def test_departments_counts(warm_kb):
    result = regkb(warm_kb.settings.home, "departments", "--json")
    assert result.returncode == 0, result.stderr
    departments = json.loads(result.stdout)["departments"]
    by_name = {d["name"]: d for d in departments}
    registry = warm_kb.departments_registry()
    assert set(by_name) == set(registry.names())
    expected: dict[str, Counter] = {}
    for duty in warm_kb.store.duties():
        for role in ("lead", "responsible", "cooperating"):
            for name in set(getattr(duty, role)):
                expected.setdefault(registry.canonical(name) or name, Counter())[role] += 1
    for name, counts in expected.items():
        assert (by_name[name]["lead"], by_name[name]["responsible"], by_name[name]["cooperating"]) == \
            (counts["lead"], counts["responsible"], counts["cooperating"])
    totals = [d["lead"] + d["responsible"] + d["cooperating"] for d in departments]
    assert totals == sorted(totals, reverse=True)
    assert departments[0]["name"] == "省应急管理厅" and by_name["省交通运输厅"]["aliases"] == ["省交通厅"]


@pytest.mark.slow
def test_export_xlsx_through_the_cli(warm_kb, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "分工.xlsx"
    result = regkb(warm_kb.settings.home, "duties", "--export", str(target), "--json")
    assert result.returncode == 0, result.stderr
    duties = warm_kb.store.duties()
    assert json.loads(result.stdout) == {"path": str(target), "format": "xlsx", "duties": len(duties)}
    sheet = load_workbook(target).active
    rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == EXPORT_HEADER
    assert rows[1:] == expected_rows(duties)
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].alignment.wrap_text and sheet.column_dimensions["A"].width >= 40
    assert [p.name for p in tmp_path.iterdir()] == ["分工.xlsx"]  # no temp file left behind


def test_export_csv(warm_kb, tmp_path):
    target = tmp_path / "duties.csv"
    report = warm_kb.export_duties(target)
    assert report.format == "csv" and report.duties == len(warm_kb.store.duties())
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == EXPORT_HEADER
    assert rows[1:] == expected_rows(warm_kb.store.duties())


@pytest.mark.slow
def test_export_refuses_unknown_formats_and_keeps_the_old_file(warm_kb, tmp_path):
    with pytest.raises(KnowledgeBaseError, match="xlsx"):
        warm_kb.export_duties(tmp_path / "duties.txt")
    assert list(tmp_path.iterdir()) == []
    result = regkb(warm_kb.settings.home, "duties", "--export", str(tmp_path / "missing" / "a.csv"))
    assert result.returncode == 2 and "目录不存在" in result.stderr
    result = regkb(warm_kb.settings.home, "duties")
    assert result.returncode == 2 and "错误" in result.stderr


def test_exact_duties_rank_before_inferred_ones(law_kb, tmp_path):
    """The same task stated in a 分工方案 and read from a plan's prose: the stated one first."""
    store = Store(tmp_path / "regkb.sqlite")
    task = "开展城镇燃气安全专项整治。"
    duties = {
        "a_plan.txt": Duty(task=task, section_path=["一、主要任务"], responsible=["县住房城乡建设局"], inferred=True,
                           source="a_plan.txt", doc_id="plan0000000a"),
        "b_division.txt": Duty(task=task, section_path=["一、主要任务"], lead=["县住房城乡建设局"],
                               source="b_division.txt", doc_id="division000b"),
    }
    with store.transaction():
        for source, duty in duties.items():
            store.put_document(Document(doc_id=duty.doc_id, source=source, content_hash=source), [], [], [duty])
    registry = DepartmentRegistry()
    registry.add("县住房城乡建设局")
    desk = DutyDesk(store, registry, law_kb.tokenizer, lambda: law_kb.embedder, FaissBm25sStorage(tmp_path / "index"))
    matches = desk.search("燃气整治谁负责").matches
    assert [m.source for m in matches] == ["b_division.txt", "a_plan.txt"]
    assert [m.inferred for m in matches] == [False, True]
    tasks = desk.department("住建局").tasks
    assert {(t.role, t.inferred) for t in tasks} == {("lead", False), ("responsible", True)}
