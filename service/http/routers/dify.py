"""Dify's external knowledge API: ``POST /retrieval``, so a Dify knowledge base can be this one.

Dify sends ``Authorization: Bearer <key>`` and ``{"knowledge_id", "query", "retrieval_setting":
{"top_k", "score_threshold"}, "metadata_condition"?}``, and reads ``{"records": [{"content",
"score", "title", "metadata"}]}``. Errors are ``{"error_code", "error_msg"}`` with a non-200
status: 1001 a malformed Authorization header, 1002 a wrong key, 2001 an unknown knowledge id.

``knowledge_id`` ``regkb`` is the whole knowledge base; ``regkb:<authority>`` (``regkb:law``)
one authority level and ``regkb:<region>`` (``regkb:辽宁``) one region's documents. Scores are
calibrated probabilities that a passage holds the answer (``relevance.py``), so Dify's threshold
means the same for every query.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from regkb.corpus.models import AUTHORITY_NAMES, Authority, Document
from regkb.index.search_index import SearchFilters
from regkb.service.http.api_key import same_key
from regkb.service.http.dependencies import Key, Serving
from regkb.service.library.metadata_filter import MetadataCondition, matches
from regkb.service.answers.relevance import CANDIDATES, calibrated_hits
from regkb.service.validation import MAX_QUERY_CHARS

WHOLE_BASE = "regkb"
MAX_TOP_K = 100


class RetrievalSetting(BaseModel):
    top_k: int = Field(ge=1, le=MAX_TOP_K, description="最多返回条数")
    score_threshold: float = Field(0.0, ge=0.0, le=1.0, description="最低相关度（0–1）；0.0 为不限")


class RetrievalRequest(BaseModel):
    knowledge_id: str = Field(min_length=1, max_length=100, description="regkb（全库）、regkb:<效力层级> 或 regkb:<地区>")
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    retrieval_setting: RetrievalSetting
    metadata_condition: MetadataCondition | None = None


class RecordMetadata(BaseModel):
    """Where a passage stands: Dify shows these beside the passage and passes them on."""

    source: str
    doc_id: str
    chunk_id: str
    article: str | None = None
    section_path: list[str] = Field(default_factory=list)
    authority: str | None = None
    authority_name: str | None = Field(None, description="效力层级（中文）")
    region: str | None = None
    doc_type: str | None = None
    date: str | None = None
    citation: str


class RetrievalRecord(BaseModel):
    content: str
    score: float = Field(ge=0.0, le=1.0)
    title: str
    metadata: RecordMetadata


class RetrievalResponse(BaseModel):
    records: list[RetrievalRecord]


class DifyError(BaseModel):
    error_code: Literal[1001, 1002, 2001]
    error_msg: str
    detail: str = Field(description="同 error_msg（本服务其余接口的错误字段）")


class DifyRefusal(Exception):
    def __init__(self, code: int, status: int, message: str):
        super().__init__(message)
        self.code, self.status = code, status


def dify_error(code: int, status: int, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "error_msg": message, "detail": message}, status_code=status)


def check_authorization(header: str | None, api_key: str | None) -> None:
    """Without a configured key any caller is let in; with one, the Bearer value must match it."""
    if not api_key:
        return
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DifyRefusal(1001, 401, "Authorization 请求头格式不正确，应为 “Bearer <API 密钥>”")
    if not same_key(token, api_key):
        raise DifyRefusal(1002, 403, "API 密钥不正确")


def knowledge_filters(knowledge_id: str, documents: list[Document]) -> SearchFilters | None:
    """The filters a knowledge id names (None: the whole base); an unknown id is refused."""
    if knowledge_id == WHOLE_BASE:
        return None
    prefix, _, name = knowledge_id.partition(":")
    if prefix == WHOLE_BASE and name in {a.value for a in Authority}:
        return SearchFilters(authority=name)
    if prefix == WHOLE_BASE and name and any(d.region and name in d.region for d in documents):
        return SearchFilters(region=name)
    raise DifyRefusal(2001, 404, f"没有这个知识库：{knowledge_id}（可用 regkb、regkb:<效力层级>、regkb:<地区>）")


def retrieve(kb, request: RetrievalRequest) -> RetrievalResponse:
    documents = {d.doc_id: d for d in kb.documents().documents}
    filters = knowledge_filters(request.knowledge_id, list(documents.values()))
    condition = request.metadata_condition
    kept = {doc_id for doc_id, d in documents.items() if condition is None or matches(condition, d)}
    if not kept:
        return RetrievalResponse(records=[])
    setting = request.retrieval_setting
    records = []
    for hit, score in calibrated_hits(kb, request.query, filters, depth=CANDIDATES):
        if hit.doc_id not in kept or score < setting.score_threshold or not hit.text.strip():
            continue
        document = documents[hit.doc_id]
        title = hit.title or hit.source
        records.append(RetrievalRecord(content=hit.text, score=score, title=title, metadata=RecordMetadata(
            source=hit.source, doc_id=hit.doc_id, chunk_id=hit.chunk_id, article=hit.article,
            section_path=hit.section_path, authority=hit.authority, authority_name=AUTHORITY_NAMES.get(hit.authority or ""),
            region=hit.region, doc_type=hit.doc_type, date=document.date,
            citation=f"《{title}》{hit.article or ' '.join(hit.section_path[-1:])}")))
        if len(records) == setting.top_k:
            break
    return RetrievalResponse(records=records)


router = APIRouter(tags=["Dify 外部知识库"])


@router.post("/retrieval", response_model=RetrievalResponse,
             responses={401: {"model": DifyError}, 403: {"model": DifyError}, 404: {"model": DifyError}})
async def retrieval(body: RetrievalRequest, kb: Serving, key: Key,
                    authorization: Annotated[str | None, Header(include_in_schema=False)] = None):
    """Dify 外部知识库 API：按 Dify 的请求格式检索，返回带出处的段落与 0–1 的相关度。"""
    def answer() -> RetrievalResponse:
        with kb.reading() as current:
            return retrieve(current, body)

    try:
        check_authorization(authorization, key.key)
        return await run_in_threadpool(answer)
    except DifyRefusal as refusal:
        return dify_error(refusal.code, refusal.status, str(refusal))
