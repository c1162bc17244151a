"""Background ingest: a job id at once, progress while it runs, the report when done.

Jobs run one after another on one thread, each on a side copy of the knowledge base
(``ServingKnowledgeBase.writing``): files are ingested one by one, so progress is real, and
the new index is swapped in only when the whole job has finished. Each job's state is a
JSON file in ``$REGKB_HOME/jobs/`` (written atomically), so any worker process can report it.

>>> jobs = IngestJobs(serving)  # doctest: +SKIP
>>> job = jobs.submit([Path("uploads/x/安全生产法.md")])  # doctest: +SKIP
>>> jobs.get(job.id).status  # doctest: +SKIP
'running'
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from regkb.service.schemas import IngestReport
from regkb.service.serving import ServingKnowledgeBase

JobStatus = Literal["queued", "running", "done", "failed"]
STAGE_NAMES = {"queued": "排队中", "ingest": "解析与向量化", "index": "重建索引", "done": "已完成", "failed": "失败"}


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


def merge_reports(total: IngestReport, part: IngestReport) -> None:
    for name in ("added", "updated", "unchanged", "chunks", "duties", "targets", "embedded"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.errors.extend(part.errors)
    total.documents = part.documents
    total.embed_seconds = round(total.embed_seconds + part.embed_seconds, 2)


class IngestJobs:
    def __init__(self, serving: ServingKnowledgeBase):
        self.serving = serving
        self.folder = serving.settings.home / "jobs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="regkb-ingest")
        self._lock = threading.Lock()

    def submit(self, files: list[Path], job_id: str | None = None) -> Job:
        job = Job(id=job_id or new_job_id(), files=[f.name for f in files], total=len(files), created=time.time())
        self._save(job)
        self._executor.submit(self._run, job, files)
        return job

    def get(self, job_id: str) -> Job | None:
        if not job_id.isalnum():
            return None
        path = self.folder / f"{job_id}.json"
        try:
            return Job.model_validate_json(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _run(self, job: Job, files: list[Path]) -> None:
        started = time.perf_counter()
        report = IngestReport()
        try:
            with self.serving.writing() as kb:
                self._update(job, status="running", stage=STAGE_NAMES["ingest"])
                for path in files:
                    merge_reports(report, kb.ingest([path]))
                    # the index build after the last file is the rest of the work
                    self._update(job, done=job.done + 1, progress=round(0.9 * (job.done + 1) / max(1, job.total), 3))
                self._update(job, stage=STAGE_NAMES["index"])
                kb.index  # noqa: B018  (build it here, not on the first request after the swap)
        except Exception as exc:  # the job must end with a state, whatever failed
            self._update(job, status="failed", stage=STAGE_NAMES["failed"], error=f"导入失败：{exc}",
                         finished=time.time())
            return
        report.seconds = round(time.perf_counter() - started, 2)
        self._update(job, status="done", stage=STAGE_NAMES["done"], progress=1.0, report=report, finished=time.time())

    def _update(self, job: Job, **changes) -> None:
        for name, value in changes.items():
            setattr(job, name, value)
        self._save(job)

    def _save(self, job: Job) -> None:
        with self._lock:
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".job-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(job.model_dump_json())
            os.replace(temp, self.folder / f"{job.id}.json")

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)


def new_job_id() -> str:
    return uuid.uuid4().hex[:16]
