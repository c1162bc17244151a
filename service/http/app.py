"""The HTTP service: the CLI's operations under ``/api``, the OpenAI-compatible chat routes
under ``/v1``, Dify's ``/retrieval``, MCP at ``/mcp`` and the web page at ``/``. Every response
body is one of the CLI's pydantic models; every error is ``{"detail": "<一句中文>"}``.

This module only builds the app: middleware, error handlers (a refusal of the knowledge base
becomes its status in ``error_status``: not found 404, not built 501 …), the routers of
``routers/`` (one per resource, each calling the ``KnowledgeBase`` facade through the serving
copy of ``dependencies.py``), the MCP mount and the static page.

>>> app = create_app(Settings(home=Path(".regkb")))
>>> # uvicorn.run(app)  — or `regkb serve`

Limits: a request body over its cap is refused from its ``Content-Length`` (or, when the
client streams it, as soon as the cap is passed), never read whole; uploads are checked
by content (``uploads.py``); writes need ``REGKB_API_KEY`` when it is set; CORS is off
unless ``REGKB_CORS_ORIGINS`` names origins.
"""


import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from regkb.service.http.api_key import ApiKey, KeyBeforeBody
from regkb.service.http.dependencies import MAX_UPLOAD_FILES, ErrorResponse, ServiceSettings, require_key
from regkb.service.http.jobs import IngestJobs
from regkb.service.http.routers import ask, chat, dify, documents, duties, exams, health, jobs, search, targets
from regkb.service.http.serving import ServingKnowledgeBase, WriterBusy
from regkb.service.settings import Settings
from regkb.service.storage_errors import storage_error
from regkb.service.validation import KnowledgeBaseError, NotBuiltError, NotFoundError

STATIC = Path(__file__).parent / "static"
ROUTERS = (health, search, ask, documents, duties, targets, exams, jobs, chat, dify)
ERRORS = {code: {"model": ErrorResponse} for code in (400, 404, 413, 422, 501)}

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
    for route in iter_route_contexts(request.app.router.routes):  # the routers' routes too
        if route.methods and route.path_regex.fullmatch(request.url.path):
            methods |= route.methods
    return sorted(methods)


def error_status(exc: KnowledgeBaseError) -> int:
    """The one place a refusal of the knowledge base becomes an HTTP status."""
    if isinstance(exc, NotBuiltError):
        return 501
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, WriterBusy):
        return 409
    return getattr(exc, "status", 400)  # uploads, storage and jobs say their own


async def knowledge_base_error(request: Request, exc: KnowledgeBaseError):
    return JSONResponse({"detail": str(exc).splitlines()[0] if str(exc) else "请求无法处理"},
                        status_code=error_status(exc))


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


def _install_error_handlers(app: FastAPI) -> None:
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


async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.url.path.startswith("/docs"):  # Swagger UI loads its own scripts
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
    return response


def _install_middleware(app: FastAPI, service: ServiceSettings) -> None:
    app.add_middleware(BodyLimit, caps=service)
    # added after the body limit, so it runs before it: no body is read without the key
    app.add_middleware(KeyBeforeBody, key=app.state.api_key, guard=require_key)
    if service.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(service.cors_origins), allow_methods=["*"],
                           allow_headers=["*"])
    app.middleware("http")(security_headers)


@asynccontextmanager
async def lifespan(app: FastAPI):
    # the index, the model and the segmenter load once, before the first request
    serving = await run_in_threadpool(ServingKnowledgeBase, app.state.settings)
    app.state.serving = serving
    app.state.jobs = IngestJobs(serving)
    app.state.jobs.resume_interrupted()  # uploads a crash left unfinished: never left waiting
    async with app.state.mcp.session_manager.run():  # the MCP transport's task group
        yield
    app.state.jobs.shutdown()
    serving.close()


def page():
    return FileResponse(STATIC / "index.html")


def create_app(settings: Settings | None = None, service: ServiceSettings | None = None) -> FastAPI:
    from regkb.service.mcp_server import mount_mcp

    settings = settings or Settings.from_env(show_progress=False)
    service = service or ServiceSettings.from_env()
    app = FastAPI(title="regkb 安全生产法规知识库", version="0.1.0", lifespan=lifespan, responses=ERRORS,
                  description="检索、问答、部门分工、规划目标、组卷与文档管理；另有 OpenAI 兼容的 /v1/chat/completions。")
    app.state.settings, app.state.service = settings, service
    app.state.api_key = ApiKey(service.api_key)
    _install_error_handlers(app)
    _chinese_error_schema(app)
    _install_middleware(app, service)
    for router in ROUTERS:
        app.include_router(router.router)
    app.state.mcp = mount_mcp(app.router.routes, lambda: app.state.serving.reading(), service.api_key)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.get("/", include_in_schema=False)(page)
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory`` (what ``regkb serve --workers N`` runs in each worker)."""
    return create_app()
