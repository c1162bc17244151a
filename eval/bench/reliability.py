"""Faults injected into a real knowledge base: what the store held after, what the user saw.

    python -m regkb.eval.bench.reliability [--json]      (as root: it mounts a tmpfs and a read-only bind mount)

Each fault runs on a fresh copy of one small knowledge base (the 安全生产法), through the real
``regkb`` command and a real ``regkb serve`` process:

- kill -9 of the server while an upload's job runs, then a restart;
- a full disk: the store on a real tmpfs, filled up until a few hundred KB are left;
- a read-only store: a read-only bind mount of its folder;
- a second process on one Milvus Lite file;
- corrupt files (truncated docx, xlsx and pdf, a pdf that is not one, an empty file).

"Store after" is checked by opening the store again: documents, ``PRAGMA integrity_check``,
and whether the live index is the store's generation. Slow (minutes): not in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from regkb.eval.paths import shared_corpus

SHARED_CORPUS = shared_corpus()
BASE_LAW = SHARED_CORPUS / "laws" / "安全生产法(2021-06-10).md"
NEW_LAW = SHARED_CORPUS / "laws" / "生产安全事故应急条例(2019-02-17).md"
UNSEEN_DOCS = Path(__file__).resolve().parents[1] / "data" / "unseen" / "docs"
QUERY = "生产经营单位的主要负责人有哪些安全生产职责"


def _env(home: Path, **extra: str) -> dict:
    return {**os.environ, "REGKB_HOME": str(home), "HAYSTACK_TELEMETRY_ENABLED": "False", **extra}


def cli(home: Path, *args: str, **extra: str) -> dict:
    """One ``regkb … --json`` run: exit code, its JSON (or error) and stderr's last line."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "regkb.service.cli", *args, "--json"], env=_env(home, **extra),
                          capture_output=True, text=True, timeout=600)
    try:
        printed = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        printed = done.stdout[:200]
    lines = done.stderr.strip().splitlines()
    return {"code": done.returncode, "json": printed, "stderr": lines[-1] if lines else "",
            "traceback": "Traceback" in done.stderr, "seconds": round(time.perf_counter() - started, 1)}


def store_state(home: Path) -> dict:
    """What the store holds, read with SQLite directly, and whether the index agrees."""
    db = sqlite3.connect(f"{(home / 'regkb.sqlite').resolve().as_uri()}?mode=ro", uri=True)
    try:
        documents = [row[0] for row in db.execute("SELECT source FROM documents ORDER BY source")]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        generation = int((db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone() or [0])[0])
    finally:
        db.close()
    from regkb.index.search_index import SearchIndex

    return {"documents": documents, "integrity": integrity,
            "index_matches_store": SearchIndex.current_generation(home / "index") == generation}


