"""Index builds at library scale: a rebuild segments only the texts it has not seen (the
tokens of the previous build are kept beside it), unless the segmenter now cuts differently;
an ingest that only adds documents appends them to the live index, which then searches as a
rebuild over the same documents would, and a failure mid-add leaves the last good index."""

from __future__ import annotations

import errno

import numpy as np
import pytest
from conftest import LAWS, SAFETY_LAW, SHARED_CORPUS, pooled_ingest

from regkb.index.backends.faiss_bm25s import SEGMENTER_PROBE, FaissBm25sStorage
from regkb.index.search_index import IndexRow
from regkb.service.validation import KnowledgeBaseError

LIBRARY = SHARED_CORPUS / "library"


def _rows(n: int) -> list[IndexRow]:
    return [IndexRow(f"d{i}:00000", f"d{i}", f"{i}.md", "law", None, "national") for i in range(n)]


def _embed(texts: list[str]) -> np.ndarray:
    return np.eye(len(texts), 8, dtype="float32")


def test_a_rebuild_segments_only_new_texts(tmp_path):
    storage = FaissBm25sStorage(tmp_path / "index")
    seen: list[str] = []

    def tokenize(text: str) -> list[str]:
        seen.append(text)
        return list(text)

    storage.build(_rows(2), ["安全生产", "消防设施"], tokenize, _embed, model_id="m", generation=1)
    seen.clear()
    index = storage.build(_rows(3), ["安全生产", "消防设施", "特种设备"], tokenize, _embed, model_id="m", generation=2)
    assert seen == [SEGMENTER_PROBE, "特种设备"]
    assert index.bm25.search(["消", "防"], 1)[0][0] == 1  # the kept tokens are the ones searched


def test_a_changed_segmenter_segments_everything_again(tmp_path):
    storage = FaissBm25sStorage(tmp_path / "index")
    storage.build(_rows(2), ["安全生产", "消防设施"], list, _embed, model_id="m", generation=1)
    seen: list[str] = []

    def by_pairs(text: str) -> list[str]:  # another segmenter: it cuts the probe differently
        seen.append(text)
        return [text[i : i + 2] for i in range(0, len(text), 2)]

    storage.build(_rows(2), ["安全生产", "消防设施"], by_pairs, _embed, model_id="m", generation=2)
    assert seen == [SEGMENTER_PROBE, "安全生产", "消防设施"]


# --- an ingest that only adds documents appends them to the live index -----------------------

LOCAL_RULE = LAWS / "浙江省安全生产条例(2016-07-29).md"
LOCAL_FIRE_RULE = LIBRARY / "杭州市建设工程消防管理规定(2013-12-12).md"
QUERIES = ["生产经营单位主要负责人有哪些安全生产职责", "从业人员发现事故隐患应当怎么办", "建设工程消防设计审查",
           "安全生产教育和培训"]


def _ranked(kb) -> list:
    """What a user sees for each query and mode: hits, scores and folded copies."""
    return [[(h.chunk_id, h.score, [c.chunk_id for c in h.local_copies]) for h in kb.search(q, k=10, mode=mode).hits]
            for q in QUERIES for mode in ("hybrid", "bm25", "dense")]


@pytest.fixture(scope="module")
def appended_kb(tmp_path_factory):
    """A local rule, then the national law it restates, then another local rule, each added to the live index."""
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    kb = KnowledgeBase.open(Settings(home=tmp_path_factory.mktemp("appended"), show_progress=False))
    assert pooled_ingest(kb, [LOCAL_RULE]).added == 1  # the first ingest builds
    append, moved = FaissBm25sStorage.append, []

    def counting_moves(storage, *args, **kwargs):
        moved.append(len(kwargs["moved"][0]))
        return append(storage, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:  # from here on nothing may rebuild
        patch.setattr(FaissBm25sStorage, "build", lambda *args, **kwargs: pytest.fail("rebuilt instead of appending"))
        patch.setattr(FaissBm25sStorage, "append", counting_moves)
        for path in (SAFETY_LAW, LOCAL_FIRE_RULE):
            assert pooled_ingest(kb, [path]).added == 1
    assert moved[0] > 0  # sentences the rule says word for word in the law now go under the law's title
    return kb


@pytest.mark.slow
def test_an_added_document_is_appended_and_searches_as_a_rebuild_would(appended_kb):
    kb = appended_kb
    rows = kb.index.rows
    assert [r.doc_id for r in rows] != [c.doc_id for c in kb.store.chunks()]  # appended, not in store order
    assert {r.source for r in rows[-kb.store.document_by_source(LOCAL_FIRE_RULE.name).chunks:]} == {LOCAL_FIRE_RULE.name}
    restating = sum(1 for r in rows if r.source == LOCAL_RULE.name and r.restates)
    assert restating >= 5  # the law added after the local rule: the rule's articles now restate it
    appended = _ranked(kb)
    kb.serve_index(kb.library_ingest.rebuild_index())  # everything again, in store order
    rebuilt_rows = kb.index.rows
    assert sorted(map(repr, rebuilt_rows)) == sorted(map(repr, rows))  # restatements included
    assert _ranked(kb) == appended
    assert appended[0][0][0].startswith(kb.store.document_by_source(SAFETY_LAW.name).doc_id)


@pytest.mark.slow
def test_a_failed_add_leaves_the_last_good_index(appended_kb, monkeypatch):
    kb = appended_kb
    generation, documents = kb.store.generation, len(kb.store.documents())
    before = _ranked(kb)

    def disk_full(*args, **kwargs):  # the new build is live by now; the commit must undo it
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FaissBm25sStorage, "_save_tokens", disk_full)
    with pytest.raises(KnowledgeBaseError):
        pooled_ingest(kb, [LIBRARY / "北京市安全生产条例(2022-05-25).md"])  # embedded once a session
    assert (kb.store.generation, len(kb.store.documents())) == (generation, documents)
    assert kb.index_storage.current_generation() == generation
    kb.forget_built()
    assert _ranked(kb) == before
