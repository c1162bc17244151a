"""The optional writer, against a small local stand-in for an OpenAI-compatible server that
sometimes invents: a faithful rephrasing is kept, an invented number, department or sentence
makes the whole answer fall back to the quotes, and the JSON says so."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from regkb.service.answers.schemas import AskResponse, Citation
from regkb.service.answers.writer import AnswerWriter, WriterSettings, unsupported_sentences

QUOTE = "第九条 安全生产许可证的有效期为3年。安全生产许可证有效期满需要延期的，企业应当于期满前3个月向原安全生产许可证颁发管理机关办理延期手续。"
FAITHFUL = "安全生产许可证的有效期为3年。有效期满需要延期的，企业应当于期满前3个月向原颁发管理机关办理延期手续。"
INVENTIONS = {
    "number": "安全生产许可证的有效期为5年。",
    "department": "安全生产许可证的有效期为3年，由市场监督管理局负责延期。",
    "sentence": "安全生产许可证的有效期为3年。企业还可以随时申请免检，无需缴纳任何费用。",
}


class StandIn(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions with the next reply of the server's script."""

    def do_POST(self):  # noqa: N802 (the http.server API)
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        self.server.requests.append((self.path, self.headers.get("Authorization"), request))
        reply = self.server.script.pop(0)
        body = json.dumps({"id": "x", "object": "chat.completion", "model": request["model"],
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                        "finish_reason": "stop"}]}).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    httpd.script, httpd.requests = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url_of(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"


def extractive() -> AskResponse:
    citation = Citation(source="安全生产许可证条例(2014-07-29).md", title="安全生产许可证条例", quote=QUOTE, article="第九条")
    return AskResponse(question="许可证有效期多久", kind="passage", answer=f"根据《安全生产许可证条例》第九条:“{QUOTE}”",
                       citations=[citation], evidence=0.9)


def test_a_faithful_rephrasing_is_kept(server):
    server.script = [FAITHFUL]
    writer = AnswerWriter(WriterSettings(url=url_of(server), model="stand-in", key="secret"))
    answer = writer.rewrite(extractive())
    assert answer.writer.used and answer.answer == FAITHFUL
    assert answer.extractive_answer.startswith("根据《安全生产许可证条例》")
    path, authorization, request = server.requests[0]
    assert path == "/v1/chat/completions" and authorization == "Bearer secret"
    assert QUOTE in request["messages"][-1]["content"]


@pytest.mark.parametrize("kind", sorted(INVENTIONS))
def test_an_invention_falls_back_to_the_quotes(server, kind):
    server.script = [INVENTIONS[kind]]
    answer = AnswerWriter(WriterSettings(url=url_of(server), model="stand-in")).rewrite(extractive())
    assert not answer.writer.used and answer.writer.fallback_reason
    assert answer.answer == extractive().answer and answer.extractive_answer is None
    assert answer.writer.unsupported


def test_a_server_that_sometimes_invents(server):
    server.script = [FAITHFUL, INVENTIONS["number"], FAITHFUL, INVENTIONS["sentence"]]
    writer = AnswerWriter(WriterSettings(url=url_of(server), model="stand-in"))
    assert [writer.rewrite(extractive()).writer.used for _ in range(4)] == [True, False, True, False]


def test_an_unreachable_server_falls_back():
    writer = AnswerWriter(WriterSettings(url="http://127.0.0.1:9/v1", model="stand-in"))
    answer = writer.rewrite(extractive())
    assert not answer.writer.used and "不可用" in answer.writer.fallback_reason and answer.answer == extractive().answer


def test_unsupported_sentences():
    assert unsupported_sentences(FAITHFUL, [QUOTE]) == []
    assert unsupported_sentences("有效期为5年。", [QUOTE]) == ["有效期为5年。"]


def test_off_by_default_and_on_through_the_environment(monkeypatch, law_kb, server):
    from dataclasses import replace

    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    monkeypatch.delenv("REGKB_LLM_URL", raising=False)
    assert Settings.from_env().llm_url is None
    plain = KnowledgeBase.open(law_kb.settings).ask("生产经营单位的主要负责人有哪些职责")
    assert plain.writer is None and plain.answer.startswith("根据")
    monkeypatch.setenv("REGKB_LLM_URL", url_of(server) + "/")
    monkeypatch.setenv("REGKB_LLM_MODEL", "stand-in")
    configured = Settings.from_env()
    assert (configured.llm_url, configured.llm_model) == (url_of(server), "stand-in")
    server.script = ["生产经营单位的主要负责人由国务院任命。"]  # invented: no quote says so
    settings = replace(law_kb.settings, llm_url=configured.llm_url, llm_model=configured.llm_model)
    answer = KnowledgeBase.open(settings).ask("生产经营单位的主要负责人有哪些职责")
    assert answer.writer is not None and not answer.writer.used and answer.answer == plain.answer
