"""The HTTP service: the CLI's operations under ``/api``, the OpenAI-compatible chat routes
under ``/v1``, and the web page at ``/``. Every response body is one of the CLI's pydantic
models; every error is ``{"detail": "<一句中文>"}``.

>>> app = create_app(Settings(home=Path(".regkb")))
>>> # uvicorn.run(app)  — or `regkb serve`

Limits: a request body over its cap is refused from its ``Content-Length`` (or, when the
client streams it, as soon as the cap is passed), never read whole; uploads are checked
by content (``uploads.py``); writes need ``REGKB_API_KEY`` when it is set; CORS is off
unless ``REGKB_CORS_ORIGINS`` names origins.
"""


import logging
import os
import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.concurrency import run_in_threadpool

from regkb.corpus.models import Authority, DocType, Level
from regkb.service.http.api_key import ApiKey, KeyBeforeBody
from regkb.service.answers.schemas import AskResponse
from regkb.service.duties.schemas import DepartmentResponse, DepartmentsResponse, DutiesResponse
from regkb.service.exams.schemas import ExamCheckResponse, ExamResponse, ExamSolveResponse
from regkb.service.http.jobs import IngestJobs, Job, new_job_id
from regkb.service.schemas import DiffResponse, DocumentsResponse, RemoveResponse, SearchResponse, VersionsResponse
from regkb.service.http.serving import ServingKnowledgeBase, WriterBusy
from regkb.service.settings import Settings
from regkb.service.storage_errors import storage_error
from regkb.service.targets.schemas import TargetsResponse
from regkb.service.http.uploads import UploadError, save_upload, save_uploads
from regkb.service.validation import MAX_QUERY_CHARS, KnowledgeBaseError, NotBuiltError
from regkb.index.search_index import SearchFilters

STATIC = Path(__file__).parent / "static"
MAX_NAME_CHARS = 100  # region, department, source and other short names
MAX_UPLOAD_FILES = 20
MAX_JOB_ID_CHARS = 64  # ids are 16 hex digits; a longer one is not looked up (nor made a file name)
MAX_STEM_CHARS = 500  # an exam question; solving costs one search per option, so longer is refused
EXAM_TYPES = ("single", "multi", "judge", "blank")
BANK_SUFFIXES = (".xlsx", ".csv", ".json")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ServiceSettings:
    """The HTTP layer's own settings (the knowledge base's are ``Settings``)."""

    api_key: str | None = None  # required for writes when set
    cors_origins: tuple[str, ...] = ()  # empty: no CORS headers at all
    max_body_bytes: int = 64 << 10  # JSON requests and queries
    max_chat_bytes: int = 1 << 20  # a chat request carries the conversation
    max_upload_bytes: int = 20 << 20  # per uploaded file

    @classmethod
    def from_env(cls) -> "ServiceSettings":
        origins = tuple(o.strip() for o in os.environ.get("REGKB_CORS_ORIGINS", "").split(",") if o.strip())
        upload_mb = int(os.environ.get("REGKB_MAX_UPLOAD_MB", "20"))
        return cls(api_key=os.environ.get("REGKB_API_KEY") or None, cors_origins=origins,
                   max_upload_bytes=upload_mb << 20)


class ErrorResponse(BaseModel):
    detail: str = Field(description="错误说明（中文）")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    documents: int
    generation: int


AS_OF_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="问题")
    region: str | None = Field(None, max_length=MAX_NAME_CHARS, description="地区，如 辽宁")
    as_of: str | None = Field(None, pattern=AS_OF_PATTERN, description="按某日有效的条文作答，YYYY-MM-DD（默认今天）")


class SolveRequest(BaseModel):
    stem: str = Field(min_length=1, max_length=MAX_STEM_CHARS, description="题干")
    options: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=10, description="选项")
    type: Literal["single", "multi", "judge", "blank"] | None = Field(None, description="题型(省略时由题干和选项推断)")


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


