"""The contract's shapes: pydantic models printed by ``--json`` and served by the API.

One model per answer, so the CLI and the HTTP service can never disagree.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from regkb.corpus.models import Document


class IngestErrorItem(BaseModel):
    path: str
    error: str


class IngestReport(BaseModel):
    documents: int = 0  # documents in the store after the ingest
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0  # chunks written by this ingest
    duties: int = 0
    targets: int = 0
    errors: list[IngestErrorItem] = Field(default_factory=list)
    embedded: int = 0  # texts that needed the embedding model (the rest came from the cache)
    seconds: float = 0.0
    embed_seconds: float = 0.0  # the embedding model's share of ``seconds``


class StatusFields(BaseModel):
    """时效性 of the document a passage is from, on the day asked (see ``corpus/validity.py``)."""

    status: str | None = None  # in_force, amended, not_yet_effective, repealed
    status_name: str | None = None  # 现行有效, 已被修订, 尚未生效, 已废止


class LocalCopy(BaseModel):
    """An article of another document that restates a hit, folded under it: a local one (各地规定), or a
    national text of lower standing that repeats it word for word."""

    chunk_id: str
    doc_id: str
    source: str
    title: str | None = None
    authority: str | None = None
    region: str | None = None
    article: str | None = None
    text: str
    score: float


class SearchHit(StatusFields):
    chunk_id: str
    doc_id: str
    source: str
    title: str | None
    doc_type: str | None
    authority: str | None = None  # 效力层级: law, administrative_regulation, … (see corpus.models.Authority)
    region: str | None = None
    section_path: list[str]
    article: str | None
    text: str
    score: float
    page: int | None = None
    local_copies: list[LocalCopy] = Field(default_factory=list)  # 各地规定 (and national copies) that restate this article


class SearchResponse(BaseModel):
    query: str
    mode: str
    hits: list[SearchHit]


class ChunkContext(BaseModel):
    """A chunk with the text around it in its document, for a citation opened on the page."""

    chunk_id: str
    doc_id: str
    source: str
    title: str | None
    section_path: list[str]
    article: str | None
    text: str
    before: list[str]
    after: list[str]


class DocumentEntry(Document, StatusFields):
    pass


class DocumentsResponse(BaseModel):
    documents: list[DocumentEntry]


class VersionEntry(StatusFields):
    doc_id: str
    source: str
    title: str | None = None
    date: str | None = None  # the version's date (of its adoption or last amendment)
    effective: str | None = None  # the day it takes effect


class VersionsResponse(BaseModel):
    title: str
    as_of: str
    versions: list[VersionEntry]


class ArticleChange(BaseModel):
    change: str  # changed, added, removed, renumbered
    old_article: str | None = None
    new_article: str | None = None
    old_text: str | None = None
    new_text: str | None = None


class DiffResponse(BaseModel):
    title: str
    old: VersionEntry
    new: VersionEntry
    articles: list[ArticleChange]
    unchanged: int = 0  # articles the same in both, number and text


class RemovedDocument(BaseModel):
    doc_id: str
    source: str
    chunks: int


class RemoveResponse(BaseModel):
    removed: RemovedDocument
