"""The places of China regkb knows by name: one list for every layer (the metadata of an
ingested file, department names, the places a question names).

``data/regions.txt`` lists each provincial-level division by its short name (辽宁, 内蒙古)
with its prefecture-level cities (沈阳, 包头).

>>> PROVINCES[:5], len(PROVINCES)
(('北京', '天津', '上海', '重庆', '河北'), 34)
>>> place_parents()["湖州"], place_parents()["浙江"]
('浙江', None)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

MUNICIPALITIES = ("北京", "天津", "上海", "重庆")  # 直辖市: 北京市, a province's level
AUTONOMOUS_REGIONS = ("内蒙古", "广西", "西藏", "宁夏", "新疆")  # 自治区, named without 省


@lru_cache(maxsize=1)
def place_parents() -> dict[str, str | None]:
    """Every known short name → its province (None for a province itself)."""
    text = resources.files("regkb.corpus").joinpath("data", "regions.txt").read_text(encoding="utf-8")
    parents: dict[str, str | None] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        province, *cities = line.split()
        parents[province] = None
        for city in cities:
            parents.setdefault(city, province)
    return parents


PROVINCES = tuple(name for name, parent in place_parents().items() if parent is None)  # short names