ERRORS = {code: {"model": ErrorResponse} for code in (400, 404, 413, 422, 501)}
WRITE_ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 409, 507)}

# Starlette's own messages, said in Chinese
HTTP_MESSAGES = {404: "没有这个地址", 405: "不支持这种请求方法", 413: "请求内容太大", 401: "需要 API 密钥"}
VALIDATION_MESSAGES = {
    "missing": "缺少必填项", "string_too_short": "不能为空", "string_too_long": "太长（最多 {max_length} 字）",
    "int_parsing": "应为整数", "int_type": "应为整数", "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "应不小于 {ge}", "less_than_equal": "应不大于 {le}", "enum": "取值应为 {expected} 之一",
    "literal_error": "取值应为 {expected} 之一", "json_invalid": "不是合法的 JSON", "model_attributes_type": "应为 JSON 对象",
    "too_long": "项数太多（最多 {max_length} 项）", "string_type": "应为字符串", "list_type": "应为列表",
    "float_parsing": "应为数字", "dict_type": "应为 JSON 对象", "model_type": "应为 JSON 对象",
}


def validation_message(exc: RequestValidationError) -> str:
    """The first problem of a request, as one Chinese sentence."""
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        template = VALIDATION_MESSAGES.get(error.get("type", ""), "格式不正确")
        try:
            said = template.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            said = template
        return f"请求参数不正确：{where or '请求体'} {said}"
    return "请求参数不正确"


