"""Shapes of the exam commands (``regkb exam``, ``exam check``, ``exam solve``): printed by
``--json`` and served by the API, so the two can never disagree."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

QuestionType = Literal["single", "multi", "judge", "blank"]
# outdated: the bank's key matches only a replaced text (a version no longer in force)
Verdict = Literal["agrees", "disagrees", "undecided", "outdated"]

TYPE_NAMES = {"judge": "判断题", "single": "单选题", "multi": "多选题", "blank": "填空题"}


class ExamQuestion(BaseModel):
    """One question with its key and its basis.

    ``options`` are the texts of A, B, C…; ``answer`` is letters for choice questions
    (``"AC"``), ``"true"``/``"false"`` for 判断 and the missing text for 填空.
    """

    type: QuestionType
    stem: str
    options: list[str] = Field(default_factory=list)
    answer: str
    explanation: str
    source: str
    title: str | None = None
    section_path: list[str] = Field(default_factory=list)
    article: str | None = None
    quote: str
    difficulty: Literal["易", "中", "难"] = "中"
    basis: Literal["article", "duty", "target"] = "article"  # what kind of text the question is built on


class ExamResponse(BaseModel):
    questions: list[ExamQuestion]
    path: str | None = None  # the exported file, with --out


class ExamCheckResult(BaseModel):
    row: int  # 1-based, as a trainer counts the questions of the bank
    stem: str
    type: str | None = None
    given: str  # the bank's key
    verdict: Verdict
    corpus_answer: str | None = None  # the key the article implies, when it decides
    source: str | None = None
    title: str | None = None
    article: str | None = None
    quote: str | None = None


class ExamCheckResponse(BaseModel):
    checked: int
    agrees: int = 0
    disagrees: int = 0
    undecided: int = 0
    outdated: int = 0
    results: list[ExamCheckResult]
    report: str | None = None  # the xlsx report written beside the input


class ExamSolveResponse(BaseModel):
    stem: str
    options: list[str] = Field(default_factory=list)
    answer: str | None = None
    decided: bool
    source: str | None = None
    title: str | None = None
    article: str | None = None
    quote: str | None = None
