"""OpenAI-compatible chat routes, so a company's chat front-end can use regkb as a "model".

``POST /v1/chat/completions`` answers the last user message with ``KnowledgeBase.ask``:
the answer, its citations written out under it, and the same citations as a structured
``citations`` field; ``"stream": true`` sends the reply as server-sent events. A follow-up
that leans on earlier turns (那罚多少？/ 辽宁呢？/ 第二款呢？) is completed from the
conversation first (``answers/conversation.py``), and the reply says how the question was read.
Here is only the wire format: OpenAI's request and reply shapes, events and errors.

>>> from openai import OpenAI  # doctest: +SKIP
>>> client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="-")  # doctest: +SKIP
>>> client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": "出了事故多久要上报?"}])  # doctest: +SKIP
"""


import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from regkb.service.answers.schemas import AnswerKind, AskResponse, Citation, Confidence, ReadAs
from regkb.service.http.dependencies import Serving
from regkb.service.validation import KnowledgeBaseError, NotBuiltError

MODEL_ID = "regkb"
MAX_MESSAGES = 100


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=40)
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, top_p … are accepted and have no effect
    model: str = Field(MODEL_ID, max_length=100)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatDetails(ReadAs):
    """regkb's own part of a reply: the answer's kind, whether it abstained, how sure it is, how
    the question was read."""

    kind: AnswerKind
    abstained: bool
    confidence: Confidence = "none"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation] = Field(default_factory=list)  # the ask answer's citations, as /api/ask gives them
    regkb: "ChatDetails"


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "regkb"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def user_turns(messages: list[ChatMessage]) -> list[str]:
    """The user's messages in order, as text: what the conversation reader reads."""
    return [m.text() for m in messages if m.role == "user"]


# --- writing the reply -------------------------------------------------------------------

def citation_line(number: int, citation: Citation, answer_text: str) -> str:
    """Where a quote comes from; the quote itself too when the answer does not already hold it."""
    where = " ".join(x for x in (*citation.section_path[-1:], citation.article, citation.paragraph, citation.item) if x)
    standing = "，".join(x for x in (citation.authority_name, citation.region) if x)
    line = f"[{number}] 《{citation.title or citation.source}》{where}" + (f"（{standing}）" if standing else "")
    return line if citation.quote in answer_text else f"{line}：“{citation.quote}”"


def reply_text(reading: ReadAs, answer: AskResponse) -> str:
    parts = []
    if reading.completed:
        parts.append(f"（结合上文，按“{reading.read_as}”理解。）")
    parts.append(answer.answer)
    if answer.citations:
        lines = [citation_line(i, c, answer.answer) for i, c in enumerate(answer.citations, start=1)]
        parts.append("依据：\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _tokens(text: str) -> int:
    """A rough count for ``usage`` (a Chinese character is about one token)."""
    return len(text)


def completion(request: ChatRequest, reading: ReadAs, answer: AskResponse) -> ChatCompletion:
    content = reply_text(reading, answer)
    prompt = sum(_tokens(m.text()) for m in request.messages)
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex[:24]}", created=int(time.time()), model=request.model or MODEL_ID,
        choices=[ChatChoice(message=AssistantMessage(content=content))],
        usage=Usage(prompt_tokens=prompt, completion_tokens=_tokens(content), total_tokens=prompt + _tokens(content)),
        citations=answer.citations,
        regkb=ChatDetails(kind=answer.kind, abstained=answer.abstained, confidence=answer.confidence,
                          **reading.model_dump()))


def sse_events(reply: ChatCompletion, include_usage: bool = False) -> Iterator[str]:
    """The reply as ``chat.completion.chunk`` events: the role, the text line by line, then the
    end; with ``include_usage`` (``stream_options``) a last chunk with no choices carries ``usage``."""
    def event(choices: list[dict], **extra) -> str:
        chunk = {"id": reply.id, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model,
                 "choices": choices, **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    def choice(delta: dict, finish: str | None = None) -> list[dict]:
        return [{"index": 0, "delta": delta, "finish_reason": finish}]

    no_usage = {"usage": None} if include_usage else {}
    yield event(choice({"role": "assistant", "content": ""}), **no_usage)
    for piece in re.split(r"(?<=\n)", reply.choices[0].message.content):
        yield event(choice({"content": piece}), **no_usage)
    yield event(choice({}, "stop"), citations=[c.model_dump() for c in reply.citations], regkb=reply.regkb.model_dump(),
                **no_usage)
    if include_usage:
        yield event([], usage=reply.usage.model_dump())
    yield "data: [DONE]\n\n"


# what a platform may send that this "model" cannot do: refused, not silently dropped
TOOL_FIELDS = ("tools", "functions", "tool_choice", "function_call")


def refuse_unsupported(request: ChatRequest) -> None:
    """``n`` > 1 and tool calling are refused with a clear error; ``max_tokens`` and the
    sampling settings are accepted and ignored (the answer is quoted, never cut)."""
    extra = request.model_extra or {}
    n = extra.get("n")
    if n is not None and n != 1:
        raise KnowledgeBaseError(f"本服务每次只给出一个回答：n 应为 1（收到 {str(n)[:20]}）")
    used = [name for name in TOOL_FIELDS if extra.get(name) not in (None, [], "none", "auto")]
    used += ["messages.tool_calls"] * any((m.model_extra or {}).get("tool_calls") or m.role == "tool"
                                          for m in request.messages)
    if used:
        raise KnowledgeBaseError(f"本服务不支持工具调用（{used[0]}）：请去掉 tools、tool_choice 和工具消息后再试")
    options = extra.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise KnowledgeBaseError("stream_options 应为 JSON 对象，如 {\"include_usage\": true}")


def wants_usage(request: ChatRequest) -> bool:
    options = (request.model_extra or {}).get("stream_options") or {}
    return bool(options.get("include_usage"))


def openai_error(exc: KnowledgeBaseError) -> JSONResponse:
    """Chinese ``detail`` as everywhere, plus the ``error`` object OpenAI clients read."""
    status = 501 if isinstance(exc, NotBuiltError) else 400
    message = str(exc).splitlines()[0] if str(exc) else "请求无法处理"
    return JSONResponse({"detail": message, "error": {"message": message, "type": "invalid_request_error"
                                                      if status == 400 else "not_implemented", "code": status}},
                        status_code=status)


router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])


@router.get("/models", response_model=ModelList)
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=0)])


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "回答；stream 为 true 时以 server-sent events 逐段发送"}})
async def chat_completions(body: ChatRequest, kb: Serving):
    def answer() -> tuple[ReadAs, AskResponse]:
        with kb.reading() as current:
            reading = current.read_conversation(user_turns(body.messages))
            return reading, current.ask(reading.read_as)

    try:
        refuse_unsupported(body)
        reading, result = await run_in_threadpool(answer)
    except KnowledgeBaseError as exc:
        return openai_error(exc)
    reply = completion(body, reading, result)
    if body.stream:
        return StreamingResponse(sse_events(reply, wants_usage(body)), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    return reply
