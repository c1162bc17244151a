"""Background ingest: a job id at once, progress while it runs, the report when done.

Jobs run one after another on one thread, each on a side copy of the knowledge base
(``ServingKnowledgeBase.writing``): files are read one by one, so progress is real, and
the store and index are committed once, when the whole job has been read, then swapped in.
Each job's state is a JSON file in ``$REGKB_HOME/jobs/`` (written atomically), so any
worker process can report it.

A job can be cancelled while queued or running (``cancel``): a marker file beside its
state, seen by whichever process runs it between two files and before the commit; nothing
of it is stored. (A file being read is read to its end first.)
A job that a crash left queued or running is run again when the service starts (its
uploaded files are still in ``uploads/<job id>/``; a job is one commit, so running it again
is safe), or failed with a reason when its files are gone: never left waiting forever.
Each job names the process that runs it (``<id>.owner``), so that of several worker
processes starting together only one takes it up, and none takes a live worker's job.

>>> jobs = IngestJobs(serving)  # doctest: +SKIP
>>> job = jobs.submit([Path("uploads/x/安全生产法.md")])  # doctest: +SKIP
>>> jobs.get(job.id).status  # doctest: +SKIP
'running'
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from regkb.service.schemas import IngestReport
from regkb.service.http.serving import ServingKnowledgeBase
from regkb.service.validation import KnowledgeBaseError

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
STAGE_NAMES = {"queued": "排队中", "ingest": "解析与向量化", "index": "重建索引", "done": "已完成", "failed": "失败",
               "cancelling": "正在取消", "cancelled": "已取消", "resumed": "服务重启后重新排队"}
UNFINISHED = ("queued", "running")


class Job(BaseModel):
    id: str
    kind: Literal["ingest"] = "ingest"
    status: JobStatus = "queued"
    stage: str = STAGE_NAMES["queued"]  # in Chinese, for the page
    files: list[str] = Field(default_factory=list)
    done: int = 0  # files handled so far
    total: int = 0
    progress: float = 0.0  # 0–1
    report: IngestReport | None = None
    error: str | None = None
    created: float = 0.0
    finished: float | None = None
    restarts: int = 0  # times a crash of the service interrupted it and it was run again


class JobCancelled(Exception):
    """Raised between two files of a job whose cancellation was asked for."""


class JobNotCancellable(KnowledgeBaseError):
    """The job has already finished (HTTP 409)."""

    status = 409


class IngestJobs:
    def __init__(self, serving: ServingKnowledgeBase):
        self.serving = serving
        self.folder = serving.settings.home / "jobs"
        self.uploads = serving.settings.home / "uploads"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regkb-ingest")
        self._lock = threading.Lock()

    def submit(self, files: list[Path], job_id: str | None = None) -> Job:
        job = Job(id=job_id or new_job_id(), files=[f.name for f in files], total=len(files), created=time.time())
        self._save(job)
        self._own(job)
        self._executor.submit(self._run, job, files)
        return job

    def get(self, job_id: str) -> Job | None:
        if not job_id.isalnum():
            return None
        path = self.folder / f"{job_id}.json"
        try:
            return Job.model_validate_json(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, OSError):
            return None

    def cancel(self, job_id: str) -> Job | None:
        """Ask a queued or running job to stop; None when there is no such job."""
        job = self.get(job_id)
        if job is None:
            return None
        if job.status not in UNFINISHED:
            raise JobNotCancellable(f"任务已结束（{STAGE_NAMES.get(job.status, job.status)}），无法取消")
        self._marker(job.id).touch()
        if job.status == "queued":  # not started: it ends now (its runner skips it)
            self._end_cancelled(job)
        else:
            self._save(job, stage=STAGE_NAMES["cancelling"], unless_finished=True)
        return job

    def resume_interrupted(self) -> list[Job]:
        """Take up the jobs a crash left queued or running: run them again, or fail them
        when their uploaded files are gone. Returns the jobs taken up."""
        taken: list[Job] = []
        try:
            lock = open(self.folder / ".resume.lock", "w")
        except OSError:  # a read-only store: nothing can be run again, and searches still work
            return taken
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # worker processes starting together: one at a time
            for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
                job = self.get(path.stem)
                if job is None or job.status not in UNFINISHED or self._owner_alive(job):
                    continue
                files = [self.uploads / job.id / name for name in job.files]
                if self._marker(job.id).exists():
                    self._end_cancelled(job)
                elif files and all(f.is_file() for f in files):
                    self._update(job, status="queued", stage=STAGE_NAMES["resumed"], done=0, progress=0.0,
                                 restarts=job.restarts + 1)
                    self._own(job)
                    self._executor.submit(self._run, job, files)
                else:
                    self._update(job, status="failed", stage=STAGE_NAMES["failed"], finished=time.time(),
                                 error="导入失败：服务在导入时中断，上传的文件已不在，请重新上传")
                taken.append(job)
        return taken

    def _run(self, job: Job, files: list[Path]) -> None:
        if self._marker(job.id).exists():
            return self._end_cancelled(job)
        started = time.perf_counter()
        try:
            with self.serving.writing() as kb:
                self._check_cancelled(job)
                self._update(job, status="running", stage=STAGE_NAMES["ingest"])
                report = kb.ingest(files, checkpoint=lambda read: self._files_read(job, read))
                self._update(job, stage=STAGE_NAMES["index"])
                kb.index  # noqa: B018  (built with the commit; loaded here, not on the first request after the swap)
        except JobCancelled:
            return self._end_cancelled(job)
        except Exception as exc:  # the job must end with a state, whatever failed
            self._update(job, status="failed", stage=STAGE_NAMES["failed"], error=f"导入失败：{exc}",
                         finished=time.time())
            return
        report.seconds = round(time.perf_counter() - started, 2)
        self._update(job, status="done", stage=STAGE_NAMES["done"], progress=1.0, report=report, finished=time.time())

    def _files_read(self, job: Job, read: int) -> None:
        self._check_cancelled(job)
        # the embedding, the commit and the index build after the last file are the rest of the work
        self._update(job, done=read, progress=round(0.9 * read / max(1, job.total), 3))

    def _check_cancelled(self, job: Job) -> None:
        if self._marker(job.id).exists():
            raise JobCancelled(job.id)

    def _end_cancelled(self, job: Job) -> None:
        self._update(job, status="cancelled", stage=STAGE_NAMES["cancelled"], finished=time.time())
        shutil.rmtree(self.uploads / job.id, ignore_errors=True)  # its files will not be imported

    def _marker(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.cancel"

    def _own(self, job: Job) -> None:
        (self.folder / f"{job.id}.owner").write_text(str(os.getpid()), encoding="utf-8")

    def _owner_alive(self, job: Job) -> bool:
        """Whether another live process runs the job (after a crash, its owner is gone)."""
        try:
            pid = int((self.folder / f"{job.id}.owner").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if pid == os.getpid():  # a restarted container may give the new server its old pid
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def _update(self, job: Job, **changes) -> None:
        self._save(job, **changes)

    def _save(self, job: Job, unless_finished: bool = False, **changes) -> None:
        """Write the job; with ``unless_finished``, only while the stored copy is unfinished (a
        canceller holds a copy read earlier, and the runner may have ended the job since)."""
        with self._lock:
            if unless_finished and (self.get(job.id) or job).status not in UNFINISHED:
                return
            for name, value in changes.items():
                setattr(job, name, value)
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".job-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(job.model_dump_json())
            os.replace(temp, self.folder / f"{job.id}.json")

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)


def new_job_id() -> str:
    return uuid.uuid4().hex[:16]
