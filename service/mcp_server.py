"""The knowledge base as a Model Context Protocol server, for agents (Claude Desktop, Cursor,
Cline, Dify's MCP tools): eight tools with typed inputs and structured outputs, and the
document list and each document's metadata as resources. ``regkb mcp`` serves it over
stdio; ``regkb serve`` mounts it at ``/mcp`` (streamable HTTP, ``mount_mcp``).

>>> server = build_mcp_server(ServingKnowledgeBase(settings).reading)  # doctest: +SKIP
>>> server.run("stdio")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import Route

from regkb.corpus.models import Authority, Document
from regkb.index.search_index import SearchFilters
from regkb.service.answers.schemas import AskResponse
from regkb.service.http.api_key import KEY_REQUIRED, key_matches
from regkb.service.answers.article_lookup import ArticleText
from regkb.service.duties.schemas import DepartmentResponse, DutiesResponse
from regkb.service.exams.schemas import ExamCheckResponse, ExamSolveResponse
from regkb.service.knowledge_base import KnowledgeBase
from regkb.service.schemas import DocumentsResponse, SearchResponse
from regkb.service.targets.schemas import TargetsResponse
from regkb.service.validation import MAX_QUERY_CHARS, KnowledgeBaseError

Reading = Callable[[], AbstractContextManager[KnowledgeBase]]  # the knowledge base for one call
Result = TypeVar("Result")

MAX_NAME_CHARS = 100
MAX_STEM_CHARS = 500
MAX_BANK_ROWS = 200

Text = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
Name = Annotated[str | None, Field(None, max_length=MAX_NAME_CHARS, description="地区，如 辽宁 / region, e.g. 辽宁")]

INSTRUCTIONS = ("安全生产法规知识库：检索条文、引用作答、查询部门分工与规划目标、解题与核对题库。每个结果都带出处（文件、条号、效力层级）。"
                " / Chinese work-safety regulations: search, cited answers, duties, plan targets, exam questions;"
                " every result carries its citation (source file, article, authority level).")


class ExamRow(BaseModel):
    """One question of a bank, as ``regkb exam`` exports it."""

    type: Literal["single", "multi", "judge", "blank"] | None = Field(None, description="题型 / question type")
    stem: str = Field(min_length=1, max_length=MAX_STEM_CHARS, description="题干 / question stem")
    options: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=10,
                                                                 description="选项 / options, A first")
    answer: str = Field(max_length=100, description="题库答案：字母（AC）、true/false 或填空内容 / the bank's key")


def _call(reading: Reading, work: Callable[[KnowledgeBase], Result]) -> Result:
    """Run ``work`` on the knowledge base; a refusal becomes a tool error the agent can read."""
    try:
        with reading() as kb:
            return work(kb)
    except KnowledgeBaseError as exc:
        raise ToolError(str(exc).splitlines()[0] if str(exc) else "请求无法处理") from exc


def build_mcp_server(reading: Reading) -> MCPServer:
    server = MCPServer("regkb", title="regkb 安全生产法规知识库", instructions=INSTRUCTIONS, version="0.1.0",
                       log_level="WARNING")  # INFO would log every pipeline component of every call

    @server.tool(description="检索安全生产法规条文，返回最相关的段落及出处。/ Search the regulations; returns the best "
                             "passages with source, article and authority level.")
    def search(query: Annotated[Text, Field(description="查询词或问题 / query")],
               k: Annotated[int, Field(ge=1, le=50, description="返回条数 / number of hits")] = 5,
               region: Name = None,
               authority: Annotated[Authority | None, Field(description="效力层级 / authority level")] = None,
               source: Annotated[str | None, Field(max_length=MAX_NAME_CHARS, description="只检索这个文件 / one source file")] = None,
               ) -> SearchResponse:
        filters = SearchFilters(region=region, authority=authority and authority.value, source=source)
        return _call(reading, lambda kb: kb.search(query, k=k, filters=filters))

    @server.tool(description="提问：用条文原文作答并注明出处，无依据时不作答。/ Ask a question: an answer quoted from the "
                             "articles with citations, or an abstention when the corpus has no basis.")
    def ask(question: Annotated[Text, Field(description="问题 / question")], region: Name = None) -> AskResponse:
        return _call(reading, lambda kb: kb.ask(question, region=region))

    @server.tool(description="查询一项任务由哪些部门牵头、负责、配合。/ Which departments lead, are responsible for, "
                             "or cooperate on a task.")
    def duties(task: Annotated[Text, Field(description="任务 / task")],
               k: Annotated[int, Field(ge=1, le=50, description="返回条数 / number of matches")] = 5) -> DutiesResponse:
        return _call(reading, lambda kb: kb.duties(task, k=k))

    @server.tool(description="列出一个部门牵头、负责、配合的全部任务。/ Every task of one department, with its role.")
    def department(name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, description="部门名称 / department")],
                   region: Name = None) -> DepartmentResponse:
        return _call(reading, lambda kb: kb.department(name, region=region))

    @server.tool(description="规划目标：按地区、指标筛选，或跨地区对比一个指标。/ Plan targets, filtered by region or "
                             "indicator, or one indicator compared across regions.")
    def targets(region: Name = None,
                indicator: Annotated[str | None, Field(max_length=MAX_NAME_CHARS, description="指标 / indicator")] = None,
                compare: Annotated[str | None, Field(max_length=MAX_NAME_CHARS,
                                                     description="跨地区对比的指标 / indicator to compare")] = None,
                ) -> TargetsResponse:
        return _call(reading, lambda kb: kb.targets(region=region, indicator=indicator, compare=compare))

    @server.tool(description="依据条文解答一道题（判断、单选、多选、填空）。/ Solve one exam question from the articles.")
    def exam_solve(stem: Annotated[str, Field(min_length=1, max_length=MAX_STEM_CHARS, description="题干 / stem")],
                   options: Annotated[list[Annotated[str, Field(max_length=500)]], Field(
                       max_length=10, description="选项 / options")] = [],  # noqa: B006 (never mutated)
                   type: Annotated[Literal["single", "multi", "judge", "blank"] | None, Field(
                       description="题型，省略时推断 / question type, guessed when left out")] = None,
                   ) -> ExamSolveResponse:
        return _call(reading, lambda kb: kb.solve(stem, options, type))

    @server.tool(description="题库体检：逐题对照条文核对答案。/ Check each question of a bank against the articles.")
    def exam_check(rows: Annotated[list[ExamRow], Field(min_length=1, max_length=MAX_BANK_ROWS,
                                                        description="题目 / questions")]) -> ExamCheckResponse:
        return _call(reading, lambda kb: _check_rows(kb, rows))

    @server.tool(description="按法规名称（全称或简称）和条号取一条条文全文及引用。/ One article's full text and citation, "
                             "by law name (full or short) and article number.")
    def article(law: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, description="法规名称，如 安全生产法 / law")],
                number: Annotated[str, Field(min_length=1, max_length=20,
                                             description="条号：21、二十一 或 第二十一条 / article number")],
                ) -> ArticleText:
        return _call(reading, lambda kb: kb.article(law, number))

    @server.resource("regkb://documents", name="documents", mime_type="application/json",
                     description="已导入的文档列表 / the documents in the knowledge base")
    def documents() -> str:
        listing: DocumentsResponse = _call(reading, lambda kb: kb.documents())
        return listing.model_dump_json()

    @server.resource("regkb://documents/{doc_id}", name="document", mime_type="application/json",
                     description="一篇文档的元数据（标题、效力层级、地区、日期…）/ one document's metadata")
    def document(doc_id: str) -> str:
        found: Document | None = _call(reading, lambda kb: next(
            (d for d in kb.documents().documents if doc_id in (d.doc_id, d.source)), None))
        if found is None:
            raise ResourceNotFoundError(f"没有这个文档：{doc_id[:MAX_NAME_CHARS]}")
        return found.model_dump_json(exclude={"path"})

    return server


def _check_rows(kb: KnowledgeBase, rows: list[ExamRow]) -> ExamCheckResponse:
    """The rows go through the bank reader like an uploaded JSON bank."""
    with tempfile.TemporaryDirectory(prefix="regkb-mcp-bank-") as folder:
        path = Path(folder) / "bank.json"
        path.write_text(json.dumps({"questions": [r.model_dump() for r in rows]}, ensure_ascii=False), encoding="utf-8")
        return kb.check_exam(path, report=False)


class _KeyGuard:
    """Asks for ``REGKB_API_KEY`` (``X-API-Key`` or ``Authorization: Bearer``) before the MCP transport."""

    def __init__(self, app, api_key: str | None):
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope, receive, send):
        if self.api_key and scope["type"] == "http" and not key_matches(Headers(scope=scope), self.api_key):
            response = JSONResponse({"detail": KEY_REQUIRED}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def mount_mcp(routes: list, reading: Reading, api_key: str | None, path: str = "/mcp") -> MCPServer:
    """Add the streamable HTTP transport at ``path`` to ``routes`` (an app's routes); the caller
    runs ``server.session_manager.run()`` in its lifespan. Stateless, JSON responses: any
    worker process can answer any request."""
    server = build_mcp_server(reading)
    # the API key, when set, guards it as it guards the rest of the API; DNS-rebinding checks
    # would refuse every host name but localhost, which a deployment behind a proxy is not
    transport = server.streamable_http_app(streamable_http_path=path, stateless_http=True, json_response=True,
                                           transport_security=TransportSecuritySettings(
                                               enable_dns_rebinding_protection=False))
    endpoint = next(r for r in transport.routes if getattr(r, "path", None) == path)
    routes.append(Route(path, endpoint=_KeyGuard(endpoint.endpoint, api_key)))
    return server


class _LazyServing:
    """The serving copy, loaded on the first tool call: an MCP client expects the handshake at once."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._serving = None

    def reading(self) -> AbstractContextManager[KnowledgeBase]:
        from regkb.service.http.serving import ServingKnowledgeBase

        with self._lock:
            if self._serving is None:
                self._serving = ServingKnowledgeBase(self.settings)
        return self._serving.reading()


def serve_stdio(settings) -> None:
    """``regkb mcp``: the server over stdin/stdout until the client closes it."""
    build_mcp_server(_LazyServing(settings).reading).run("stdio")
