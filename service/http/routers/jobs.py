"""``/api/jobs/{job_id}``: an upload's ingest job, read or cancelled."""

from pathlib import Path

from fastapi import APIRouter, Depends

from regkb.service.http.dependencies import WRITE_ERRORS, Jobs, require_key
from regkb.service.http.jobs import Job
from regkb.service.validation import NotFoundError

router = APIRouter(tags=["文档"])

MAX_JOB_ID_CHARS = 64  # ids are 16 hex digits; a longer one is not looked up (nor made a file name)


@router.get("/api/jobs/{job_id}", response_model=Job)
def job(jobs: Jobs, job_id: str):
    found = jobs.get(job_id) if len(job_id) <= MAX_JOB_ID_CHARS else None
    if found is None:
        raise NotFoundError(f"没有这个任务：{job_id[:40]}")
    for error in found.report.errors if found.report else ():
        error.path = Path(error.path).name  # the upload folder on the server is no caller's business
    return found


@router.delete("/api/jobs/{job_id}", response_model=Job, status_code=202, responses=WRITE_ERRORS,
               dependencies=[Depends(require_key)])
def cancel_job(jobs: Jobs, job_id: str):
    """Cancel a queued or running ingest: nothing of it is stored; the job ends ``cancelled``."""
    found = jobs.cancel(job_id)
    if found is None:
        raise NotFoundError(f"没有这个任务：{job_id[:40]}")
    return found
