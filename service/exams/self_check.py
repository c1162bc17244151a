"""Automatic checks run on every generated question before a paper is returned.

Each check reads only the question and the corpus, not how the question was made, so the
same checks can be run on any question in the export's shape.

>>> corpus = ExamCorpus([], [], [], {}, {"安全生产法.md": "生产经营单位应当建立安全生产责任制。"}, [])
>>> question = ExamQuestion(type="blank", stem="生产经营单位应当建立安全生产________。", answer="责任制",
...                         explanation="", source="安全生产法.md", quote="生产经营单位应当建立安全生产责任制。")
>>> failures(question, corpus)
[]
>>> failures(question.model_copy(update={"answer": "制度"}), corpus)
['填空答案不在引文中']
"""

from __future__ import annotations

import re

from regkb.service.exams.corpus import ExamCorpus, strip_punctuation
from regkb.service.exams.facts import one_fact_changed
from regkb.service.exams.generators import BLANK, LETTERS, SLOT
from regkb.service.exams.schemas import ExamQuestion

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
    if question.basis == "target":
        problems += _target_problems(question, corpus)
        if problems or any(t.table for t in corpus.target_statement(question.source, question.quote)):
            return problems  # a table row's stem is written from its cells, not cut from the quote
    if question.type in ("single", "multi"):
        problems += _choice_problems(question, corpus)
    elif question.type == "blank":
        if strip_punctuation(question.answer) in strip_punctuation(question.stem):
            problems.append("题干泄露答案")
    elif question.answer == "false":
        # a target's statement is a clause of its sentence: the stem closes it with 。, the quote does not
        if one_fact_changed(question.quote.rstrip("。"), statement_of(question.stem).rstrip("。")) is None:
            problems.append("错误判断题与原句不是恰好一处事实不同")
        if corpus.states(statement_of(question.stem)):
            problems.append("错误判断题的题干在语料中成立")
    elif strip_punctuation(statement_of(question.stem)) != strip_punctuation(question.quote):
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
    if len({strip_punctuation(o) for o in question.options}) != len(question.options):
        return ["选项重复"]
    return []


def _choice_problems(question: ExamQuestion, corpus: ExamCorpus) -> list[str]:
    problems = []
    correct = [question.options[LETTERS.index(ch)] for ch in question.answer]
    wrong = [o for i, o in enumerate(question.options) if LETTERS[i] not in question.answer]
    stem = strip_punctuation(question.stem.replace(SLOT, "").replace(BLANK, ""))
    if any(strip_punctuation(c) in stem for c in correct):
        problems.append("题干泄露答案")
    quote = strip_punctuation(question.quote)
    negative = "不包括" in question.stem
    if "分工：" in question.explanation:
        evidence = question.explanation.split("分工：", 1)[1]
        if any(_named(w, evidence) for w in wrong):
            problems.append("干扰项也承担该任务")
        if not all(_named(c, evidence) for c in correct):
            problems.append("正确选项不在分工原文中")
    elif negative:
        if any(strip_punctuation(c) in quote for c in correct) or not all(strip_punctuation(w) in quote for w in wrong):
            problems.append("“不包括”题的选项与原文列举不符")
    elif SLOT in question.stem and question.type == "single":
        # a filled-in distractor must not be what some document says
        if any(corpus.states(statement_of(question.stem.replace(SLOT, w))) for w in wrong):
            problems.append("干扰项填入后在语料中成立")
        if strip_punctuation(statement_of(question.stem.replace(SLOT, correct[0]))) != quote:
            problems.append("正确选项填入后与引文不符")
    else:
        if any(strip_punctuation(w) in quote for w in wrong):
            problems.append("干扰项在引文中成立")
        if not all(strip_punctuation(c) in quote for c in correct):
            problems.append("正确选项不在引文中")
    return problems


def _target_problems(question: ExamQuestion, corpus: ExamCorpus) -> list[str]:
    """A target's key is its value as its plan writes it; a distractor has the key's unit and is
    not the value of this or any same-indicator target (``target_values`` is that pool)."""
    statements = corpus.target_statement(question.source, question.quote)
    if not statements:
        return ["引文不是规划目标原文"]
    if question.type == "judge":
        return _target_judge_problems(question, statements, corpus)
    key = question.options[LETTERS.index(question.answer)] if question.type == "single" else question.answer
    statement = next((t for t in statements if t.value_text == key), None)
    if statement is None:
        return ["答案不是规划目标的值"]
    if strip_punctuation(key) in strip_punctuation(question.stem.replace(SLOT, "").replace(BLANK, "")):
        return ["题干泄露答案"]
    pool = corpus.target_values(statement)
    if any(o not in pool for o in question.options if o != key):
        return ["干扰项不是同单位、同方向的其他目标值"]
    return []


def _target_judge_problems(question: ExamQuestion, statements: list, corpus: ExamCorpus) -> list[str]:
    """A false target 判断 swaps its value for another target's (same unit and direction, not a
    same-indicator one) or its deadline for another target's."""
    change = one_fact_changed(question.quote.rstrip("。"), statement_of(question.stem).rstrip("。"))
    if question.answer != "false" or change is None:
        return []  # a true one, or one the one-fact check below turns down
    allowed = {v for t in statements if t.value_text == change.original for v in corpus.target_values(t)}
    allowed |= {f"{y}年" for t in statements for y in corpus.target_deadlines(t)}
    return [] if change.changed in allowed else ["改动后的值不是其他规划目标的值或时限"]


def _named(department: str, evidence: str) -> bool:
    """Whether a 分工 parenthesis names the department (省应急管理厅 is written 省应急厅 there)."""
    core = re.sub(r"^省|(?:管理)?厅$|局$|委员会$|委$", "", department)
    return bool(core) and core in evidence
