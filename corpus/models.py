"""The data model: documents, their section tree, chunks, duties and targets.

Defined once here; ingest produces these, the store persists them, the index and the
service read them. pydantic models so that the same classes validate input and
serialise to the CLI's ``--json`` and the HTTP API.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from regkb.corpus.kinds import AUTHORITY_NAMES, Authority, DocType, Level  # noqa: F401  (the model's vocabulary, imported from here too)


class DocumentMeta(BaseModel):
    """What is known about a document besides its text; anything not found stays None."""

    model_config = ConfigDict(use_enum_values=True)

    title: str | None = None
    doc_type: DocType | None = None
    issuer: str | None = None
    doc_number: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd, or yyyy-mm / yyyy when that is all there is
    region: str | None = None
    level: Level | None = None
    authority: Authority | None = None
    effective: str | None = None  # ISO date this version takes effect (its 施行 date, else ``date``)
    repealed: bool | None = None  # 已废止, as given at ingest


class Document(DocumentMeta):
    doc_id: str
    source: str  # the ingested file's name, e.g. 004_36275ac223ca7fcd.txt
    content_hash: str
    path: str | None = None  # where the file was ingested from
    chunks: int = 0


def doc_id_for(source: str) -> str:
    """A document's id follows its file name, so a changed file replaces its old rows."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


BlockKind = Literal["paragraph", "article", "item", "table_row"]


class Block(BaseModel):
    """One unit of body text in reading order, with the headings above it.

    A law article's 款 are separate ``article`` blocks sharing the same ``article``
    label; its 项 (``（一）…``) are ``item`` blocks. A table row is one ``table_row``
    block whose text already carries the column headers.
    """

    text: str
    kind: BlockKind = "paragraph"
    section_path: list[str] = Field(default_factory=list)
    article: str | None = None  # e.g. 第二十一条
    page: int | None = None
    cells: list[str] | None = None  # raw cells of a table row
    header: list[str] | None = None  # the table's header cells, for a table row


class Section(BaseModel):
    """A heading in the document's section tree; ``path`` runs from the top down to it."""

    seq: int
    heading: str
    kind: str  # chapter, section, article, part, subpart, item, column, clause, table
    depth: int
    path: list[str]
    parent_seq: int | None = None


class Table(BaseModel):
    """A table as read from the file: rows of cell texts, first row the header."""

    rows: list[list[str]]
    section_path: list[str] = Field(default_factory=list)
    page: int | None = None


class ParsedDocument(BaseModel):
    """A file after reading, cleaning and structure recognition; input to chunking."""

    source: str
    content_hash: str
    meta: DocumentMeta
    sections: list[Section]
    blocks: list[Block]
    tables: list[Table] = Field(default_factory=list)


class Chunk(BaseModel):
    chunk_id: str  # "{doc_id}:{seq:05d}"
    doc_id: str
    seq: int
    text: str
    section_path: list[str] = Field(default_factory=list)
    article: str | None = None
    page: int | None = None
    kind: Literal["text", "table"] = "text"


DutyRole = Literal["lead", "responsible", "cooperating"]


class Duty(BaseModel):
    """Who leads, is responsible for and cooperates on one task.

    Exact duties come from a division-of-labour parenthesis or table; duties read from
    prose (``建设部门要牵头…``) are ``inferred`` and carry the sentence as ``evidence``.
    """

    task: str
    section_path: list[str] = Field(default_factory=list)
    lead: list[str] = Field(default_factory=list)
    responsible: list[str] = Field(default_factory=list)
    cooperating: list[str] = Field(default_factory=list)
    deadline: str | None = None
    evidence: str = ""  # the verbatim parenthesis, table row or sentence
    inferred: bool = False
    source: str = ""
    doc_id: str = ""


TargetDirection = Literal["down", "up", "at_most", "at_least", "reach"]
TargetKind = Literal["table", "column", "prose"]
DIRECTION_NAMES = {"down": "下降", "up": "提高", "at_most": "不超过", "at_least": "不低于", "reach": "达到"}


class Target(BaseModel):
    """A quantified goal of a plan (e.g. 生产安全事故死亡人数下降15%).

    ``value`` is the number as written (``"15"``), ``unit`` what follows it (``%``, ``个``);
    ``deadline`` a year; ``kind`` where it was read: an indicator table, a 专栏 box or prose.
    ``quote`` is verbatim from the document (the sentence, or the table row as chunked).
    """

    model_config = ConfigDict(use_enum_values=True)

    indicator: str
    value: str | None = None
    unit: str | None = None
    direction: TargetDirection | None = None
    baseline: str | None = None
    baseline_year: str | None = None
    deadline: str | None = None
    nature: str | None = None  # 约束性 / 预期性
    region: str | None = None
    level: Level | None = None
    source: str = ""
    quote: str = ""
    section_path: list[str] = Field(default_factory=list)
    doc_id: str = ""
    kind: TargetKind = "prose"
