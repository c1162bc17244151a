"""Versions and validity on a real store holding two versions of one regulation (the Shanghai
student-injury regulation of 2001/2011 and its 2024 amendment), the 安全生产法 and two provinces'
safety regulations that restate its articles: status on a day, the text in force first,
``--as-of``, versions and diff in the CLI and the API, restatements folded, a bank key that
only a replaced text supports, and a store written before the new columns."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from conftest import SAFETY_LAW, SHARED_CORPUS, pooled_ingest
from regkb.service.http.app import ServiceSettings, create_app
from regkb.service.cli import main
from regkb.service.settings import Settings
from regkb.service.validation import KnowledgeBaseError

LIBRARY = SHARED_CORPUS / "library"
OLD = "上海市中小学校学生伤害事故处理条例.md"
NEW = "上海市中小学校学生伤害事故处理条例(2024-12-31).md"
TITLE = "上海市中小学校学生伤害事故处理条例"
REPORT_QUESTION = "学生伤害事故发生后学校应当在多长时间内报告"
DEMO_QUESTION = "生产经营单位主要负责人有哪些安全生产职责"


@pytest.fixture(scope="module")
def versions_kb(tmp_path_factory):
    from regkb.service.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.open(Settings(home=tmp_path_factory.mktemp("versions_kb"), show_progress=False))
    report = pooled_ingest(kb, [LIBRARY / OLD, LIBRARY / NEW, SAFETY_LAW, LIBRARY / "山东省安全生产条例(2021-12-03).md",
                        LIBRARY / "重庆市安全生产条例(2015-12-08).md"])
    assert report.errors == [] and report.added == 5
    return kb


def run_cli(home, monkeypatch, capsys, *argv) -> tuple[int, dict]:
    monkeypatch.setenv("REGKB_HOME", str(home))
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_version_dates_come_from_the_file_name_the_history_and_the_effective_article():
    from regkb.ingest.pipeline import parse_file

    beijing = parse_file(LIBRARY / "北京市安全生产条例.md").meta  # no date in the name: the latest amendment
    assert (beijing.date, beijing.effective) == ("2016-11-25", "2016-11-25")
    shanghai = parse_file(LIBRARY / OLD).meta  # no history at all: "自2001年9月1日起施行"
    assert (shanghai.date, shanghai.effective) == (None, "2001-09-01")
    mineral = parse_file(LIBRARY / "矿产资源法(2024-11-08).md").meta  # revised, in force from a later day
    assert (mineral.date, mineral.effective) == ("2024-11-08", "2025-07-01")


@pytest.mark.slow
def test_status_today_and_on_an_earlier_day(versions_kb):
    today = {v.source: (v.status, v.status_name) for v in versions_kb.versions(TITLE).versions}
    assert today == {OLD: ("amended", "已被修订"), NEW: ("in_force", "现行有效")}
    before = {v.source: v.status for v in versions_kb.versions(TITLE, as_of="2020-01-01").versions}
    assert before == {OLD: "in_force", NEW: "not_yet_effective"}
    documents = {d.source: d.status for d in versions_kb.documents().documents}
    assert documents[OLD] == "amended" and documents[SAFETY_LAW.name] == "in_force"


@pytest.mark.slow
def test_search_gives_the_text_in_force_and_as_of_the_old_one(versions_kb):
    hits = versions_kb.search(REPORT_QUESTION, k=10).hits
    assert (hits[0].source, hits[0].article, hits[0].status) == (NEW, "第十三条", "in_force")
    assert OLD not in {h.source for h in hits}
    then = versions_kb.search(REPORT_QUESTION, k=10, as_of="2015-01-01").hits
    assert (then[0].source, then[0].article, then[0].status_name) == (OLD, "第十五条", "现行有效")
    assert NEW not in {h.source for h in then}


@pytest.mark.slow
def test_ask_cites_the_text_in_force_with_its_status(versions_kb):
    answer = versions_kb.ask(REPORT_QUESTION)
    assert (answer.citations[0].source, answer.citations[0].status) == (NEW, "in_force")
    assert "区教育行政部门" in answer.citations[0].quote
    then = versions_kb.ask(REPORT_QUESTION, as_of="2015-01-01")
    assert then.citations[0].source == OLD and "区、县教育行政部门" in then.citations[0].quote


@pytest.mark.slow
def test_bad_as_of_is_a_chinese_error(versions_kb):
    with pytest.raises(KnowledgeBaseError, match="YYYY-MM-DD"):
        versions_kb.search(REPORT_QUESTION, as_of="2019-13-01")


@pytest.mark.slow
def test_diff_lines_up_changed_added_removed_and_renumbered_articles(versions_kb, monkeypatch, capsys):
    code, diff = run_cli(versions_kb.settings.home, monkeypatch, capsys, "diff", TITLE)
    assert code == 0 and (diff["old"]["source"], diff["new"]["source"]) == (OLD, NEW)
    changes = {(c["change"], c["old_article"], c["new_article"]) for c in diff["articles"]}
    assert ("changed", "第十五条", "第十三条") in changes  # 区、县 → 区
    assert ("added", None, "第十一条") in changes  # the 民法典 article
    assert ("renumbered", "第十四条", "第十二条") in changes
    assert not any(c[1] == "第五条" for c in changes)  # only its punctuation's width changed
    assert diff["unchanged"] > 0
    code, by_date = run_cli(versions_kb.settings.home, monkeypatch, capsys, "diff", TITLE, "2001", "2024")
    assert code == 0 and by_date["articles"] == diff["articles"]


@pytest.mark.slow
def test_versions_and_diff_errors(versions_kb, monkeypatch, capsys):
    monkeypatch.setenv("REGKB_HOME", str(versions_kb.settings.home))
    assert main(["diff", "安全生产法"]) == 2
    assert "只有一个版本" in capsys.readouterr().err
    assert main(["versions", "没有这部法规"]) == 2
    assert "没有找到" in capsys.readouterr().err
    assert main(["diff", TITLE, "2001"]) == 2
    assert main(["search", REPORT_QUESTION, "--as-of", "昨天"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.slow
def test_national_article_leads_and_local_restatements_fold_under_it(versions_kb):
    hits = versions_kb.search(DEMO_QUESTION, k=10).hits
    assert (hits[0].title, hits[0].article) == ("中华人民共和国安全生产法", "第二十一条")
    assert "山东省" in {c.region for c in hits[0].local_copies}
    shown = [(h.doc_id, h.article) for h in hits]
    assert not {(c.doc_id, c.article) for h in hits for c in h.local_copies} & set(shown)
    regional = versions_kb.search(DEMO_QUESTION, k=10, region="山东").hits[:3]
    assert ("中华人民共和国安全生产法", "第二十一条") in {(h.title, h.article) for h in regional}
    assert "山东省" in {h.region for h in regional}


@pytest.mark.slow
def test_the_index_knows_which_national_article_a_local_one_restates(versions_kb):
    rows = versions_kb.index.rows
    by_chunk = {row.chunk_id: row for row in rows}
    shandong = next(r for r in rows if r.source.startswith("山东省") and r.article == "第十七条")
    law = by_chunk[shandong.restates]
    assert (law.source, law.article) == (SAFETY_LAW.name, "第二十一条")
    assert not any(r.restates for r in rows if r.source == SAFETY_LAW.name)  # national articles restate nothing
    shandong_16 = next(r for r in rows if r.source.startswith("山东省") and r.article == "第十六条")
    # not a copy of the head's duties (第二十一条) or of 第五条, which it mentions among other matters:
    # it rewords the law's 全员安全生产责任制 article
    assert by_chunk[shandong_16.restates].article == "第二十二条"


@pytest.mark.slow
def test_a_key_that_only_the_replaced_text_supports_is_outdated(versions_kb, tmp_path):
    bank = tmp_path / "bank.json"
    bank.write_text(json.dumps({"questions": [
        {"type": "judge", "options": [], "answer": "true",
         "stem": "学生伤害事故发生后，学校应当在二十四小时内将有关情况报告学校所在地的区、县教育行政部门。"},
        {"type": "judge", "options": [], "answer": "true",
         "stem": "学生伤害事故发生后，学校应当在四十八小时内将有关情况报告学校所在地的区教育行政部门。"},
    ]}, ensure_ascii=False), encoding="utf-8")
    results = versions_kb.check_exam(bank, report=False).results
    assert [r.verdict for r in results] == ["outdated", "disagrees"]
    assert results[0].source == OLD
    assert versions_kb.check_exam(bank, report=False, as_of="2015-01-01").results[0].verdict == "agrees"


@pytest.mark.slow
def test_api_versions_diff_and_as_of(versions_kb):
    settings = Settings(home=versions_kb.settings.home, show_progress=False)
    with TestClient(create_app(settings, ServiceSettings())) as client:
        versions = client.get("/api/versions", params={"title": TITLE}).json()
        assert [v["status"] for v in versions["versions"]] == ["amended", "in_force"]
        diff = client.get("/api/diff", params={"title": TITLE}).json()
        assert any(c["change"] == "added" for c in diff["articles"])
        then = client.get("/api/search", params={"q": REPORT_QUESTION, "as_of": "2015-01-01"}).json()
        assert then["hits"][0]["source"] == OLD and then["hits"][0]["status"] == "in_force"
        asked = client.post("/api/ask", json={"question": REPORT_QUESTION}).json()
        assert asked["citations"][0]["status_name"] == "现行有效"
        bad = client.get("/api/search", params={"q": REPORT_QUESTION, "as_of": "2019-13-01"})
        assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["detail"]
        missing = client.get("/api/versions", params={"title": "没有这部法规"})
        assert missing.status_code == 400 and "没有找到" in missing.json()["detail"]


def test_a_store_written_before_versions_opens_with_the_new_columns(tmp_path):
    from regkb.corpus.store import Store
    from regkb.corpus.validity import document_statuses

    path = tmp_path / "regkb.sqlite"
    with sqlite3.connect(path) as db:  # the documents table as an earlier release wrote it
        db.execute("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, content_hash TEXT "
                   "NOT NULL, title TEXT, doc_type TEXT, issuer TEXT, doc_number TEXT, date TEXT, region TEXT, "
                   "level TEXT, chunks INTEGER NOT NULL DEFAULT 0)")
        db.execute("INSERT INTO documents VALUES ('d1', '安全生产法.md', 'h', '中华人民共和国安全生产法', 'law', NULL, NULL, "
                   "'2021-06-10', '全国', 'national', 3)")
    store = Store(path)
    [document] = store.documents()
    assert (document.source, document.chunks, document.effective, document.repealed) == ("安全生产法.md", 3, None, None)
    assert document_statuses(store.documents(), "2026-01-01") == {"d1": "in_force"}


def test_a_repealed_version_is_repealed_and_the_one_before_it_stays_replaced():
    from regkb.corpus.models import Document
    from regkb.corpus.validity import document_statuses

    old = Document(doc_id="a", source="a.md", content_hash="", title="某某条例", date="2010-01-01")
    new = Document(doc_id="b", source="b.md", content_hash="", title="某某条例", date="2020-01-01", repealed=True)
    other = Document(doc_id="c", source="c.md", content_hash="", title="中华人民共和国某某条例", date="2015-01-01")
    assert document_statuses([old, new, other], "2024-01-01") == {"b": "repealed", "a": "amended", "c": "in_force"}


@pytest.mark.slow
def test_eval_reports_the_library_sets_of_a_second_store(versions_kb):
    from regkb.eval.report import format_library, store_scores

    scores = store_scores(versions_kb)
    versions = scores["library"]["versions"]
    assert versions["dev"]["questions"] + versions["test"]["questions"] == 4  # the Shanghai pair's questions
    assert versions["test"]["replaced_above"] == 0.0 and versions["test"]["in_force_first"] > 0.0
    assert scores["documents"] == 5 and scores["article_refs"]["refs"] > 0
    assert any("版本问题" in line for line in format_library(scores["library"]))
