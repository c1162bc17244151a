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


class SearchHit(BaseModel):
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


class SearchResponse(BaseModel):
    query: str
    mode: str
    hits: list[SearchHit]


class DocumentsResponse(BaseModel):
    documents: list[Document]


class RemovedDocument(BaseModel):
    doc_id: str
    source: str
    chunks: int


class RemoveResponse(BaseModel):
    removed: RemovedDocument
