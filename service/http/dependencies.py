"""What the routers share: the serving knowledge base, the ingest jobs, the API key and the
settings (``create_app`` puts each on ``app.state``); the limits, query parameters and error
shapes that several routes share.

A route asks for what it needs by type: ``kb: Serving`` is the serving knowledge base,
``jobs: Jobs`` the ingest queue; a write route adds ``dependencies=[Depends(require_key)]``.
"""

import os
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from regkb.service.http.api_key import KEY_REQUIRED, ApiKey
from regkb.service.http.jobs import IngestJobs
from regkb.service.http.serving import ServingKnowledgeBase
from regkb.service.settings import Settings
from regkb.service.validation import MAX_NAME_CHARS, MAX_QUERY_CHARS

MAX_UPLOAD_FILES = 20
AS_OF_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class ErrorResponse(BaseModel):
    detail: str = Field(description="错误说明（中文）")


WRITE_ERRORS = {code: {"model": ErrorResponse} for code in (401, 403, 409, 507)}


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


def serving(request: Request) -> ServingKnowledgeBase:
    return request.app.state.serving


def ingest_jobs(request: Request) -> IngestJobs:
    return request.app.state.jobs


def settings(request: Request) -> Settings:
    return request.app.state.settings


def service_settings(request: Request) -> ServiceSettings:
    return request.app.state.service


def api_key(request: Request) -> ApiKey:
    return request.app.state.api_key


def require_key(request: Request) -> None:
    """The dependency of a guarded route (also what ``KeyBeforeBody`` looks for)."""
    if not api_key(request).allows(request.headers):
        raise HTTPException(401, KEY_REQUIRED)


Serving = Annotated[ServingKnowledgeBase, Depends(serving)]
Jobs = Annotated[IngestJobs, Depends(ingest_jobs)]
KbSettings = Annotated[Settings, Depends(settings)]
Limits = Annotated[ServiceSettings, Depends(service_settings)]
Key = Annotated[ApiKey, Depends(api_key)]

Text = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="问题或查询词")]
Name = Annotated[str | None, Query(max_length=MAX_NAME_CHARS)]
AsOf = Annotated[str | None, Query(pattern=AS_OF_PATTERN, description="按某日有效的条文，YYYY-MM-DD（默认今天）")]
