"""The candidate lists with no place asked: many places' copies of a matter leave slots to national rows."""

from __future__ import annotations

from regkb.index.hits import HitList
from regkb.index.legal_prior import LegalPriorRanker
from regkb.index.search_index import IndexRow

PLACES = ("辽宁省", "山东省", "浙江省")


def _rows(local_places: tuple[str, ...]) -> list[IndexRow]:
    local = [IndexRow(f"l{i}:00000", f"l{i}", f"{place}燃气管理条例.md", "regulation", place, "provincial",
                      authority="local_regulation") for i, place in enumerate(local_places)]
    national = [IndexRow(f"n{i}:00000", f"n{i}", "城镇燃气管理条例.md", "regulation", None, "national",
                         authority="administrative_regulation") for i in range(4)]
    return local + national


def test_local_rows_hold_at_most_their_share_and_national_rows_below_fill_the_rest():
    rows = _rows(PLACES * 10)  # 30 local rows of three places, then 4 national ones
    ranker = LegalPriorRanker(rows, [None, *PLACES])
    hits = HitList.ranked((row, 1.0 - row / 100) for row in range(len(rows)))
    assert ranker.widespread(hits)
    share = ranker.national_share(hits, 10, keep=frozenset({25}))
    # five local rows (half of ten), the four national rows from below them, then the kept row 25
    assert share.rows() == [0, 1, 2, 3, 4, 30, 31, 32, 33, 25]
    assert dict(share.pairs)[30] == hits.pairs[30][1]  # scores are not touched


def test_one_places_rules_are_not_widespread():
    rows = _rows(("辽宁省",) * 30)
    ranker = LegalPriorRanker(rows, [None, "辽宁省"])
    assert not ranker.widespread(HitList.ranked((row, 1.0 - row / 100) for row in range(len(rows))))
