"""Exam papers over the shared ``law_kb`` (安全生产法 and the Liaoning 分工方案): types, the
automatic checks, distractor rules, selection, determinism, exports read back, and the CLI."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from regkb.service.exams.self_check import failures, statement_of
from regkb.service.exams.corpus import strip_punctuation
from regkb.service.exams.export import COLUMNS, citation
from regkb.service.exams.facts import find_facts, number_value, one_fact_changed
from regkb.service.exams.generators import LETTERS
from regkb.service.knowledge_base import KnowledgeBaseError


def regkb(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REGKB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "regkb.service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture(scope="module")
def paper(law_kb):
    return law_kb.exam(count=40, seed=7)


@pytest.fixture(scope="module")
def corpus(law_kb):
    from regkb.service.exams.corpus import ExamCorpus

    return ExamCorpus.from_store(law_kb.store, law_kb.departments_registry())


def source_text(law_kb, source: str) -> str:
    document = law_kb.store.document_by_source(source)
    return "\n".join(c.text for c in law_kb.store.chunks(document.doc_id))


# --- facts -------------------------------------------------------------------------------

def test_facts_and_one_fact_changed():
    facts = find_facts("生产经营单位应当在三十日内报县级以上地方人民政府备案")
    assert [(f.kind, f.text) for f in facts] == [("actor", "生产经营单位"), ("modal", "应当"), ("number", "三十日"),
                                                 ("government", "县级以上地方人民政府")]
    assert number_value("三十日") == 30 and number_value("二十四小时") == 24 and number_value("10万元") == 100000
    assert one_fact_changed("单位应当在三十日内备案", "单位应当在十五日内备案").kind == "number"
    assert one_fact_changed("单位应当定期检验", "单位应当不定期检验").kind == "negation"
    assert one_fact_changed("单位应当在三十日内备案", "单位可以在十五日内备案") is None  # two facts
    assert one_fact_changed("单位应当在三十日内备案", "单位应当在30日内备案") is None  # the same fact


# --- papers ------------------------------------------------------------------------------

def test_paper_mixes_all_four_types_evenly(paper):
    counts = {kind: sum(q.type == kind for q in paper.questions) for kind in ("judge", "single", "multi", "blank")}
    assert len(paper.questions) == 40
    assert counts == {"judge": 10, "single": 10, "multi": 10, "blank": 10}


def test_every_question_passes_the_checks_and_quotes_its_source(law_kb, paper, corpus):
    for question in paper.questions:
        assert failures(question, corpus) == [], question
        assert question.quote in source_text(law_kb, question.source)
        assert question.quote in question.explanation
        assert question.difficulty in ("易", "中", "难")
        if question.type in ("single", "multi"):
            assert question.answer and all(ch in LETTERS[:len(question.options)] for ch in question.answer)
            assert len(question.answer) == 1 if question.type == "single" else len(question.answer) >= 2
        if question.type == "blank":
            assert question.answer in question.quote and question.answer not in question.stem


def test_no_two_questions_on_one_sentence(paper):
    quotes = [q.quote for q in paper.questions]
    assert len(set(quotes)) == len(quotes)


def test_judge_statements_are_the_article_or_one_fact_off(law_kb, paper):
    judges = [q for q in paper.questions if q.type == "judge"]
    assert {q.answer for q in judges} == {"true", "false"}
    for question in judges:
        statement = statement_of(question.stem)
        said = strip_punctuation(statement) in strip_punctuation(source_text(law_kb, question.source))
        assert said == (question.answer == "true"), question.stem
        if question.answer == "false":
            change = one_fact_changed(question.quote, statement)
            assert change is not None and change.original in question.explanation and change.changed in question.explanation


def test_distractors_are_never_true(law_kb, paper):
    duties = {d.task: d for d in law_kb.store.duties()}
    for question in (q for q in paper.questions if q.type in ("single", "multi")):
        wrong = [o for i, o in enumerate(question.options) if LETTERS[i] not in question.answer]
        right = [question.options[LETTERS.index(ch)] for ch in question.answer]
        # who leads or shares a task (a target's sentence may be a task too): no department of the task is wrong
        if question.quote in duties and question.basis != "target":
            duty = duties[question.quote]
            assert not set(wrong) & set(duty.lead + duty.responsible + duty.cooperating)
            assert set(right) <= set(duty.lead + duty.responsible + duty.cooperating)
        elif "不包括" in question.stem:  # the one outsider is not in the list, the others are
            assert all(strip_punctuation(o) not in strip_punctuation(question.quote) for o in right)
            assert all(strip_punctuation(o) in strip_punctuation(question.quote) for o in wrong)
        elif question.type == "multi":
            assert all(strip_punctuation(o) in strip_punctuation(question.quote) for o in right)
            assert all(strip_punctuation(o) not in strip_punctuation(question.quote) for o in wrong)
        else:  # a blank filled with a distractor is not what the law says
            text = strip_punctuation(source_text(law_kb, question.source))
            assert all(strip_punctuation(statement_of(question.stem.replace("（  ）", o))) not in text for o in wrong)


def test_papers_are_deterministic_per_seed(law_kb, paper):
    again = law_kb.exam(count=40, seed=7)
    other = law_kb.exam(count=40, seed=8)
    assert [q.model_dump() for q in again.questions] == [q.model_dump() for q in paper.questions]
    assert [q.stem for q in other.questions] != [q.stem for q in paper.questions]


def test_selection_by_type_source_and_topic(law_kb):
    judges = law_kb.exam(count=6, types="judge,blank", seed=1).questions
    assert {q.type for q in judges} == {"judge", "blank"}
    law_only = law_kb.exam(count=12, source="安全生产法", seed=1).questions
    assert law_only and {q.source for q in law_only} == {"安全生产法(2021-06-10).md"}
    plan_only = law_kb.exam(count=6, source="分工方案", seed=1).questions
    assert {q.source for q in plan_only} == {"004_36275ac223ca7fcd.txt"}
    assert all(q.type in ("single", "multi") or q.basis == "target" for q in plan_only)  # no articles in a plan
    topical = law_kb.exam(count=8, topic="应急救援预案", seed=1).questions
    hits = {(h.source, h.article) for h in law_kb.search("应急救援预案", k=30).hits}
    assert all("应急救援预案" in q.quote or (q.source, q.article) in hits for q in topical)


def test_bad_requests_are_refused_in_chinese(law_kb):
    with pytest.raises(KnowledgeBaseError, match="题目数量"):
        law_kb.exam(count=0)
    with pytest.raises(KnowledgeBaseError, match="未知题型.*single,multi,judge,blank"):
        law_kb.exam(types="essay")
    with pytest.raises(KnowledgeBaseError, match="没有找到可以出题"):
        law_kb.exam(source="不存在的法规")


# --- exports -----------------------------------------------------------------------------

def test_docx_export_reads_back_as_a_paper(law_kb, paper, tmp_path):
    from docx import Document

    path = tmp_path / "试卷.docx"
    assert law_kb.exam(count=40, seed=7, out=path).path == str(path)
    text = [p.text for p in Document(str(path)).paragraphs]
    sections = [t for t in text if t[:2] in ("一、", "二、", "三、", "四、")]
    assert [s[2:5] for s in sections] == ["判断题", "单选题", "多选题", "填空题"]
    key_start = text.index("参考答案与解析")
    numbered = [t for t in text[:key_start] if t.split(".")[0].isdigit()]
    assert len(numbered) == len(paper.questions)
    key = "\n".join(text[key_start:])
    for number, question in enumerate(paper.questions, start=1):  # the paper keeps judge, single, multi, blank order
        assert f"{number}. 答案：" in key and citation(question) in key
    assert not list(tmp_path.glob(".*"))  # no temp file left behind


def test_xlsx_export_has_the_platform_columns(law_kb, paper, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "题库.xlsx"
    law_kb.exam(count=40, seed=7, out=path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    assert len(rows) == len(paper.questions) + 1
    for row, question in zip(rows[1:], paper.questions):
        assert row[1] == question.stem
        assert [o for o in row[2:8] if o] == question.options
        assert row[8] == {"true": "正确", "false": "错误"}.get(question.answer, question.answer)
        assert question.quote in row[9]


# --- CLI ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_cli_exam_json_text_and_file(law_kb, tmp_path):
    home = law_kb.settings.home
    result = regkb(home, "exam", "--count", "8", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert len(payload["questions"]) == 8
    assert payload["questions"] == [q.model_dump(mode="json") for q in law_kb.exam(count=8, seed=3).questions]
    out = tmp_path / "卷.xlsx"
    result = regkb(home, "exam", "--count", "4", "--out", str(out))
    assert result.returncode == 0 and out.exists() and "已生成 4 道题" in result.stdout
    result = regkb(home, "exam", "--format", "docx", "--out", str(tmp_path / "卷.xlsx"))
    assert result.returncode == 2 and "扩展名不一致" in result.stderr


# --- plan targets ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plan_paper(law_kb):
    return law_kb.exam(count=12, source="分工方案", types="judge,single,blank", seed=5)


def target_of(law_kb, question):
    """The stored target a question is built on: its quote holds the question's quote."""
    found = [t for t in law_kb.store.targets() if t.source == question.source and question.quote in t.quote]
    assert found, question.quote
    return found


