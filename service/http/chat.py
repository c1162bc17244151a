"""OpenAI-compatible chat routes, so a company's chat front-end can use regkb as a "model".

``POST /v1/chat/completions`` answers the last user message with ``KnowledgeBase.ask``:
the answer, its citations written out under it, and the same citations as a structured
``citations`` field; ``"stream": true`` sends the reply as server-sent events. A follow-up
that leans on earlier turns (那罚多少？/ 辽宁呢？/ 第二款呢？) is completed from the
conversation first, and the reply says how the question was read.

>>> from openai import OpenAI  # doctest: +SKIP
>>> client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="-")  # doctest: +SKIP
>>> client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": "出了事故多久要上报?"}])  # doctest: +SKIP
"""


import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from regkb.service.answers.schemas import AnswerKind, AskResponse, Citation, Confidence
from regkb.service.validation import MAX_QUERY_CHARS, KnowledgeBaseError, NotBuiltError

MODEL_ID = "regkb"
MAX_MESSAGES = 100
SHORT_QUESTION_CHARS = 6  # a follow-up this short has no topic of its own

_NUMERAL = "零〇一二三四五六七八九十百千0-9"
_ARTICLE = re.compile(rf"第[{_NUMERAL}]+条")
_PART = re.compile(rf"第[（(]?[{_NUMERAL}]+[)）]?[款项]")
_BOOK_TITLE = re.compile(r"《([^》]{2,60})》")
_LEADING = re.compile(r"^(那么|那|还有|另外|再问一下|这个|这|该|它|其)+")
# what ends a question and says nothing: particles, then punctuation (stripped, not matched:
# a regular expression anchored at the end is tried from every position, quadratic in the length)
_PARTICLES = "呢吗啊呀吧"
_END_PUNCTUATION = "?？!！。.,，"
# the question words that end a question; what is before them is its topic
_ASKING = re.compile(r"(是怎么规定的|怎么规定|如何规定|规定了什么|有什么规定|有哪些规定|有什么要求|有哪些要求|怎么处理|如何处理|"
                     r"怎么办|怎么罚|罚多少|是什么|有哪些|是多少|多少|什么|哪些|怎样|如何|吗)$")
_LAW_PREFIX = "中华人民共和国"
# province-level names, so that a region the store does not hold is still read as a region
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西",
             "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门")


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


class ReadAs(BaseModel):
    """How the last user message was read: as written, or completed from earlier turns."""

    question: str  # the last user message as sent
    read_as: str  # what was asked of the knowledge base
    completed: bool  # true when earlier turns filled in what it left out
    carried: list[str] = Field(default_factory=list)  # which parts came from earlier turns: law, article, region, topic


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


# --- reading a conversation --------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """What a question is about: law, article (and 款/项), region, and the rest of it."""

    law: str | None = None
    article: str | None = None
    part: str | None = None
    region: str | None = None
    rest: str = ""

    def text(self) -> str:
        where = "".join(x for x in (f"《{self.law}》" if self.law else "", self.article, self.part) if x)
        return " ".join(x for x in (self.region, where, self.rest) if x).strip()


@dataclass(frozen=True)
class Vocabulary:
    """The law titles and regions of the documents in the store, under their short names too."""

    laws: tuple[str, ...]
    regions: tuple[str, ...]

    @classmethod
    def of(cls, documents) -> "Vocabulary":
        laws, regions = set(), set(PROVINCES)
        for document in documents:
            if document.title and document.doc_type in ("law", "regulation"):
                laws.update({document.title, document.title.removeprefix(_LAW_PREFIX)})
            if document.region and document.region != "全国":
                regions.update({document.region, short_region(document.region)})
        by_length = lambda names: tuple(sorted((n for n in names if len(n) >= 2), key=len, reverse=True))  # noqa: E731
        return cls(by_length(laws), by_length(regions))


def short_region(name: str) -> str:
    return re.sub(r"(省|市|自治区|特别行政区|县|区)$", "", name) or name


