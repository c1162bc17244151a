"""The contract's shapes for "who owns what": ``regkb duties``, ``regkb department`` and
``regkb departments`` print these with ``--json``, and the HTTP API serves the same models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Role = Literal["lead", "responsible", "cooperating"]


class DutyMatch(BaseModel):
    task: str
    lead: list[str] = Field(default_factory=list)
    responsible: list[str] = Field(default_factory=list)
    cooperating: list[str] = Field(default_factory=list)
    source: str
    section_path: list[str] = Field(default_factory=list)
    text: str  # the task as the source writes it, with its parenthesis of departments
    score: float = 0.0
    inferred: bool = False  # read from a plan's prose rather than stated in a 分工方案 or table
    deadline: str | None = None
    evidence: str = ""


class DutiesResponse(BaseModel):
    query: str
    matches: list[DutyMatch]


class DepartmentTask(BaseModel):
    task: str
    role: Role
    source: str
    section_path: list[str] = Field(default_factory=list)
    inferred: bool = False
    deadline: str | None = None


class DepartmentCandidate(BaseModel):
    """One of the bodies a name fits when it fits several (two provinces' 应急管理厅)."""

    department: str
    region: str | None = None
    full_name: str  # the name with its region, e.g. 辽宁省应急管理厅
    tasks: int = 0


class DepartmentResponse(BaseModel):
    department: str
    aliases: list[str] = Field(default_factory=list)
    tasks: list[DepartmentTask]
    region: str | None = None  # the region of the documents that name it
    full_name: str | None = None
    # when the name fits bodies of several regions: those bodies, and no tasks until one is picked
    candidates: list[DepartmentCandidate] = Field(default_factory=list)


class DepartmentSummary(BaseModel):
    name: str
    aliases: list[str] = Field(default_factory=list)
    lead: int = 0
    responsible: int = 0
    cooperating: int = 0
    region: str | None = None
    full_name: str | None = None


class DepartmentsResponse(BaseModel):
    departments: list[DepartmentSummary]


class DutyExport(BaseModel):
    path: str
    format: Literal["xlsx", "csv"]
    duties: int