class Server:
    """``regkb serve`` in its own process."""

    def __init__(self, home: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "regkb.service.cli", "serve", "--port", str(self.port)],
                                        env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError("regkb serve did not start")

    def upload(self, path: Path) -> httpx.Response:
        return httpx.post(f"{self.url}/api/documents", files={"files": (path.name, path.read_bytes())}, timeout=120)

    def job(self, job_id: str, seconds: float = 300) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            job = httpx.get(f"{self.url}/api/jobs/{job_id}", timeout=30).json()
            if job["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
                return job
            time.sleep(0.3)

    def stop(self, kill: bool = False) -> None:
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait()


def uploadable(path: Path, folder: Path) -> Path:
    """A copy of ``path`` whose first 4,096 bytes end on a character (the upload's content
    check decodes them; mended elsewhere, issue 26 defect 1)."""
    text = path.read_text(encoding="utf-8")
    data = next(d for d in ("\n" * pad + text for pad in range(4)) if _decodes(d.encode("utf-8")[:4096]))
    copy = folder / path.name
    copy.write_text(data, encoding="utf-8")
    return copy


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@contextlib.contextmanager
def mounted(*command: str, target: Path) -> Iterator[None]:
    subprocess.run(["mount", *command, str(target)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", str(target)], check=True)


# --- the faults -----------------------------------------------------------------------

def kill_9_mid_job(base: Path, work: Path) -> dict:
    home = shutil.copytree(base, work / "kill9")
    server = Server(home)
    job = server.upload(uploadable(NEW_LAW, work)).json()
    time.sleep(1.0)  # reading and embedding the file take seconds: it is under way
    at_kill = httpx.get(f"{server.url}/api/jobs/{job['id']}", timeout=30).json()["status"]
    server.stop(kill=True)
    crashed = store_state(home)
    server = Server(home)
    after = server.job(job["id"])
    server.stop()
    return {"fault": "kill -9 of regkb serve while an upload's job runs, then a restart",
            "store_after": f"after the kill: {len(crashed['documents'])} documents, integrity {crashed['integrity']}, "
                           f"index = store: {crashed['index_matches_store']}; after the restart: "
                           f"{len(store_state(home)['documents'])} documents",
            "user_saw": f"job {at_kill} at the kill; after the restart {after['status']} "
                        f"(restarts {after.get('restarts')}, {after.get('stage')})"}


def full_disk(base: Path, work: Path) -> list[dict]:
    mount = work / "tmpfs"
    mount.mkdir()
    size = sum(p.stat().st_size for p in base.rglob("*") if p.is_file()) + (6 << 20)
    rows = []
    with mounted("-t", "tmpfs", "-o", f"size={size}", "tmpfs", target=mount):
        home = shutil.copytree(base, mount / "kb")
        filler = mount / "filler"
        left = shutil.disk_usage(mount).free - (300 << 10)
        filler.write_bytes(b"\0" * max(0, left))
        before = store_state(home)
        ingest = cli(home, "ingest", str(NEW_LAW))
        search = cli(home, "search", QUERY, "-k", "1")
        after = store_state(home)
        rows.append({"fault": f"full disk (tmpfs, {shutil.disk_usage(mount).free >> 10} KB free): regkb ingest",
                     "store_after": f"{len(after['documents'])} documents (before {len(before['documents'])}), "
                                    f"integrity {after['integrity']}, index = store: {after['index_matches_store']}",
                     "user_saw": f"exit {ingest['code']}, {ingest['json']}; traceback: {ingest['traceback']}; "
                                 f"then regkb search: exit {search['code']}, "
                                 f"{len((search['json'] or {}).get('hits', []))} hit"})
        file = uploadable(NEW_LAW, work)
        server = Server(home)
        upload = server.upload(file)
        job = server.job(upload.json()["id"]) if upload.status_code == 202 else upload.json()
        server.stop()
        after = store_state(home)
        rows.append({"fault": "full disk: upload through regkb serve",
                     "store_after": f"{len(after['documents'])} documents, integrity {after['integrity']}, "
                                    f"index = store: {after['index_matches_store']}",
                     "user_saw": f"HTTP {upload.status_code}; " + (f"job {job['status']}: {job.get('error')}"
                                                                   if upload.status_code == 202 else job["detail"])})
    return rows


def read_only(base: Path, work: Path) -> list[dict]:
    home = shutil.copytree(base, work / "readonly")
    server = Server(home)
    rows = []
    with mounted("--bind", str(home), target=home):
        subprocess.run(["mount", "-o", "remount,ro,bind", str(home)], check=True)
        ingest = cli(home, "ingest", str(NEW_LAW))
        remove = cli(home, "remove", BASE_LAW.name)
        search = cli(home, "search", QUERY, "-k", "1")
        upload = server.upload(uploadable(NEW_LAW, work))
        delete = httpx.delete(f"{server.url}/api/documents/{BASE_LAW.name}", timeout=60)
        server.stop()
    after = store_state(home)
    store = f"{len(after['documents'])} documents, integrity {after['integrity']}"
    rows.append({"fault": "read-only store (ro bind mount): regkb ingest / remove / search", "store_after": store,
                 "user_saw": f"ingest exit {ingest['code']} {ingest['json']}; remove exit {remove['code']}; "
                             f"search exit {search['code']}, {len((search['json'] or {}).get('hits', []))} hit"})
    rows.append({"fault": "read-only store: POST /api/documents, DELETE /api/documents/…", "store_after": store,
                 "user_saw": f"HTTP {upload.status_code} / {delete.status_code}: {upload.json()['detail']}"})
    return rows


def second_milvus_lite_process(base: Path, work: Path) -> dict:
    uri = work / "milvus.db"
    migrate = cli(base, "migrate", "--to", "milvus", "--uri", str(uri))
    if migrate["code"]:
        raise RuntimeError(migrate)
    milvus = {"REGKB_BACKEND": "milvus", "REGKB_MILVUS_URI": str(uri)}
    cold = cli(base, "search", QUERY, "-k", "1", **milvus)
    cold_faiss = cli(base, "search", QUERY, "-k", "1")
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom regkb.index.backends.milvus import connect\n"
                               f"connect({str(uri)!r}); print('ready', flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True, env=_env(base))
    try:
        holder.stdout.readline()
        second = cli(base, "search", QUERY, "-k", "1", **milvus)
    finally:
        holder.kill()
        holder.wait()
    return {"fault": "a second process on one Milvus Lite file (regkb search while another holds it)",
            "store_after": "unchanged (nothing written)",
            "user_saw": f"exit {second['code']} after {second['seconds']} s: {(second['json'] or {}).get('error')}; "
                        f"traceback: {second['traceback']}",
            "cold_search_seconds": {"milvus_lite": cold["seconds"], "faiss": cold_faiss["seconds"]}}


def corrupt_files(base: Path, work: Path) -> dict:
    home = shutil.copytree(base, work / "corrupt")
    folder = work / "corrupt-files"
    folder.mkdir()
    for suffix in ("docx", "xlsx", "pdf"):  # real files of each kind, cut to a third
        data = next(UNSEEN_DOCS.glob(f"*.{suffix}")).read_bytes()
        (folder / f"截断.{suffix}").write_bytes(data[: len(data) // 3])
    (folder / "不是pdf.pdf").write_bytes(b"this is not a pdf\n" * 50)
    (folder / "空文件.md").write_bytes(b"")
    before = store_state(home)
    ingest = cli(home, "ingest", str(folder))
    after = store_state(home)
    errors = (ingest["json"] or {}).get("errors", [])
    return {"fault": "corrupt files (truncated docx, xlsx and pdf, a .pdf that is not one, an empty .md): regkb ingest",
            "store_after": f"{len(after['documents'])} documents (before {len(before['documents'])}), "
                           f"integrity {after['integrity']}, index = store: {after['index_matches_store']}",
            "user_saw": f"exit {ingest['code']}, {len(errors)} errors, e.g. {errors[0]['error'] if errors else '-'}; "
                        f"traceback: {ingest['traceback']}"}


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="regkb-faults-") as folder:
        work = Path(folder)
        base = work / "base"
        made = cli(base, "ingest", str(BASE_LAW))
        if made["code"]:
            raise RuntimeError(made)
        rows = [kill_9_mid_job(base, work), *full_disk(base, work), *read_only(base, work),
                second_milvus_lite_process(base, work), corrupt_files(base, work)]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("需要 root(挂载 tmpfs 与只读目录)", file=sys.stderr)
        return 2
    rows = run()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    print("| fault | store after | user saw |\n|---|---|---|")
    for row in rows:
        print(f"| {row['fault']} | {row['store_after']} | {row['user_saw']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
