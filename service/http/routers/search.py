"""``GET /api/search``: ranked passages for a query, with the contract's filters."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from regkb.corpus.models import Authority, DocType, Level
from regkb.index.search_index import SearchFilters
from regkb.service.http.dependencies import AsOf, Name, Serving, Text
from regkb.service.schemas import SearchResponse

router = APIRouter(tags=["检索"])


@router.get("/api/search", response_model=SearchResponse)
def search(kb: Serving, q: Text, k: Annotated[int, Query(ge=1, le=200)] = 10,
           mode: Literal["hybrid", "bm25", "dense"] = "hybrid", type: DocType | None = None,
           region: Name = None, level: Level | None = None, source: Name = None,
           authority: Authority | None = None, as_of: AsOf = None):
    filters = SearchFilters(doc_type=type and type.value, region=region, level=level and level.value,
                            source=source, authority=authority and authority.value)
    with kb.reading() as current:
        return current.search(q, k=k, mode=mode, filters=filters, as_of=as_of)
