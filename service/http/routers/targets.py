"""``GET /api/targets``: plan targets, filtered, or one indicator lined up across regions."""

from fastapi import APIRouter

from regkb.service.targets.schemas import TargetsResponse
from regkb.service.http.dependencies import Name, Serving

router = APIRouter(tags=["规划目标"])


@router.get("/api/targets", response_model=TargetsResponse)
def targets(kb: Serving, region: Name = None, indicator: Name = None, compare: Name = None):
    with kb.reading() as current:
        return current.targets(region=region, indicator=indicator, compare=compare)
