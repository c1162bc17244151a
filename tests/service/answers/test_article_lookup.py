"""An article by its citation comes from the version of the law in force (现行有效), not
from the newest-dated one when that one is repealed or not yet in force."""

from __future__ import annotations

from regkb.corpus.models import Chunk, Document
from regkb.corpus.store import Store
from regkb.service.answers.article_lookup import find_article

TITLE = "中华人民共和国安全生产法"


def _put(store: Store, doc_id: str, text: str, **meta) -> None:
    document = Document(doc_id=doc_id, source=f"{doc_id}.md", content_hash=doc_id, title=TITLE, **meta)
    chunk = Chunk(chunk_id=f"{doc_id}:00001", doc_id=doc_id, seq=1, text=f"第二十一条 {text}", article="第二十一条")
    store.put_document(document, [], [chunk], [])


def test_the_version_in_force_answers(tmp_path):
    store = Store(tmp_path / "store.sqlite")
    _put(store, "old", "旧文", date="2014-08-31", effective="2014-12-01")
    _put(store, "current", "现行文", date="2021-06-10", effective="2021-09-01")
    _put(store, "repealed", "废止文", date="2023-01-01", repealed=True)
    _put(store, "coming", "未生效文", date="2026-01-01", effective="2999-01-01")
    found = find_article(store, "安全生产法", "21")
    assert (found.doc_id, found.text) == ("current", "第二十一条 现行文")
    store.close()
