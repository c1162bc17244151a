"""Automatic checks run on every generated question before a paper is returned.

Each check reads only the question and the corpus, not how the question was made, so the
same checks can be run on any question in the export's shape.

>>> failures(question, corpus)
[]
"""

from __future__ import annotations

import re

from regkb.service.exam_corpus import ExamCorpus, normalise
from regkb.service.exam_facts import one_fact_changed
from regkb.service.exam_generators import BLANK, LETTERS, SLOT
from regkb.service.exam_schemas import ExamQuestion

_PREFIX_RE = re.compile(r"^根据《[^》]+》(?:规定)?[，,]")


def statement_of(stem: str) -> str:
    """A 判断 stem without its "根据《…》，" lead-in."""
    return _PREFIX_RE.sub("", stem.strip())


def failures(question: ExamQuestion, corpus: ExamCorpus) -> list[str]:
    """The checks this question fails (Chinese, one phrase each); empty when it passes."""
    problems = []
    text = corpus.texts.get(question.source)
    if text is None or question.quote not in text:
        problems.append("引文不是出处原文")
    problems += _answer_problems(question)
    if problems:
        return problems
    if question.type in ("single", "multi"):
        problems += _choice_problems(question, corpus)
    elif question.type == "blank":
        if normalise(question.answer) in normalise(question.stem):
            problems.append("题干泄露答案")
    elif question.answer == "false":
        if one_fact_changed(question.quote, statement_of(question.stem)) is None:
            problems.append("错误判断题与原句不是恰好一处事实不同")
        if corpus.states(statement_of(question.stem)):
            problems.append("错误判断题的题干在语料中成立")
    elif normalise(statement_of(question.stem)) != normalise(question.quote):
        problems.append("正确判断题与原句不一致")
    return problems


def _answer_problems(question: ExamQuestion) -> list[str]:
    if question.type == "judge":
        return [] if question.answer in ("true", "false") else ["判断题答案不是 true/false"]
    if question.type == "blank":
        return [] if question.answer and question.answer in question.quote else ["填空答案不在引文中"]
    letters = LETTERS[:len(question.options)]
    if not question.answer or any(ch not in letters for ch in question.answer) or len(set(question.answer)) != len(question.answer):
        return ["答案不在选项中"]
    if question.type == "single" and len(question.answer) != 1:
        return ["单选题答案不止一个"]
    if question.type == "multi" and len(question.answer) < 2:
        return ["多选题答案少于两个"]
    if len({normalise(o) for o in question.options}) != len(question.options):
        return ["选项重复"]
    return []


def _choice_problems(question: ExamQuestion, corpus: ExamCorpus) -> list[str]:
    problems = []
    correct = [question.options[LETTERS.index(ch)] for ch in question.answer]
    wrong = [o for i, o in enumerate(question.options) if LETTERS[i] not in question.answer]
    stem = normalise(question.stem.replace(SLOT, "").replace(BLANK, ""))
    if any(normalise(c) in stem for c in correct):
        problems.append("题干泄露答案")
    quote = normalise(question.quote)
    negative = "不包括" in question.stem
    if "分工：" in question.explanation:
        evidence = question.explanation.split("分工：", 1)[1]
        if any(_named(w, evidence) for w in wrong):
            problems.append("干扰项也承担该任务")
        if not all(_named(c, evidence) for c in correct):
            problems.append("正确选项不在分工原文中")
    elif negative:
        if any(normalise(c) in quote for c in correct) or not all(normalise(w) in quote for w in wrong):
            problems.append("“不包括”题的选项与原文列举不符")
    elif SLOT in question.stem and question.type == "single":
        # a filled-in distractor must not be what some document says
        if any(corpus.states(statement_of(question.stem.replace(SLOT, w))) for w in wrong):
            problems.append("干扰项填入后在语料中成立")
        if normalise(statement_of(question.stem.replace(SLOT, correct[0]))) != quote:
            problems.append("正确选项填入后与引文不符")
    else:
        if any(normalise(w) in quote for w in wrong):
            problems.append("干扰项在引文中成立")
        if not all(normalise(c) in quote for c in correct):
            problems.append("正确选项不在引文中")
    return problems


def _named(department: str, evidence: str) -> bool:
    """Whether a 分工 parenthesis names the department (省应急管理厅 is written 省应急厅 there)."""
    core = re.sub(r"^省|(?:管理)?厅$|局$|委员会$|委$", "", department)
    return bool(core) and core in evidence
