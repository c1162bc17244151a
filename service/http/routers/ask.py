"""``POST /api/ask``: an extractive, cited answer, or an abstention."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from regkb.service.answers.schemas import AskResponse
from regkb.service.http.dependencies import AS_OF_PATTERN, Serving
from regkb.service.validation import MAX_NAME_CHARS, MAX_QUERY_CHARS

router = APIRouter(tags=["问答"])


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="问题")
    region: str | None = Field(None, max_length=MAX_NAME_CHARS, description="地区，如 辽宁")
    as_of: str | None = Field(None, pattern=AS_OF_PATTERN, description="按某日有效的条文作答，YYYY-MM-DD（默认今天）")


@router.post("/api/ask", response_model=AskResponse)
def ask(kb: Serving, body: AskRequest):
    with kb.reading() as current:
        return current.ask(body.question, region=body.region, as_of=body.as_of)
