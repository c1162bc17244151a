"""A bounded fuzz pass: a real ``regkb serve`` process takes schemathesis' generated requests,
hostile chat messages and hostile files of every accepted format (truncated, bombs, one format
named as another) through ``POST /api/documents`` and ``/api/exam/check``; ``regkb ingest``
takes the same files. Nothing may answer 5xx, take over 5 s, print a traceback, or push the
server's or the CLI's peak memory past 2 GB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

import bad_files
from live_server import copy_store, free_port
from regkb.service.http.app import create_app
from regkb.service.settings import Settings

MAX_SECONDS = 5.0
MAX_PEAK_BYTES = 2 << 30
EXAMPLES_PER_OPERATION = 4  # the full schemathesis pass is test_schemathesis.py; this one is timed
REGKB = [sys.executable, "-m", "regkb.service.cli"]
# Linux carries a process's peak RSS across fork and exec, so a CLI started from this (large)
# test process would report the test's peak as its own: it runs under a small Python parent
# that prints only its child's peak (kB), as the last line of stderr.
PEAK_OF_CHILD = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
TIMES: list[tuple[float, str]] = []  # (seconds, what) of every request sent to the server
STATUSES: list[tuple[int, str]] = []
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("schemathesis_node_id")]
# the schema comes from an app a fixture builds without starting it; the requests go to the served process
schema = schemathesis.pytest.from_fixture("api_schema")


def hostile_files(folder: Path) -> dict[str, bytes]:
    """Per accepted format: a good file, a truncated one, bombs and a file of another format."""
    law = "# 叉车安全管理规定\n\n第一条 叉车司机每班作业前检查制动器和货叉链条,发现异常立即停用。\n第二条 违反本规定的,责令改正。\n"
    text = law.encode("utf-8")
    html = f"<html><body><h1>叉车安全管理规定</h1><p>{law}</p></body></html>".encode("utf-8")
    docx, xlsx, pdf = bad_files.docx_bytes(), bad_files.workbook_bytes(A1="序号", B1="任务", A2="1", B2="叉车检查"), \
        bad_files.pdf_with_text("第一条 叉车司机每班作业前检查制动器。")
    files = {
        "好.txt": text, "截断.txt": text[:-1], "一行.txt": "安全".encode("utf-8") * 2_000, "二进制.txt": b"\x89PNG\r\n\x1a\n\x00\x00",
        "好.md": text, "截断.md": text[: len(text) // 2 + 1], "其实是docx.md": docx,
        "好.html": html, "截断.html": html[:40], "深嵌套.html": b"<div>" * 20_000 + "条".encode("utf-8"),
        "其实是pdf.html": pdf, "宽表.html": '<table><tr><td colspan="100000000">牵头</td></tr></table>'.encode("utf-8"),
        "好.docx": docx, "截断.docx": docx[: len(docx) // 2], "膨胀.docx": bad_files.docx_inflating(),
        "宽单元格.docx": bad_files.docx_wide_cell(), "其实是xlsx.docx": xlsx,
        "好.pdf": pdf, "截断.pdf": pdf[: len(pdf) // 2], "炸弹.pdf": bad_files.pdf_bomb(), "乱码.pdf": b"%PDF-1.7\n" + os.urandom(4096),
        "好.xlsx": xlsx, "截断.xlsx": xlsx[: len(xlsx) // 2], "远角.xlsx": bad_files.xlsx_far_cell(),
        "合并.xlsx": bad_files.xlsx_merged_bomb(), "共享字符串.xlsx": bad_files.xlsx_shared_strings_bomb(),
        "其实是docx.xlsx": docx,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def hostile_banks() -> dict[str, bytes]:
    row = "判断,生产经营单位的主要负责人是本单位安全生产第一责任人。,,,,,正确\n"
    csv = ("题型,题干,选项A,选项B,选项C,选项D,答案\n" + row).encode("utf-8")
    good_json = json.dumps({"questions": [{"type": "judge", "stem": "生产经营单位的主要负责人是本单位安全生产第一责任人。",
                                           "answer": "true"}]}, ensure_ascii=False).encode("utf-8")
    return {
        "好.csv": csv, "截断.csv": csv[:-2], "千行.csv": csv + row.encode("utf-8") * 1500,
        "长题干.csv": csv + ("判断," + "安" * 5000 + ",,,,,正确\n").encode("utf-8"), "其实是xlsx.csv": bad_files.xlsx_far_cell(),
        "好.json": good_json, "截断.json": good_json[:30], "深嵌套.json": b"[" * 100_000,
        "错类型.json": b'{"questions": [{"stem": {"a": 1}, "options": 5, "type": [1], "answer": null}]}',
        "远角.xlsx": bad_files.xlsx_far_cell(), "共享字符串.xlsx": bad_files.xlsx_shared_strings_bomb(),
    }


def timed(client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    TIMES.append((time.perf_counter() - started, f"{method} {url}"))
    STATUSES.append((response.status_code, f"{method} {url}"))
    return response


def peak_bytes(pid: int) -> int:
    """The process's peak resident memory (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) << 10


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    app = create_app(Settings(home=tmp_path_factory.mktemp("fuzz-schema") / "home", show_progress=False))
    return schemathesis.openapi.from_dict(app.openapi())