def read_frame(question: str, vocabulary: Vocabulary) -> Frame:
    text = question.strip()
    law = None
    if found := _BOOK_TITLE.search(text):
        law = found.group(1).removeprefix(_LAW_PREFIX)
        text = text.replace(found.group(0), " ")
    else:
        for name in vocabulary.laws:
            if name in text:
                law = name.removeprefix(_LAW_PREFIX)
                text = text.replace(name, " ")
                break
    region = next((r for r in vocabulary.regions if r in text), None)
    if region:
        text = text.replace(region, " ")
        region = short_region(region)
    article = _ARTICLE.search(text)
    part = _PART.search(text)
    for match in (article, part):
        if match:
            text = text.replace(match.group(0), " ")
    rest = _LEADING.sub("", "".join(text.split())).rstrip(_END_PUNCTUATION).rstrip(_PARTICLES).lstrip("的之中里")
    return Frame(law, article and article.group(0), part and part.group(0), region, rest)


def is_follow_up(question: str, frame: Frame) -> bool:
    """Leans on an earlier turn: starts with 那/还有…, ends with 呢, or is too short to stand alone."""
    stripped = question.strip()
    return bool(_LEADING.match(stripped)) or bool(re.search(r"呢[?？。!！\s]*$", stripped)) or \
        len(frame.rest) <= SHORT_QUESTION_CHARS


def complete(previous: Frame, current: Frame) -> tuple[Frame, list[str]]:
    """The current question with what it leaves out taken from the previous one."""
    carried = []
    changes: dict[str, str | None] = {}
    if not current.law and previous.law:
        changes["law"], carried = previous.law, carried + ["law"]
    same_law = not current.law or current.law == previous.law
    if not current.article and previous.article and same_law:
        changes["article"], carried = previous.article, carried + ["article"]
        if not current.part and previous.part and not current.rest:
            changes["part"] = previous.part
    if not current.region and previous.region:
        changes["region"], carried = previous.region, carried + ["region"]
    topic = _ASKING.sub("", previous.rest)
    if not current.rest:
        changes["rest"], carried = previous.rest, carried + ["topic"]
    elif len(current.rest) <= SHORT_QUESTION_CHARS and topic and topic not in current.rest:
        changes["rest"], carried = topic + current.rest, carried + ["topic"]
    return replace(current, **changes), carried


def read_conversation(messages: list[ChatMessage], vocabulary: Vocabulary) -> ReadAs:
    """Read the user turns in order, each completed from the one before when it is a follow-up."""
    # a turn is read as far as a question may go: the patterns below never see more
    turns = [m.text().strip()[:MAX_QUERY_CHARS] for m in messages if m.role == "user" and m.text().strip()]
    if not turns:
        raise KnowledgeBaseError("对话中没有用户提问")
    frame, carried = read_frame(turns[0], vocabulary), []
    for turn in turns[1:]:
        current = read_frame(turn, vocabulary)
        frame, carried = complete(frame, current) if is_follow_up(turn, current) else (current, [])
    last = turns[-1]
    read_as = frame.text() if carried else last
    return ReadAs(question=last, read_as=read_as[:MAX_QUERY_CHARS], completed=bool(carried), carried=carried)


# --- writing the reply -------------------------------------------------------------------

def citation_line(number: int, citation: Citation, answer_text: str) -> str:
    """Where a quote comes from; the quote itself too when the answer does not already hold it."""
    where = " ".join(x for x in (*citation.section_path[-1:], citation.article, citation.paragraph) if x)
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


def chat_router(serving_dependency: Callable) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI 兼容"])
    Serving = Annotated[Any, Depends(serving_dependency)]

    @router.get("/models", response_model=ModelList)
    def models() -> ModelList:
        return ModelList(data=[ModelCard(id=MODEL_ID, created=0)])

    @router.post("/chat/completions", response_model=ChatCompletion,
                 responses={200: {"content": {"text/event-stream": {}},
                                  "description": "回答；stream 为 true 时以 server-sent events 逐段发送"}})
    async def chat_completions(body: ChatRequest, kb: Serving):
        def answer():
            with kb.reading() as current:
                reading = read_conversation(body.messages, Vocabulary.of(current.store.documents()))
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

    return router
