"""An optional writer: an OpenAI-compatible chat model rephrases the quotes of an answer
into fluent Chinese. Off unless ``Settings.llm_url`` (``REGKB_LLM_URL``) names an endpoint
(``llm_model``, ``llm_key`` with it).

A model may only rephrase what the cited quotes say. Every sentence it writes is checked
against the quotes: enough of its character pairs must appear in one quote, and every
number, year and department name in it must appear in the quotes. One unsupported sentence
and the whole answer falls back to the extractive one; the JSON says so (``writer``).

>>> writer = AnswerWriter(WriterSettings(url="http://127.0.0.1:8001/v1", model="qwen"))
>>> writer.rewrite(answer)  # answer.answer replaced, or left as it was with writer.used False  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from regkb.service.answers.schemas import AskResponse, WriterReport

# A sentence is supported when this share of its character pairs lies in one quote (strict:
# a false fallback costs fluency, a false pass costs trust).
MIN_PAIR_SUPPORT = 0.8
TIMEOUT_SECONDS = 30
_SENTENCES = re.compile(r"(?<=[。！!？?；;])|\n")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")
_DEPARTMENT = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:厅|局|委员会|办公室|总队|支队|部门)")
# A name found in a sentence is known when its last characters (at least this many) are in a quote:
# the pattern cannot tell where a name begins ("由省应急厅" holds "省应急厅").
MIN_NAME_CHARS = 3
_NOISE = re.compile(r"[\s\"“”'‘’《》()（）,，。:：;；、!！?？\-—*#]")
SYSTEM_PROMPT = (
    "你是安全生产法规助手。只能改写用户给出的引文内容,使回答通顺;不得添加引文中没有的事实、数字、日期或部门。"
    "用中文回答,不超过五句话,不要加引号或出处编号。")


@dataclass(frozen=True)
class WriterSettings:
    url: str
    model: str = "default"
    key: str | None = None


def _pairs(text: str) -> set[str]:
    text = _NOISE.sub("", text)
    return {text[i:i + 2] for i in range(len(text) - 1)}


def unsupported_sentences(text: str, quotes: list[str]) -> list[str]:
    """The sentences of ``text`` that no quote supports (by character pairs, numbers and names)."""
    joined = "".join(quotes)
    numbers = set(_NUMBERS.findall(joined))
    quote_pairs = [_pairs(q) for q in quotes]
    bad = []
    for sentence in (s.strip() for s in _SENTENCES.split(text)):
        pairs = _pairs(sentence)
        if not pairs:
            continue
        share = max((len(pairs & qp) / len(pairs) for qp in quote_pairs), default=0.0)
        foreign_numbers = set(_NUMBERS.findall(sentence)) - numbers
        foreign_names = [name for name in _DEPARTMENT.findall(sentence)
                         if not any(name[-n:] in joined for n in range(MIN_NAME_CHARS, len(name) + 1))]
        if share < MIN_PAIR_SUPPORT or foreign_numbers or foreign_names:
            bad.append(sentence)
    return bad


class AnswerWriter:
    """Rephrases an answer's quotes with a chat model, keeping the answer only when checked."""

    def __init__(self, settings: WriterSettings):
        self.settings = settings

    @classmethod
    def from_settings(cls, settings) -> "AnswerWriter | None":
        """The writer ``Settings`` configure (``llm_url``), or None when none is."""
        if not settings.llm_url:
            return None
        return cls(WriterSettings(url=settings.llm_url, model=settings.llm_model, key=settings.llm_key))

    def _complete(self, question: str, quotes: list[str]) -> str:
        numbered = "\n".join(f"[{n}] {q}" for n, q in enumerate(quotes, start=1))
        body = {"model": self.settings.model, "temperature": 0,
                "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                             {"role": "user", "content": f"问题:{question}\n引文:\n{numbered}"}]}
        headers = {"Content-Type": "application/json"}
        if self.settings.key:
            headers["Authorization"] = f"Bearer {self.settings.key}"
        request = urllib.request.Request(f"{self.settings.url}/chat/completions", json.dumps(body).encode("utf-8"),
                                         headers, method="POST")
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            payload = json.loads(response.read().decode("utf-8"))
        return payload["choices"][0]["message"]["content"].strip()

    def rewrite(self, answer: AskResponse) -> AskResponse:
        """Replace ``answer.answer`` with the model's text when every sentence of it is supported."""
        if answer.abstained or not answer.citations:
            return answer
        quotes = [c.quote for c in answer.citations]
        report = WriterReport(model=self.settings.model, used=False)
        answer.writer = report
        try:
            text = self._complete(answer.question, quotes)
        except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError) as exc:
            report.fallback_reason = f"生成模型不可用({type(exc).__name__}),已使用原文摘录"
            return answer
        bad = unsupported_sentences(text, quotes)
        if not text or bad:
            report.fallback_reason = "生成的回答含有引文不支持的内容,已改用原文摘录" if bad else "生成模型返回空回答,已使用原文摘录"
            report.unsupported = bad
            return answer
        answer.extractive_answer = answer.answer
        answer.answer = text
        report.used = True
        return answer
