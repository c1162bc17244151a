"""``GET /healthz``: the service is up, with the store's document count and generation."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from regkb.service.http.dependencies import Serving

router = APIRouter(tags=["服务"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    documents: int
    generation: int


@router.get("/healthz", response_model=Health)
def healthz(kb: Serving) -> Health:
    with kb.reading() as current:
        return Health(documents=current.document_count(), generation=current.generation)
