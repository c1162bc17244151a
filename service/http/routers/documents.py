"""Documents: the list, uploads (ingested as a background job), removal, the versions of a law
and what changed between two, and a chunk opened in its document (tagged with search, where
the page finds it)."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from regkb.service.http.dependencies import (MAX_UPLOAD_FILES, WRITE_ERRORS, AsOf, Jobs, KbSettings, Key, Limits, Name,
                                             Serving, Text, require_key)
from regkb.service.http.jobs import Job, new_job_id
from regkb.service.http.uploads import UploadError, save_uploads
from regkb.service.schemas import ChunkContext, DiffResponse, DocumentsResponse, RemoveResponse, VersionsResponse
from regkb.service.validation import MAX_NAME_CHARS, NotFoundError

router = APIRouter()
DOCUMENTS = ["文档"]


@router.get("/api/versions", response_model=VersionsResponse, tags=DOCUMENTS)
def versions(kb: Serving, title: Text, as_of: AsOf = None):
    with kb.reading() as current:
        return current.versions(title, as_of=as_of)


@router.get("/api/diff", response_model=DiffResponse, tags=DOCUMENTS)
def diff(kb: Serving, title: Text, old: Name = None, new: Name = None, as_of: AsOf = None):
    with kb.reading() as current:
        return current.diff(title, old, new, as_of=as_of)


@router.get("/api/chunks/{chunk_id}", response_model=ChunkContext, tags=["检索"])
def chunk(kb: Serving, chunk_id: str, around: Annotated[int, Query(ge=0, le=5)] = 1):
    with kb.reading() as current:
        return current.chunk_context(chunk_id, around)


@router.get("/api/documents", response_model=DocumentsResponse, tags=DOCUMENTS)
def documents(kb: Serving, request: Request, key: Key, as_of: AsOf = None):
    with kb.reading() as current:
        listed = current.documents(as_of=as_of)
    if not key.proven(request.headers):  # where a file lay on the server is for the key holder
        for document in listed.documents:
            document.path = None
    return listed


@router.post("/api/documents", response_model=Job, status_code=202, tags=DOCUMENTS, responses=WRITE_ERRORS,
             dependencies=[Depends(require_key)])
def upload(jobs: Jobs, settings: KbSettings, limits: Limits,
           files: Annotated[list[UploadFile], File(description="txt md docx xlsx pdf html")]):
    if not files or len(files) > MAX_UPLOAD_FILES:
        raise UploadError(f"一次请上传 1 到 {MAX_UPLOAD_FILES} 个文件")
    job_id = new_job_id()
    saved = save_uploads([(f.file, f.filename or "") for f in files], settings.home / "uploads" / job_id,
                         limits.max_upload_bytes)
    return jobs.submit(saved, job_id)


@router.delete("/api/documents/{doc_id}", response_model=RemoveResponse, tags=DOCUMENTS, responses=WRITE_ERRORS,
               dependencies=[Depends(require_key)])
def remove(kb: Serving, doc_id: str):
    with kb.writing(wait=False) as side:
        if not side.has_document(doc_id):
            raise NotFoundError(f"没有这个文档：{doc_id[:MAX_NAME_CHARS]}")
        return side.remove(doc_id)
