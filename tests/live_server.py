"""A real regkb HTTP server on loopback, in a thread of the test process, for clients that
need a socket (the ``openai`` client, a browser, locust)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import uvicorn


def copy_store(home: Path, target: Path) -> Path:
    """A private copy of a knowledge base folder (store, WAL and index), so a test may write to it."""
    shutil.copytree(home, target, ignore=shutil.ignore_patterns("jobs", "uploads", ".write.lock"))
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_server(app, startup_seconds: float = 120.0):
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name="regkb-live-server")
    thread.start()
    deadline = time.monotonic() + startup_seconds
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_for_job(url: str, job_id: str, seconds: float = 180.0) -> dict:
    """The job's report once it has ended (done, failed or cancelled)."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/api/jobs/{job_id}", timeout=30).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {seconds} s")