def test_target_questions_key_the_targets_value_with_same_unit_distractors(law_kb, plan_paper, corpus):
    targets = [q for q in plan_paper.questions if q.basis == "target"]
    assert {q.type for q in targets} == {"judge", "single", "blank"}
    values = {float(t.value) for t in law_kb.store.targets()}
    for question in targets:
        assert failures(question, corpus) == [], question
        stored = target_of(law_kb, question)
        keyed = [f"{t.value}{t.unit or ''}" for t in stored]
        assert question.quote in source_text(law_kb, question.source)
        assert question.title in question.explanation and " › ".join(question.section_path) in question.explanation
        if question.type == "single":
            key = question.options[LETTERS.index(question.answer)]
            target = stored[keyed.index(key)]
            unit = key.removeprefix(target.value)
            for option in question.options:
                if option != key:
                    assert number_value(option) != float(target.value) and number_value(option) in values
                    assert re.sub(r"^[\d.]+", "", option) == unit, option
        elif question.type == "blank":
            assert question.answer in keyed and question.answer not in question.stem
        elif question.answer == "false":  # one fact off: the value or the deadline
            change = one_fact_changed(question.quote, statement_of(question.stem).rstrip("。"))
            assert change is not None and change.kind == "number"
        else:
            assert strip_punctuation(statement_of(question.stem)) == strip_punctuation(question.quote)


