"""Who owns what: ``/api/duties`` (duties for a task), ``/api/departments`` and one department's tasks."""

from typing import Annotated

from fastapi import APIRouter, Query

from regkb.service.duties.schemas import DepartmentResponse, DepartmentsResponse, DutiesResponse
from regkb.service.http.dependencies import Name, Serving, Text
from regkb.service.validation import MAX_NAME_CHARS, NotFoundError

router = APIRouter(tags=["部门分工"])


@router.get("/api/duties", response_model=DutiesResponse)
def duties(kb: Serving, q: Text, k: Annotated[int, Query(ge=1, le=200)] = 5):
    with kb.reading() as current:
        return current.duties(q, k=k)


@router.get("/api/departments", response_model=DepartmentsResponse)
def departments(kb: Serving):
    with kb.reading() as current:
        return current.departments()


@router.get("/api/departments/{name}", response_model=DepartmentResponse)
def department(kb: Serving, name: str, region: Name = None):
    if not name.strip() or len(name) > MAX_NAME_CHARS:
        raise NotFoundError(f"没有这个部门：{name[:MAX_NAME_CHARS]}")
    with kb.reading() as current:
        return current.department(name, region=region)
