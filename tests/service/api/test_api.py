"""The HTTP API through an HTTP client, against the real app on a real temporary store:
the contract's endpoints, background ingest with a swap, and bad input of every kind."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from live_server import copy_store, live_server
from regkb.service.http.app import ServiceSettings, create_app
from regkb.service.settings import Settings

DUTY_QUESTION = "尾矿库治理谁负责"
LAW_QUESTION = "生产经营单位的主要负责人有哪些安全生产职责"
NEW_RULE = "# 叉车安全管理规定\n\n第一条 叉车司机每班作业前检查制动器和货叉链条,发现异常立即停用。\n"


def client_for(home, **service) -> TestClient:
    return TestClient(create_app(Settings(home=home, show_progress=False), ServiceSettings(**service)))


@pytest.fixture(scope="module")
def module_home(law_kb, tmp_path_factory):
    return copy_store(law_kb.settings.home, tmp_path_factory.mktemp("api") / "home")


@pytest.fixture(scope="module")
def client(module_home):
    """One app for the module (starting one loads the index): tests that write use their own documents."""
    with client_for(module_home) as client:
        yield client


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def wait_for_job(client: TestClient, job_id: str, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def upload(client: TestClient, name: str, data: bytes, **headers):
    return client.post("/api/documents", files={"files": (name, data, "application/octet-stream")}, headers=headers)


# --- the contract ---------------------------------------------------------------------

def test_health_and_documents(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] >= 2
    sources = {d["source"] for d in client.get("/api/documents").json()["documents"]}
    assert "安全生产法(2021-06-10).md" in sources


def test_search_returns_the_contract_fields(client):
    response = client.get("/api/search", params={"q": LAW_QUESTION, "k": 3})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert len(hits) == 3
    assert {"chunk_id", "doc_id", "source", "title", "doc_type", "authority", "region", "section_path", "article",
            "text", "score"} <= set(hits[0])
    assert any(h["article"] == "第二十一条" for h in hits)
    filtered = client.get("/api/search", params={"q": LAW_QUESTION, "type": "division_of_labour"}).json()["hits"]
    assert filtered and all(h["doc_type"] == "division_of_labour" for h in filtered)


def test_chunk_context_surrounds_the_chunk(client):
    hit = client.get("/api/search", params={"q": LAW_QUESTION, "k": 1}).json()["hits"][0]
    context = client.get(f"/api/chunks/{hit['chunk_id']}", params={"around": 1}).json()
    assert context["text"] == hit["text"] and len(context["before"]) + len(context["after"]) >= 1
    assert client.get("/api/chunks/nope:00001").status_code == 404


def test_duties_and_departments(client):
    match = client.get("/api/duties", params={"q": DUTY_QUESTION, "k": 1}).json()["matches"][0]
    assert "尾矿库" in match["task"] and "省应急管理厅" in match["responsible"]
    names = [d["name"] for d in client.get("/api/departments").json()["departments"]]
    assert "省应急管理厅" in names
    department = client.get("/api/departments/应急厅").json()  # an alias
    assert department["department"] == "省应急管理厅"
    assert {t["role"] for t in department["tasks"]} <= {"lead", "responsible", "cooperating"}
    missing = client.get("/api/departments/没有这个部门")
    assert missing.status_code == 404 and is_chinese(missing.json()["detail"])


def test_openapi_and_page(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/search", "/api/ask", "/api/duties", "/api/departments/{name}", "/api/targets", "/api/exam",
                 "/api/documents", "/api/documents/{doc_id}", "/api/jobs/{job_id}", "/healthz",
                 "/v1/chat/completions", "/v1/models"):
        assert path in paths, path
    page = client.get("/")
    assert page.status_code == 200 and "安全生产法规知识库" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]


# --- background ingest and the swap ---------------------------------------------------------

def test_upload_ingests_in_the_background_while_searches_keep_working(client):
    before = client.get("/healthz").json()["generation"]
    accepted = upload(client, "叉车安全管理规定.md", NEW_RULE.encode("utf-8"))
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]
    statuses = []
    while (job := client.get(f"/api/jobs/{job_id}").json())["status"] not in ("done", "failed"):
        statuses.append(job["status"])
        search = client.get("/api/search", params={"q": LAW_QUESTION, "k": 1})
        assert search.status_code == 200 and search.json()["hits"]  # the old state, whole
    assert job["status"] == "done", job
    assert job["progress"] == 1.0 and job["report"]["added"] == 1 and job["done"] == job["total"] == 1
    assert client.get("/healthz").json()["generation"] > before
    hits = client.get("/api/search", params={"q": "叉车制动器检查", "k": 1}).json()["hits"]
    assert hits[0]["source"] == "叉车安全管理规定.md"
    doc_id = hits[0]["doc_id"]
    removed = client.delete(f"/api/documents/{doc_id}")
    assert removed.status_code == 200 and removed.json()["removed"]["source"] == "叉车安全管理规定.md"
    after = client.get("/api/search", params={"q": "叉车制动器检查", "k": 5}).json()["hits"]
    assert all(h["doc_id"] != doc_id for h in after)
    assert client.delete(f"/api/documents/{doc_id}").status_code == 404


def test_concurrent_searches_see_old_or_new_state_never_an_error(client):
    """Readers on several threads while a job ingests and swaps: every answer is whole."""
    failures: list[str] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            response = client.get("/api/search", params={"q": "叉车制动器检查", "k": 3})
            if response.status_code != 200:
                failures.append(response.text)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    job = wait_for_job(client, upload(client, "叉车安全管理规定.md", NEW_RULE.encode("utf-8")).json()["id"])
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert job["status"] == "done" and failures == []


# --- limits and safety ------------------------------------------------------------------

@pytest.mark.parametrize("params", [{"q": ""}, {"q": "   "}, {"q": "问" * 2001}, {"q": "x", "k": 0}, {"q": "x", "k": "abc"},
                                    {"q": "x", "mode": "magic"}, {"q": "x", "type": "novel"}, {}])
def test_bad_search_input_is_a_chinese_4xx(client, params):
    response = client.get("/api/search", params=params)
    assert 400 <= response.status_code < 500
    assert is_chinese(response.json()["detail"])


def test_a_follow_up_is_read_with_the_questions_before_it(client):
    """The page sends the earlier questions of the conversation; a follow-up is completed from them
    and the answer says how it was read, as the chat endpoint does. Without them, as before."""
    body = {"question": "第二款呢？", "previous": ["安全生产法第二十五条规定了什么？"]}
    answer = client.post("/api/ask", json=body).json()
    assert answer["reading"]["completed"] and "第二十五条第二款" in answer["reading"]["read_as"]
    assert answer["citations"] and answer["citations"][0]["article"] == "第二十五条"
    assert answer["citations"][0]["paragraph"] == "第二款"
    alone = client.post("/api/ask", json={"question": "安全生产法第二十一条规定了什么？"}).json()
    assert alone["reading"] is None and alone["citations"][0]["article"] == "第二十一条"


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"question": ""}', b'{"question": 5}',
                                  '{"question": "问"}'.replace("问", "问" * 2001).encode("utf-8"), b"",
                                  rb'{"question": "\u90a3\u5462", "previous": "x"}',
                                  ('{"question": "a", "previous": [%s]}' % ",".join(['"q"'] * 21)).encode()])
def test_bad_ask_bodies_are_a_chinese_4xx(client, body):
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500 and is_chinese(response.json()["detail"])


def test_a_10_mb_body_is_refused_from_its_header(client):
    response = client.post("/api/ask", content=b"x" * (10 << 20), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and is_chinese(response.json()["detail"])


@pytest.mark.slow
def test_a_streamed_10_mb_body_is_refused_before_it_is_all_read(served_home):
    """Chunked, with no Content-Length: the server answers 413 and hangs up long before 10 MB."""
    app = create_app(Settings(home=served_home, show_progress=False), ServiceSettings())
    block = b"x" * (64 << 10)
    sent = 0
    with live_server(app) as url, socket.create_connection((urlsplit(url).hostname, urlsplit(url).port)) as conn:
        conn.sendall(b"POST /api/ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        conn.settimeout(0.05)
        reply = b""
        while sent < (10 << 20) and not reply:
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                sent += len(block)
                reply = conn.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        conn.settimeout(2)
        while b"}" not in reply:  # the JSON body may come in a later packet
            more = conn.recv(4096)
            if not more:
                break
            reply += more
    assert reply.startswith(b"HTTP/1.1 413")
    assert "请求内容太大".encode("utf-8") in reply
    assert sent < (10 << 20)


def test_errors_for_unknown_paths_and_methods_are_chinese(client):
    for response in (client.get("/api/nothing"), client.put("/api/search"), client.get("/api/jobs/../../etc")):
        assert response.status_code in (404, 405) and is_chinese(response.json()["detail"])


def test_a_wrong_method_is_answered_with_every_method_of_the_path(tmp_path):
    """The routes live in one router per resource: the Allow header still names them all."""
    # not started (no lifespan): a refused method never reaches the knowledge base
    client = TestClient(create_app(Settings(home=tmp_path, show_progress=False), ServiceSettings()))
    assert client.put("/api/documents").headers["allow"] == "GET, POST"
    assert client.post("/v1/models").headers["allow"] == "GET"


@pytest.mark.parametrize("name,data", [
    ("假的.pdf", "这其实是一段文字".encode("utf-8")),  # the extension lies
    ("假的.docx", b"PK\x03\x04not really a zip"),
    ("程序.exe", b"MZ\x90\x00"),
    ("空的.md", b""),
    ("二进制.txt", b"\x00\x01\x02\x03" * 100),
    ("..", b"text"),
])
def test_uploads_are_checked_by_content(client, name, data):
    response = upload(client, name, data)
    assert response.status_code == 400 and is_chinese(response.json()["detail"])


def test_upload_names_cannot_leave_the_upload_folder(client, module_home):
    job = wait_for_job(client, upload(client, "../../逃逸.md", "# 逃逸测试\n\n第一条 测试。\n".encode("utf-8")).json()["id"])
    assert job["files"] == ["逃逸.md"]
    assert not (module_home.parent / "逃逸.md").exists() and not (module_home / "逃逸.md").exists()
    assert list((module_home / "uploads").rglob("逃逸.md"))


def test_upload_size_cap(served_home):
    with client_for(served_home, max_upload_bytes=1024) as client:
        response = upload(client, "大文件.md", ("第一条 " + "安全" * 2000).encode("utf-8"))
        assert response.status_code == 413 and is_chinese(response.json()["detail"])


def test_api_key_guards_writes_only(served_home):
    with client_for(served_home, api_key="s3cret") as client:
        assert client.get("/api/search", params={"q": LAW_QUESTION}).status_code == 200
        refused = upload(client, "叉车安全管理规定.md", NEW_RULE.encode("utf-8"))
        assert refused.status_code == 401 and is_chinese(refused.json()["detail"])
        assert upload(client, "叉车安全管理规定.md", NEW_RULE.encode("utf-8"), **{"X-API-Key": "wrong"}).status_code == 401
        assert client.delete("/api/documents/anything").status_code == 401
        accepted = upload(client, "叉车安全管理规定.md", NEW_RULE.encode("utf-8"), Authorization="Bearer s3cret")
        assert accepted.status_code == 202
        assert wait_for_job(client, accepted.json()["id"])["status"] == "done"


def test_cors_is_off_unless_configured(served_home):
    origin = {"Origin": "https://chat.example.com"}
    with client_for(served_home) as client:
        assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    with client_for(served_home, cors_origins=("https://chat.example.com",)) as client:
        assert client.get("/healthz", headers=origin).headers["access-control-allow-origin"] == origin["Origin"]


def test_exam_as_json_and_as_downloads(client):
    paper = client.get("/api/exam", params={"count": 3, "types": "judge,single", "seed": 1})
    assert paper.status_code == 200
    questions = paper.json()["questions"]
    assert 1 <= len(questions) <= 3 and {q["type"] for q in questions} <= {"judge", "single"}
    assert all(q["quote"] and q["source"] for q in questions)
    for format, signature in (("docx", b"PK\x03\x04"), ("xlsx", b"PK\x03\x04")):
        download = client.get("/api/exam", params={"count": 3, "format": format, "seed": 1})
        assert download.status_code == 200 and download.content.startswith(signature)
        assert "attachment" in download.headers["content-disposition"]
    solved = client.post("/api/exam/solve", json={"stem": "生产经营单位的主要负责人是本单位安全生产第一责任人。"})
    assert solved.status_code == 200 and solved.json()["decided"] and solved.json()["answer"] == "true"


def test_an_exam_bank_is_checked_from_an_upload(client):
    bank = "题型,题干,选项A,选项B,选项C,选项D,答案\n判断,生产经营单位的主要负责人是本单位安全生产第一责任人。,,,,,正确\n"
    response = client.post("/api/exam/check", files={"file": ("题库.csv", bank.encode("utf-8"), "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["checked"] == 1 and response.json()["report"] is None
    report = client.post("/api/exam/check", params={"format": "xlsx"},
                         files={"file": ("题库.csv", bank.encode("utf-8"), "text/csv")})
    assert report.status_code == 200 and report.content.startswith(b"PK\x03\x04")
    assert "%E9%A2%98%E5%BA%93.%E4%BD%93%E6%A3%80.xlsx" in report.headers["content-disposition"]  # 题库.体检.xlsx
    refused = client.post("/api/exam/check", files={"file": ("题库.exe", b"MZ", "application/octet-stream")})
    assert refused.status_code == 400 and is_chinese(refused.json()["detail"])


def test_solve_takes_the_question_type(client):
    stem = "生产经营单位必须依法参加（ ），为从业人员缴纳保险费。"
    blank = client.post("/api/exam/solve", json={"stem": stem, "type": "blank"})
    assert blank.status_code == 200 and blank.json()["answer"] == "工伤保险"
    wrong = client.post("/api/exam/solve", json={"stem": stem, "type": "essay"})
    assert wrong.status_code == 422