def test_target_questions_are_in_a_default_paper_and_deterministic(law_kb):
    first = law_kb.exam(count=60, seed=11)
    again = law_kb.exam(count=60, seed=11)
    assert any(q.basis == "target" for q in first.questions)
    assert [q.model_dump() for q in again.questions] == [q.model_dump() for q in first.questions]
    balanced = {kind: sum(q.type == kind for q in first.questions) for kind in ("judge", "single", "multi", "blank")}
    assert set(balanced.values()) == {15}


def test_target_distractors_skip_the_true_value_and_same_indicator_targets():
    """Another region's 死亡人数 target and the same plan's 降幅 row are no distractors: a trainee
    who knows either would be marked wrong for the right indicator."""
    from regkb.corpus.models import Target
    from regkb.service.exams.corpus import ExamCorpus, Place, TargetStatement
    from regkb.service.exams.generators import target_single

    def statement(doc: str, indicator: str, value: str, direction: str = "down", unit: str = "%") -> TargetStatement:
        text = f"{indicator}下降{value}{unit}"
        target = Target(indicator=indicator, value=value, unit=unit, direction=direction, quote=text + "。",
                        source=f"{doc}.txt", doc_id=doc, deadline="2025")
        start = text.index(value + unit)
        return TargetStatement(target, text, start, start + len(value + unit),
                               Place(doc, f"{doc}.txt", f"{doc}规划", ("一、规划目标",), None))

    own = statement("甲", "生产安全事故死亡人数", "15")
    pool = [own, statement("甲", "生产安全事故死亡人数降幅", "12"), statement("乙", "死亡人数", "10"),
            statement("乙", "较大事故起数", "15"), statement("乙", "煤矿百万吨死亡率", "20"),
            statement("丙", "道路交通万车死亡率", "25"), statement("丙", "火灾亡人数", "30", direction="at_most"),
            statement("丙", "工矿商贸事故起数", "8"), statement("丙", "安全培训覆盖率", "5", unit="个")]
    corpus = ExamCorpus([], [], [], {}, {}, [], targets=pool)
    assert corpus.target_values(own) == ["20%", "25%", "8%"]  # nearest first; 12, 10, 15, 30 and 5个 never
    pool.append(statement("丙", "尾矿库数量", "40"))
    question = target_single(own, ExamCorpus([], [], [], {}, {}, [], targets=pool), random.Random(0))
    key = question.options[LETTERS.index(question.answer)]
    assert key == "15%" and set(question.options) - {key} <= {"20%", "25%", "8%", "40%"}


def test_target_questions_follow_the_topic(law_kb):
    """A plan is one 'article' to the search, so a target is on the topic only when it says the
    topic or a hit holds it, not whenever its plan is among the hits."""
    # papers of a few seeds: whether one paper of 9 draws a target at all is the draw's luck
    questions = [q for seed in range(4)
                 for q in law_kb.exam(count=9, topic="消防", types="judge,single,blank", seed=seed).questions]
    hits = law_kb.search("消防", k=30).hits
    targets = [q for q in questions if q.basis == "target"]
    assert targets
    for question in targets:
        said = any("消防" in t.quote + "".join(t.section_path) for t in target_of(law_kb, question))
        assert said or any(question.quote in h.text for h in hits), question.quote


def test_checks_refuse_target_questions_off_the_rules(corpus):
    from regkb.service.exams.generators import target_judge, target_single

    statement = next(t for t in corpus.targets if t.value_text == "15%")
    single = target_single(statement, corpus, random.Random(0))
    judge = target_judge(statement, corpus, random.Random(0), false=True)
    assert failures(single, corpus) == [] and failures(judge, corpus) == []
    wrong = next(i for i, o in enumerate(single.options) if LETTERS[i] != single.answer)
    for bad in ("15.0%", "15个", "99%"):  # the true value again, another unit, no target's value
        options = [bad if i == wrong else o for i, o in enumerate(single.options)]
        assert failures(single.model_copy(update={"options": options}), corpus), bad
    stem = judge.stem.replace(one_fact_changed(judge.quote, statement_of(judge.stem).rstrip("。")).changed, "99%")
    assert "改动后的值不是其他规划目标的值或时限" in failures(judge.model_copy(update={"stem": stem}), corpus)
