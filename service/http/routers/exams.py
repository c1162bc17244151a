"""Exams: ``GET /api/exam`` (a paper, as JSON, Word or Excel), ``POST /api/exam/solve`` (one
question answered from the articles) and ``POST /api/exam/check`` (an uploaded bank checked)."""

import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from regkb.service.exams.schemas import ExamCheckResponse, ExamResponse, ExamSolveResponse
from regkb.service.http.dependencies import AsOf, Limits, Name, Serving
from regkb.service.http.uploads import save_upload

router = APIRouter(tags=["组卷"])

MAX_STEM_CHARS = 500  # an exam question; solving costs one search per option, so longer is refused
EXAM_TYPES = ("single", "multi", "judge", "blank")
BANK_SUFFIXES = (".xlsx", ".csv", ".json")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SolveRequest(BaseModel):
    stem: str = Field(min_length=1, max_length=MAX_STEM_CHARS, description="题干")
    options: list[Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=10, description="选项")
    type: Literal["single", "multi", "judge", "blank"] | None = Field(None, description="题型(省略时由题干和选项推断)")


@router.get("/api/exam", response_model=ExamResponse,
            responses={200: {"content": {DOCX: {}, XLSX: {}}, "description": "试卷（JSON），或 Word / Excel 文件"}})
def exam(kb: Serving, count: Annotated[int, Query(ge=1, le=100)] = 20,
         types: Annotated[str, Query(max_length=40, description="题型，逗号分隔：single,multi,judge,blank")] =
         "single,multi,judge,blank",
         source: Name = None, topic: Name = None, seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
         format: Literal["json", "docx", "xlsx"] = "json", as_of: AsOf = None):
    wanted = [t.strip() for t in types.split(",") if t.strip()]
    if not wanted or any(t not in EXAM_TYPES for t in wanted):
        raise HTTPException(422, f"题型应为 {'、'.join(EXAM_TYPES)} 中的一个或几个，用逗号分隔")
    with kb.reading() as current:
        paper = current.exam(count=count, types=wanted, source=source, topic=topic, seed=seed, as_of=as_of)
    if format == "json":
        return paper
    return exam_file(paper, format)


@router.post("/api/exam/solve", response_model=ExamSolveResponse)
def solve(kb: Serving, body: SolveRequest):
    with kb.reading() as current:
        return current.solve(body.stem, body.options, body.type)


@router.post("/api/exam/check", response_model=ExamCheckResponse,
             responses={200: {"content": {XLSX: {}}, "description": "体检结果；format=xlsx 时为 Excel 报告"}})
def check_exam(kb: Serving, limits: Limits,
               file: Annotated[UploadFile, File(description="题库：xlsx、csv 或 JSON")],
               format: Annotated[Literal["json", "xlsx"], Query(description="json 结果或 xlsx 报告")] = "json",
               as_of: AsOf = None):
    with tempfile.TemporaryDirectory(prefix="regkb-bank-") as folder:
        path = save_upload(file.file, file.filename or "", Path(folder), limits.max_upload_bytes, BANK_SUFFIXES)
        with kb.reading() as current:
            response = current.check_exam(path, report=format == "xlsx", as_of=as_of)
        if format == "json":
            return response
        content = Path(response.report).read_bytes()
    return attachment(content, XLSX, "report.xlsx", f"{Path(file.filename or '题库').stem}.体检.xlsx")


def exam_file(paper: ExamResponse, format: str) -> Response:
    """A paper as a Word or Excel download (written by the exam module, read back, sent)."""
    from regkb.service.exams.export import write_paper

    with tempfile.TemporaryDirectory(prefix="regkb-exam-") as folder:
        path = Path(folder) / f"exam.{format}"
        write_paper(paper.questions, path)
        content = path.read_bytes()
    return attachment(content, DOCX if format == "docx" else XLSX, f"exam.{format}", f"安全生产试卷.{format}")


def attachment(content: bytes, media_type: str, ascii_name: str, name: str) -> Response:
    """A file download, named ``name`` (UTF-8) for clients that read it and ``ascii_name`` for the rest."""
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"})
