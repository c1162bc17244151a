"""The contract's shapes for ``regkb ask``: printed by ``--json`` and served by the HTTP API
(``/api/ask``), so the two can never disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from regkb.corpus.models import Target
from regkb.service.duties.schemas import DutyMatch
from regkb.service.schemas import StatusFields

AnswerKind = Literal["passage", "duty", "target", "department", "none"]
Confidence = Literal["high", "medium", "none"]


class Citation(StatusFields):
    """Where a quote comes from. ``quote`` is verbatim inside the chunk ``chunk_id``."""

    source: str
    title: str | None = None
    authority: str | None = None  # 效力层级 (law, administrative_regulation, …)
    authority_name: str | None = None  # the same in Chinese (法律, 行政法规, …)
    region: str | None = None
    section_path: list[str] = Field(default_factory=list)
    article: str | None = None  # 第二十一条
    paragraph: str | None = None  # 款: 第一款
    item: str | None = None  # 项: 第（三）项
    quote: str
    chunk_id: str | None = None
    score: float = 0.0


class RelatedPassage(StatusFields):
    """A passage near the question that is not offered as its answer."""

    source: str
    title: str | None = None
    authority: str | None = None
    region: str | None = None
    section_path: list[str] = Field(default_factory=list)
    article: str | None = None
    text: str
    chunk_id: str | None = None
    score: float = 0.0


class WriterReport(BaseModel):
    """What the optional generator did: ``used`` when its rephrasing was kept."""

    model: str
    used: bool
    fallback_reason: str | None = None
    unsupported: list[str] = Field(default_factory=list)  # sentences no quote supports


class ReadAs(BaseModel):
    """How the last user message was read: as written, or completed from earlier turns."""

    question: str  # the last user message as sent
    read_as: str  # what was asked of the knowledge base
    completed: bool  # true when earlier turns filled in what it left out
    carried: list[str] = Field(default_factory=list)  # which parts came from earlier turns: law, article, region, topic


class AskResponse(BaseModel):
    question: str
    kind: AnswerKind
    answer: str
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    related: list[RelatedPassage] = Field(default_factory=list)
    duties: list[DutyMatch] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    route: AnswerKind = "passage"  # where the question was sent (``kind`` is "none" when it abstained)
    evidence: float = 0.0  # the best quote's support, compared with the abstention threshold
    # high: answered; medium: answered, with the phrase that asks the reader to check it against
    # their case; none: abstained
    confidence: Confidence = "none"
    support: float | None = None  # a passage answer's support: in scope, and a quote is the passage that answers
    region: str | None = None
    extractive_answer: str | None = None  # the quotes-only answer, when a writer rephrased it
    writer: WriterReport | None = None
    reading: ReadAs | None = None  # how a follow-up was read from the conversation's earlier questions
