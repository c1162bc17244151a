"""``POST /api/ask``: an extractive, cited answer, or an abstention. A follow-up (那罚多少？/ 辽宁呢？)
sent with the conversation's earlier questions is completed from them first, as the chat endpoint does."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from regkb.service.answers.schemas import AskResponse
from regkb.service.http.dependencies import AS_OF_PATTERN, Serving
from regkb.service.validation import MAX_NAME_CHARS, MAX_QUERY_CHARS

router = APIRouter(tags=["问答"])

MAX_PREVIOUS = 20  # earlier questions read at most (the reader only ever needs the last few)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="问题")
    region: str | None = Field(None, max_length=MAX_NAME_CHARS, description="地区，如 辽宁")
    as_of: str | None = Field(None, pattern=AS_OF_PATTERN, description="按某日有效的条文作答，YYYY-MM-DD（默认今天）")
    previous: list[Annotated[str, Field(max_length=MAX_QUERY_CHARS)]] = Field(
        default_factory=list, max_length=MAX_PREVIOUS,
        description="同一对话中此前的提问（由早到晚）；追问（如“那罚多少？”“辽宁呢？”）按上文补全后作答")


@router.post("/api/ask", response_model=AskResponse)
def ask(kb: Serving, body: AskRequest):
    with kb.reading() as current:
        if not body.previous:
            return current.ask(body.question, region=body.region, as_of=body.as_of)
        reading = current.read_conversation([*body.previous, body.question])
        answer = current.ask(reading.read_as, region=body.region, as_of=body.as_of)
        answer.reading = reading
        return answer