@pytest.fixture(scope="module")
def server(law_kb, tmp_path_factory):
    """``regkb serve`` in its own process, on a copy of the small knowledge base."""
    home = copy_store(law_kb.settings.home, tmp_path_factory.mktemp("fuzz") / "home")
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz-log") / "server.log"
    env = {**os.environ, "REGKB_HOME": str(home)}
    env.pop("REGKB_API_KEY", None)
    with log.open("wb") as out:
        process = subprocess.Popen([*REGKB, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    restore_subnormal_floats()  # the embedder of ``law_kb`` ran in this process; hypothesis needs the default
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
        assert process.poll() is None, log.read_text(errors="replace")
    try:
        yield url, process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a job still running holds the shutdown
            process.kill()
            process.wait()


def wait_for_jobs(client: httpx.Client, ids: list[str], timeout: float = 240.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    jobs: dict[str, dict] = {}
    while len(jobs) < len(ids) and time.monotonic() < deadline:
        for job_id in set(ids) - set(jobs):
            job = timed(client, "GET", f"/api/jobs/{job_id}").json()
            if job["status"] in ("done", "failed"):
                jobs[job_id] = job
        time.sleep(0.3)
    assert len(jobs) == len(ids), "jobs still running"
    return list(jobs.values())


def upload_all_or_none(client: httpx.Client, files: dict[str, bytes]) -> str | None:
    """Sends the files in one request; each refusal names its file, which is dropped before
    the next try. Returns the job of the files that were accepted (one job, one index build)."""
    pending = dict(files)
    while pending:
        response = timed(client, "POST", "/api/documents",
                         files=[("files", (name, data, "application/octet-stream")) for name, data in pending.items()])
        if response.status_code == 202:
            return response.json()["id"]
        assert response.status_code in (400, 413), response.text
        detail = response.json()["detail"]
        assert is_chinese(detail)
        pending.pop(next(name for name in pending if detail.startswith(name)))
    return None


def test_hostile_uploads_and_banks(server, tmp_path):
    url, _, _ = server
    files = list(hostile_files(tmp_path / "files").items())
    with httpx.Client(base_url=url, timeout=60) as client:
        halves = (dict(files[:len(files) // 2]), dict(files[len(files) // 2:]))  # at most 20 files a request
        jobs = [job for job in (upload_all_or_none(client, half) for half in halves) if job]
        for job in wait_for_jobs(client, jobs):
            errors = job["report"]["errors"] if job["report"] else [{"error": job["error"]}]
            assert all(is_chinese(e["error"]) and "Traceback" not in e["error"] for e in errors), job
        listed = {d["source"] for d in timed(client, "GET", "/api/documents").json()["documents"]}
        assert {"好.txt", "好.md", "好.html", "好.docx", "好.pdf", "好.xlsx"} <= listed
        assert not listed & {"膨胀.docx", "宽单元格.docx", "炸弹.pdf", "远角.xlsx", "合并.xlsx", "共享字符串.xlsx", "宽表.html"}
        for name, data in hostile_banks().items():
            response = timed(client, "POST", "/api/exam/check", files={"file": (name, data, "application/octet-stream")})
            assert response.status_code in (200, 400, 413), (name, response.status_code, response.text)
            # a stem of the wrong JSON type is read as its text and checked (undecided)
            assert (response.status_code == 200) == (name in ("好.csv", "好.json", "错类型.json")), (name, response.text)


def test_hostile_chat_messages(server):
    url, _, _ = server
    messages = ["呢" * 300_000 + "了", " " * 300_000 + "x", "那" * 300_000, "《" * 300_000, "第" + "一" * 300_000,
                "安全生产法" + " " * 300_000 + "第", "辽宁" * 150_000 + "呢？"]
    with httpx.Client(base_url=url, timeout=60) as client:
        for text in messages:
            response = timed(client, "POST", "/v1/chat/completions",
                             json={"model": "regkb", "messages": [{"role": "user", "content": "第一条"}, {"role": "user", "content": text}]})
            assert response.status_code in (200, 400), response.text


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_schemathesis_against_the_served_process(case, server):
    url, _, _ = server
    started = time.perf_counter()
    response = case.call_and_validate(base_url=url, excluded_checks=[positive_data_acceptance], timeout=60)
    TIMES.append((time.perf_counter() - started, f"{case.method} {case.path}"))
    STATUSES.append((response.status_code, f"{case.method} {case.path}"))


def test_the_cli_ingests_hostile_files_without_a_traceback(tmp_path):
    folder = tmp_path / "files"
    files = hostile_files(folder)
    env = {**os.environ, "REGKB_HOME": str(tmp_path / "home")}
    with (tmp_path / "out").open("w+") as out, (tmp_path / "err").open("w+") as err:
        process = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, *REGKB, "ingest", str(folder), "--json"],
                                 env=env, stdout=out, stderr=err)
    stderr, _, peak_kb = (tmp_path / "err").read_text().rstrip("\n").rpartition("\n")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert process.returncode == 1  # some files were refused
    report = json.loads((tmp_path / "out").read_text())
    refused = {Path(e["path"]).name for e in report["errors"]}
    assert {"截断.docx", "膨胀.docx", "宽单元格.docx", "炸弹.pdf", "远角.xlsx", "合并.xlsx", "共享字符串.xlsx"} <= refused
    assert all(is_chinese(e["error"]) for e in report["errors"])
    assert report["added"] == len(files) - len(refused)
    print(f"\nfuzz: regkb ingest peak {int(peak_kb) >> 10} MB")
    assert int(peak_kb) << 10 < MAX_PEAK_BYTES


def test_no_server_error_no_slow_request_and_memory_under_2_gb(server):
    """Runs last in this module: the figures of everything sent above."""
    _, process, log = server
    assert len(STATUSES) >= 50, "the fuzz tests above did not run"
    slowest, peak = max(TIMES), peak_bytes(process.pid)
    print(f"\nfuzz: {len(STATUSES)} requests, slowest {slowest[0]:.2f} s ({slowest[1]}), server peak {peak >> 20} MB")
    assert [s for s in STATUSES if s[0] >= 500] == []
    assert "Traceback" not in log.read_text(errors="replace")
    assert peak < MAX_PEAK_BYTES
    assert slowest[0] < MAX_SECONDS, slowest


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def restore_subnormal_floats() -> None:
    import ctypes

    ctypes.CDLL(None).fesetenv(ctypes.c_void_p(-1))
