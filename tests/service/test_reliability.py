"""Faults a deployment meets: a full disk, a read-only store (issue 26, defects 6 and 7).

The full disk is simulated at the OS layer: ``os.fsync``, which every index file goes
through before it is renamed into place, fails with ENOSPC, as it does on a real full disk
when the filesystem allocates blocks late (ext4, xfs). ``eval/bench/reliability.py`` fills a real
tmpfs instead. The read-only store is a read-only bind mount when the tests run as root
(root writes through permission bits), else permission bits.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from conftest import LAWS
from live_server import live_server, wait_for_job

pytestmark = pytest.mark.slow  # faults under real regkb processes

NEW_LAW = LAWS / "安全生产许可证条例(2014-07-29).md"
_real_fsync = os.fsync


def _disk_full(fd: int) -> None:
    """``os.fsync`` on a disk that filled up while the index was written (uploads still fit)."""
    if "/index/" not in os.readlink(f"/proc/self/fd/{fd}"):
        return _real_fsync(fd)
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _open(home: Path):
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    return KnowledgeBase.open(Settings(home=home, show_progress=False), create=False)


def _state(home: Path) -> tuple[list[str], int, int | None]:
    """The documents, the store's generation and the live index's."""
    from regkb.index.search_index import SearchIndex

    kb = _open(home)
    try:
        return [d.source for d in kb.store.documents()], kb.store.generation, SearchIndex.current_generation(home / "index")
    finally:
        kb.store.close()


def test_full_disk_while_the_index_is_written_leaves_store_and_index_as_they_were(served_home, monkeypatch):
    from regkb.service.storage_errors import StorageFullError

    before = _state(served_home)
    kb = _open(served_home)
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(StorageFullError, match="磁盘空间不足"):
        kb.ingest([NEW_LAW])
    monkeypatch.setattr(os, "fsync", _real_fsync)
    assert _state(served_home) == before
    assert not [p.name for p in (served_home / "index").iterdir() if p.name.endswith(".tmp")]
    hits = _open(served_home).search("主要负责人的安全生产职责", k=3).hits
    assert hits and {h.source for h in hits} <= set(before[0])


def _cli(*args: str) -> tuple[int, dict | None]:
    from regkb.service.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--json"])
    printed = out.getvalue().strip()
    return code, json.loads(printed) if printed else None


def test_cli_on_a_full_disk_says_so_and_search_keeps_the_last_good_index(served_home, monkeypatch):
    monkeypatch.setenv("REGKB_HOME", str(served_home))
    before = _state(served_home)
    monkeypatch.setattr(os, "fsync", _disk_full)
    code, printed = _cli("ingest", str(NEW_LAW))
    monkeypatch.setattr(os, "fsync", _real_fsync)
    assert code != 0 and printed["error"].startswith("磁盘空间不足")
    assert _state(served_home) == before
    code, printed = _cli("search", "主要负责人的安全生产职责", "-k", "3")
    assert code == 0 and printed["hits"]


def test_upload_on_a_full_disk_fails_the_job_in_chinese_and_stores_nothing(served_home, monkeypatch, tmp_path):
    from regkb.service.http.app import create_app
    from regkb.service.settings import Settings

    before = _state(served_home)
    with live_server(create_app(Settings(home=served_home, show_progress=False))) as url:
        monkeypatch.setattr(os, "fsync", _disk_full)
        excerpt = _excerpt(tmp_path)
        with excerpt.open("rb") as handle:
            job = httpx.post(f"{url}/api/documents", files={"files": (excerpt.name, handle)}, timeout=60).json()
        report = wait_for_job(url, job["id"])
        monkeypatch.setattr(os, "fsync", _real_fsync)
        documents = httpx.get(f"{url}/api/documents", timeout=30).json()["documents"]
    assert report["status"] == "failed" and report["error"].startswith("导入失败：磁盘空间不足")
    assert "faiss" not in report["error"] and str(served_home) not in report["error"]
    assert sorted(d["source"] for d in documents) == sorted(before[0])
    assert _state(served_home) == before  # and after a restart: nothing committed behind the index


def _excerpt(tmp_path: Path) -> Path:
    """The start of a law, small enough for the upload's content check."""
    path = tmp_path / "许可证条例节选.md"
    path.write_text(NEW_LAW.read_text(encoding="utf-8")[:1200], encoding="utf-8")
    return path


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` cannot be written for the length of the block."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for path in modes:
            path.chmod(modes[path] & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    if subprocess.run(["mount", "--bind", folder, folder], capture_output=True).returncode:
        pytest.skip("cannot mount here (root without CAP_SYS_ADMIN)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", folder], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", "--lazy", folder], check=True)  # lazy: this process may hold files open


def test_read_only_store_cli_says_so_in_one_line(served_home, monkeypatch):
    monkeypatch.setenv("REGKB_HOME", str(served_home))
    before = _state(served_home)
    with read_only(served_home):
        for command in (["ingest", str(NEW_LAW)], ["remove", "安全生产法(2021-06-10).md"]):
            code, printed = _cli(*command)
            assert code != 0 and printed["error"].startswith("知识库目录是只读的"), (command, printed)
    assert _state(served_home) == before


def test_read_only_store_http_writes_get_403(served_home, tmp_path):
    from regkb.service.http.app import create_app
    from regkb.service.settings import Settings

    before = _state(served_home)
    excerpt = _excerpt(tmp_path)
    with live_server(create_app(Settings(home=served_home, show_progress=False))) as url, read_only(served_home):
        with excerpt.open("rb") as handle:
            upload = httpx.post(f"{url}/api/documents", files={"files": (excerpt.name, handle)}, timeout=60)
        delete = httpx.delete(f"{url}/api/documents/{before[0][0]}", timeout=60)
        search = httpx.get(f"{url}/api/search", params={"q": "主要负责人的安全生产职责", "k": 3}, timeout=60)
    assert upload.status_code == 403 and upload.json()["detail"].startswith("知识库目录是只读的")
    assert delete.status_code == 403 and delete.json()["detail"].startswith("知识库目录是只读的")
    assert search.status_code == 200 and search.json()["hits"]
    assert _state(served_home) == before


def test_a_second_process_on_one_milvus_lite_file_is_told_who_holds_it(tmp_path):
    """Issue 26, defect 11: one line naming the holder's pid and what to do, no traceback."""
    import sys

    uri = tmp_path / "milvus.db"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from regkb.index.backends.milvus import connect\n"
                               f"connect({str(uri)!r}); print('ready', flush=True); time.sleep(300)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        env = {**os.environ, "REGKB_HOME": str(tmp_path / "home"), "REGKB_BACKEND": "milvus",
               "REGKB_MILVUS_URI": str(uri), "HAYSTACK_TELEMETRY_ENABLED": "False"}
        second = subprocess.run([sys.executable, "-m", "regkb.service.cli", "search", "安全生产", "--json"], env=env,
                                capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode != 0 and "Traceback" not in second.stderr
    error = json.loads(second.stdout)["error"]
    assert f"进程 {holder.pid}" in error and "Milvus 服务器" in error
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