class BodyLimit:
    """Refuses a body over its cap (413) from the ``Content-Length`` header, or while it streams in."""

    def __init__(self, app, caps: ServiceSettings):
        self.app = app
        self.caps = caps

    def cap_for(self, method: str, path: str) -> int:
        if method == "POST" and path == "/api/documents":
            return MAX_UPLOAD_FILES * self.caps.max_upload_bytes
        if method == "POST" and path == "/api/exam/check":
            return self.caps.max_upload_bytes + self.caps.max_body_bytes  # one file and its multipart wrapping
        if path.startswith("/v1/") or path == "/mcp":  # a conversation, or an agent's bank of questions
            return self.caps.max_chat_bytes
        return self.caps.max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cap = self.cap_for(scope["method"], scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > cap):
            response = JSONResponse({"detail": f"请求内容太大（上限 {cap // 1024} KB）"}, status_code=413)
            return await response(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > cap:
                raise HTTPException(413, f"请求内容太大（上限 {cap // 1024} KB）")
            return message

        return await self.app(scope, limited_receive, send)


def allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        if getattr(route, "methods", None) and route.path_regex.fullmatch(request.url.path):
            methods |= route.methods
    return sorted(methods)


def _install_error_handlers(app: FastAPI) -> None:
    async def knowledge_base_error(request: Request, exc: KnowledgeBaseError):
        status = 501 if isinstance(exc, NotBuiltError) else 409 if isinstance(exc, WriterBusy) else \
            getattr(exc, "status", 400)
        return JSONResponse({"detail": str(exc).splitlines()[0] if str(exc) else "请求无法处理"}, status_code=status)

    async def http_error(request: Request, exc: HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else \
            HTTP_MESSAGES.get(exc.status_code, "请求无法处理")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names only the first route's methods; a path may have several
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)

    async def validation_error(request: Request, exc: RequestValidationError):
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    async def unexpected_error(request: Request, exc: Exception):
        said = storage_error(exc)  # a full disk or a read-only store, met outside the knowledge base
        if said is not None:
            return await knowledge_base_error(request, said)
        logging.getLogger("regkb.service").exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "服务内部错误，请稍后再试或联系管理员"}, status_code=500)

    app.add_exception_handler(Exception, unexpected_error)
    app.add_exception_handler(KnowledgeBaseError, knowledge_base_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def _chinese_error_schema(app: FastAPI) -> None:
    """Validation errors are ``{"detail": "…"}`` here, not FastAPI's list: say so in the schema."""
    default = app.openapi

    def openapi():
        if app.openapi_schema is None:
            schema = default()
            schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
            if "HTTPValidationError" in schema.get("components", {}).get("schemas", {}):
                schema["components"]["schemas"]["HTTPValidationError"] = ErrorResponse.model_json_schema()
        return app.openapi_schema

    app.openapi = openapi


def create_app(settings: Settings | None = None, service: ServiceSettings | None = None) -> FastAPI:
    settings = settings or Settings.from_env(show_progress=False)
    service = service or ServiceSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # the index, the model and the segmenter load once, before the first request
        serving = await run_in_threadpool(ServingKnowledgeBase, settings)
        app.state.serving = serving
        app.state.jobs = IngestJobs(serving)
        app.state.jobs.resume_interrupted()  # uploads a crash left unfinished: never left waiting
        async with app.state.mcp.session_manager.run():  # the MCP transport's task group
            yield
        app.state.jobs.shutdown()
        serving.close()

    app = FastAPI(title="regkb 安全生产法规知识库", version="0.1.0", lifespan=lifespan, responses=ERRORS,
                  description="检索、问答、部门分工、规划目标、组卷与文档管理；另有 OpenAI 兼容的 /v1/chat/completions。")
    _install_error_handlers(app)
    _chinese_error_schema(app)
    key = ApiKey(service.api_key)
    app.add_middleware(BodyLimit, caps=service)
    app.add_middleware(KeyBeforeBody, key=key)  # added last, so it runs first: no body is read without the key
    if service.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(service.cors_origins), allow_methods=["*"],
                           allow_headers=["*"])

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith("/docs"):  # Swagger UI loads its own scripts
            response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
        return response

    def serving(request: Request) -> ServingKnowledgeBase:
        return request.app.state.serving

    require_key = key.require

    Serving = Annotated[ServingKnowledgeBase, Depends(serving)]
    Text = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="问题或查询词")]
    Name = Annotated[str | None, Query(max_length=MAX_NAME_CHARS)]
    AsOf = Annotated[str | None, Query(pattern=AS_OF_PATTERN, description="按某日有效的条文，YYYY-MM-DD（默认今天）")]

    @app.get("/healthz", response_model=Health, tags=["服务"])
    def healthz(kb: Serving) -> Health:
        with kb.reading() as current:
            return Health(documents=len(current.store.documents()),
                          generation=current.store.generation)

    @app.get("/api/search", response_model=SearchResponse, tags=["检索"])
    def search(kb: Serving, q: Text, k: Annotated[int, Query(ge=1, le=200)] = 10,
               mode: Literal["hybrid", "bm25", "dense"] = "hybrid", type: DocType | None = None,
               region: Name = None, level: Level | None = None, source: Name = None,
               authority: Authority | None = None, as_of: AsOf = None):
        filters = SearchFilters(doc_type=type and type.value, region=region, level=level and level.value,
                                source=source, authority=authority and authority.value)
        with kb.reading() as current:
            return current.search(q, k=k, mode=mode, filters=filters, as_of=as_of)

    @app.post("/api/ask", response_model=AskResponse, tags=["问答"])
    def ask(kb: Serving, body: AskRequest):
        with kb.reading() as current:
            return current.ask(body.question, region=body.region, as_of=body.as_of)

    @app.get("/api/versions", response_model=VersionsResponse, tags=["文档"])
    def versions(kb: Serving, title: Text, as_of: AsOf = None):
        with kb.reading() as current:
            return current.versions(title, as_of=as_of)

    @app.get("/api/diff", response_model=DiffResponse, tags=["文档"])
    def diff(kb: Serving, title: Text, old: Name = None, new: Name = None, as_of: AsOf = None):
        with kb.reading() as current:
            return current.diff(title, old, new, as_of=as_of)

    @app.get("/api/chunks/{chunk_id}", response_model=ChunkContext, tags=["检索"])
    def chunk(kb: Serving, chunk_id: str, around: Annotated[int, Query(ge=0, le=5)] = 1):
        with kb.reading() as current:
            found = current.store.chunks_by_id([chunk_id]).get(chunk_id)
            if found is None:
                raise HTTPException(404, f"没有这个文本块：{chunk_id[:MAX_NAME_CHARS]}")
            document = current.store.document(found.doc_id)
            siblings = current.store.chunks(found.doc_id)
        at = next(i for i, c in enumerate(siblings) if c.chunk_id == chunk_id)
        return ChunkContext(chunk_id=chunk_id, doc_id=found.doc_id, source=document.source, title=document.title,
                            section_path=found.section_path, article=found.article, text=found.text,
                            before=[c.text for c in siblings[max(0, at - around):at]],
                            after=[c.text for c in siblings[at + 1:at + 1 + around]])

    @app.get("/api/duties", response_model=DutiesResponse, tags=["部门分工"])
    def duties(kb: Serving, q: Text, k: Annotated[int, Query(ge=1, le=200)] = 5):
        with kb.reading() as current:
            return current.duties(q, k=k)

    @app.get("/api/departments", response_model=DepartmentsResponse, tags=["部门分工"])
    def departments(kb: Serving):
        with kb.reading() as current:
            return current.departments()

    @app.get("/api/departments/{name}", response_model=DepartmentResponse, tags=["部门分工"])
    def department(kb: Serving, name: str, region: Name = None):
        if not name.strip() or len(name) > MAX_NAME_CHARS:
            raise HTTPException(404, f"没有这个部门：{name[:MAX_NAME_CHARS]}")
        with kb.reading() as current:
            try:
                return current.department(name, region=region)
            except NotBuiltError:
                raise
            except KnowledgeBaseError as exc:
                raise HTTPException(404, str(exc)) from exc

    @app.get("/api/targets", response_model=TargetsResponse, tags=["规划目标"])
    def targets(kb: Serving, region: Name = None, indicator: Name = None, compare: Name = None):
        with kb.reading() as current:
            return current.targets(region=region, indicator=indicator, compare=compare)

    @app.get("/api/exam", response_model=ExamResponse, tags=["组卷"],
             responses={200: {"content": {DOCX: {}, XLSX: {}},
                              "description": "试卷（JSON），或 Word / Excel 文件"}})
    def exam(kb: Serving, count: Annotated[int, Query(ge=1, le=100)] = 20,
             types: Annotated[str, Query(max_length=40, description="题型，逗号分隔：single,multi,judge,blank")] =
             "single,multi,judge,blank",
             source: Name = None, topic: Name = None, seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
             format: Literal["json", "docx", "xlsx"] = "json", as_of: AsOf = None):
        wanted = [t.strip() for t in types.split(",") if t.strip()]
        if not wanted or any(t not in EXAM_TYPES for t in wanted):
            raise HTTPException(422, f"题型应为 {'、'.join(EXAM_TYPES)} 中的一个或几个，用逗号分隔")
        with kb.reading() as current:
            paper = current.exam(count=count, types=wanted, source=source, topic=topic, seed=seed, as_of=as_of)
        if format == "json":
            return paper
        return exam_file(paper, format)

    @app.post("/api/exam/solve", response_model=ExamSolveResponse, tags=["组卷"])
    def solve(kb: Serving, body: SolveRequest):
        with kb.reading() as current:
            return current.solve(body.stem, body.options, body.type)

    @app.post("/api/exam/check", response_model=ExamCheckResponse, tags=["组卷"],
              responses={200: {"content": {XLSX: {}}, "description": "体检结果；format=xlsx 时为 Excel 报告"}})
    def check_exam(kb: Serving, file: Annotated[UploadFile, File(description="题库：xlsx、csv 或 JSON")],
                   format: Annotated[Literal["json", "xlsx"], Query(description="json 结果或 xlsx 报告")] = "json",
                   as_of: AsOf = None):
        with tempfile.TemporaryDirectory(prefix="regkb-bank-") as folder:
            path = save_upload(file.file, file.filename or "", Path(folder), service.max_upload_bytes, BANK_SUFFIXES)
            with kb.reading() as current:
                response = current.check_exam(path, report=format == "xlsx", as_of=as_of)
            if format == "json":
                return response
            content = Path(response.report).read_bytes()
        name = quote(f"{Path(file.filename or '题库').stem}.体检.xlsx")
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename=report.xlsx; filename*=UTF-8''{name}"})

    @app.get("/api/documents", response_model=DocumentsResponse, tags=["文档"])
    def documents(kb: Serving, request: Request, as_of: AsOf = None):
        with kb.reading() as current:
            listed = current.documents(as_of=as_of)
        if not key.proven(request.headers):  # where a file lay on the server is for the key holder
            for document in listed.documents:
                document.path = None
        return listed

    @app.post("/api/documents", response_model=Job, status_code=202, tags=["文档"],
              responses=WRITE_ERRORS, dependencies=[Depends(require_key)])
    def upload(request: Request, files: Annotated[list[UploadFile], File(description="txt md docx xlsx pdf html")]):
        if not files or len(files) > MAX_UPLOAD_FILES:
            raise UploadError(f"一次请上传 1 到 {MAX_UPLOAD_FILES} 个文件")
        job_id = new_job_id()
        saved = save_uploads([(f.file, f.filename or "") for f in files], settings.home / "uploads" / job_id,
                             service.max_upload_bytes)
        return request.app.state.jobs.submit(saved, job_id)

    @app.get("/api/jobs/{job_id}", response_model=Job, tags=["文档"])
    def job(request: Request, job_id: str):
        found = request.app.state.jobs.get(job_id) if len(job_id) <= MAX_JOB_ID_CHARS else None
        if found is None:
            raise HTTPException(404, f"没有这个任务：{job_id[:40]}")
        for error in found.report.errors if found.report else ():
            error.path = Path(error.path).name  # the upload folder on the server is no caller's business
        return found

    @app.delete("/api/jobs/{job_id}", response_model=Job, status_code=202, tags=["文档"],
                responses=WRITE_ERRORS, dependencies=[Depends(require_key)])
    def cancel_job(request: Request, job_id: str):
        """Cancel a queued or running ingest: nothing of it is stored; the job ends ``cancelled``."""
        found = request.app.state.jobs.cancel(job_id)
        if found is None:
            raise HTTPException(404, f"没有这个任务：{job_id[:40]}")
        return found

    @app.delete("/api/documents/{doc_id}", response_model=RemoveResponse, tags=["文档"],
                responses=WRITE_ERRORS, dependencies=[Depends(require_key)])
    def remove(kb: Serving, doc_id: str):
        with kb.writing(wait=False) as side:
            if side.store.document(doc_id) is None and side.store.document_by_source(doc_id) is None:
                raise HTTPException(404, f"没有这个文档：{doc_id[:MAX_NAME_CHARS]}")
            return side.remove(doc_id)

    from regkb.service.http.chat import chat_router
    from regkb.service.http.dify import dify_router
    from regkb.service.mcp_server import mount_mcp

    app.include_router(chat_router(serving))
    app.include_router(dify_router(serving, service.api_key))
    app.state.mcp = mount_mcp(app.router.routes, lambda: app.state.serving.reading(), service.api_key)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    return app


def exam_file(paper: ExamResponse, format: str) -> Response:
    """A paper as a Word or Excel download (written by the exam module, read back, sent)."""
    from regkb.service.exams.export import write_paper

    with tempfile.TemporaryDirectory(prefix="regkb-exam-") as folder:
        path = Path(folder) / f"exam.{format}"
        write_paper(paper.questions, path)
        content = path.read_bytes()
    name = quote(f"安全生产试卷.{format}")
    return Response(content, media_type=DOCX if format == "docx" else XLSX,
                    headers={"Content-Disposition": f"attachment; filename=exam.{format}; filename*=UTF-8''{name}"})


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory`` (what ``regkb serve --workers N`` runs in each worker)."""
    return create_app()
