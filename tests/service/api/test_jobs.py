"""Ingest jobs that outlive a crash of the server, and jobs cancelled (issue 26, defects 3 and 5).

The crash is a real ``kill -9`` of a real ``regkb serve`` process, restarted on the same folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import LAWS
from live_server import free_port, live_server, wait_for_job

pytestmark = pytest.mark.slow  # real regkb serve processes, killed and restarted

EXCERPTED = ["安全生产许可证条例(2014-07-29).md", "矿山安全法(2009-08-27).md", "消防法(2021-04-29).md",
             "工伤保险条例(2010-12-20).md"]


def _excerpts(folder: Path) -> list[Path]:
    """The start of a few laws, small enough for the upload's content check."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in EXCERPTED:
        path = folder / f"节选-{name}"
        path.write_text((LAWS / name).read_text(encoding="utf-8")[:1200], encoding="utf-8")
        paths.append(path)
    return paths


def _whole_laws(folder: Path) -> list[Path]:
    """Whole laws, long enough that reading them takes seconds; each starts with a line
    break or two so that the upload's content check, which decodes the first 4,096 bytes,
    does not cut a character (issue 26, defect 1, mended elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in EXCERPTED:
        text = (LAWS / name).read_text(encoding="utf-8")
        data = next(d for d in ("\n" * pad + text for pad in range(3)) if _whole_head(d.encode("utf-8")))
        path = folder / name
        path.write_text(data, encoding="utf-8")
        paths.append(path)
    return paths


def _whole_head(data: bytes) -> bool:
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _upload(url: str, paths: list[Path]) -> dict:
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    response = httpx.post(f"{url}/api/documents", files=files, timeout=60)
    assert response.status_code == 202, response.text
    return response.json()


def _sources(url: str) -> list[str]:
    return sorted(d["source"] for d in httpx.get(f"{url}/api/documents", timeout=30).json()["documents"])


def _serve(home: Path) -> tuple[subprocess.Popen, str]:
    """``regkb serve`` in its own process, once it answers."""
    port = free_port()
    env = {**os.environ, "REGKB_HOME": str(home), "HAYSTACK_TELEMETRY_ENABLED": "False"}
    process = subprocess.Popen([sys.executable, "-m", "regkb.service.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server exited"
        time.sleep(0.3)
    process.kill()
    raise AssertionError("the server did not start")


def test_jobs_a_kill_9_interrupted_are_run_again_at_start_up(served_home, tmp_path):
    before = None
    process, url = _serve(served_home)
    try:
        before = _sources(url)
        excerpts = _excerpts(tmp_path / "files")
        first = _upload(url, excerpts[:2])
        second = _upload(url, excerpts[2:])
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    states = {job: _job_file(served_home, job)["status"] for job in (first["id"], second["id"])}
    assert set(states.values()) <= {"queued", "running"}, states  # the crash caught them unfinished
    process, url = _serve(served_home)
    try:
        finished = [wait_for_job(url, job) for job in (first["id"], second["id"])]
        after = _sources(url)
    finally:
        process.terminate()
        process.wait()
    assert [job["status"] for job in finished] == ["done", "done"], finished
    assert all(job["restarts"] == 1 for job in finished)
    assert after == sorted(before + [p.name for p in excerpts])


def _job_file(home: Path, job_id: str) -> dict:
    import json

    return json.loads((home / "jobs" / f"{job_id}.json").read_text(encoding="utf-8"))


def test_a_crashed_job_whose_files_are_gone_fails_visibly(served_home, tmp_path):
    from regkb.service.http.app import create_app
    from regkb.service.http.jobs import Job
    from regkb.service.settings import Settings

    (served_home / "jobs").mkdir(exist_ok=True)
    lost = Job(id="0123456789abcdef", status="running", files=["通知.md"], total=1, created=time.time())
    (served_home / "jobs" / f"{lost.id}.json").write_text(lost.model_dump_json(), encoding="utf-8")
    with live_server(create_app(Settings(home=served_home, show_progress=False))) as url:
        job = httpx.get(f"{url}/api/jobs/{lost.id}", timeout=30).json()
    assert job["status"] == "failed" and "请重新上传" in job["error"]


def test_queued_and_running_jobs_can_be_cancelled_and_store_nothing(served_home, tmp_path):
    from regkb.service.http.app import create_app
    from regkb.service.settings import Settings

    laws = _whole_laws(tmp_path / "files")
    with live_server(create_app(Settings(home=served_home, show_progress=False))) as url:
        before = _sources(url)
        running = _upload(url, laws[:3])
        queued = _upload(url, laws[3:])
        while httpx.get(f"{url}/api/jobs/{running['id']}", timeout=30).json()["status"] == "queued":
            time.sleep(0.05)
        answers = [httpx.delete(f"{url}/api/jobs/{job['id']}", timeout=30) for job in (queued, running)]
        finished = [wait_for_job(url, job["id"]) for job in (queued, running)]
        after = _sources(url)
        again = httpx.delete(f"{url}/api/jobs/{queued['id']}", timeout=30)
        unknown = httpx.delete(f"{url}/api/jobs/ffffffffffffffff", timeout=30)
    assert [a.status_code for a in answers] == [202, 202]
    assert [a.json()["status"] for a in answers] == ["cancelled", "running"]  # the second one was under way
    assert [job["status"] for job in finished] == ["cancelled", "cancelled"], finished
    assert after == before
    assert not (served_home / "uploads" / queued["id"]).exists()
    assert again.status_code == 409 and "无法取消" in again.json()["detail"]
    assert unknown.status_code == 404


@pytest.mark.parametrize("header", [{}, {"X-API-Key": "wrong"}])
def test_cancelling_needs_the_key(served_home, header):
    from regkb.service.http.app import ServiceSettings, create_app
    from regkb.service.settings import Settings

    app = create_app(Settings(home=served_home, show_progress=False), ServiceSettings(api_key="secret"))
    with live_server(app) as url:
        assert httpx.delete(f"{url}/api/jobs/ffffffffffffffff", headers=header, timeout=30).status_code == 401
