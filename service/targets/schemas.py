"""The contract's shapes for ``regkb targets``: printed by ``--json`` and served by the HTTP
API (``/api/targets``), so the two can never disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from regkb.corpus.models import Target


class TargetRow(BaseModel):
    """One region's value of an indicator in a comparison."""

    region: str | None
    level: str | None
    indicator: str
    value: str | None
    unit: str | None
    direction: str | None
    deadline: str | None
    source: str
    quote: str


class TargetsResponse(BaseModel):
    targets: list[Target] = Field(default_factory=list)
    compare: str | None = None  # the indicator word lined up across regions
    comparison: list[TargetRow] = Field(default_factory=list)


class TargetExport(BaseModel):
    path: str
    format: Literal["xlsx", "csv"]
    targets: int
