"""题库体检 on a shelf where another regulation on the same subject fills the first search places:
the 大型群众性活动安全管理条例 (and 北京's) beside the 消防法, whose 第二十条 settles a 判断 on the
permit but ranks behind a dozen articles of the regulations. A question the first articles leave
open is read again against a deeper search."""

from __future__ import annotations

import json

import pytest

from conftest import LAWS, SHARED_CORPUS, pooled_ingest

LIBRARY = SHARED_CORPUS / "library"
# 消防法第二十条: 举办大型群众性活动，承办人应当依法向公安机关申请安全许可
NO_PERMIT = "举办大型群众性活动，承办人无需向公安机关申请安全许可。"


@pytest.fixture(scope="module")
def events_kb(tmp_path_factory):
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    kb = KnowledgeBase.open(Settings(home=tmp_path_factory.mktemp("events_kb"), show_progress=False))
    report = pooled_ingest(kb, [LAWS / "消防法(2021-04-29).md", LIBRARY / "大型群众性活动安全管理条例(2007-09-14).md",
                        LIBRARY / "北京市大型群众性活动安全管理条例.md"])
    assert report.errors == [] and report.added == 3
    return kb


@pytest.mark.slow
def test_the_deciding_article_behind_the_first_hits_is_read(events_kb, tmp_path):
    from regkb.service.exams.bank_audit import SEARCH_K

    # the premise: the 消防法 article is not among the first SEARCH_K hits
    first = events_kb.search(NO_PERMIT, k=SEARCH_K).hits
    assert all("消防法" not in (hit.title or "") for hit in first)
    solved = events_kb.solve(NO_PERMIT, kind="judge")
    assert (solved.answer, solved.title, solved.article) == ("false", "中华人民共和国消防法", "第二十条")
    bank = tmp_path / "bank.json"
    bank.write_text(json.dumps({"questions": [{"type": "judge", "options": [], "answer": "false", "stem": NO_PERMIT}]},
                               ensure_ascii=False), encoding="utf-8")
    assert events_kb.check_exam(bank, report=False).results[0].verdict == "agrees"
