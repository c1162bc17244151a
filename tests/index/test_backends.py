"""The same retrieval, filter and duty behaviour on both backends (FAISS + bm25s, Milvus Lite).

One Milvus Lite database serves the whole session (its server starts once, ~0.5 s); each
knowledge base in it is a collection prefix. The Milvus knowledge base is the session's
``law_kb`` migrated there, so nothing is embedded twice.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest

from regkb.index.search_index import SearchFilters
from regkb.service.cli import main
from regkb.service.knowledge_base import KnowledgeBase, KnowledgeBaseError

from conftest import LAWS, SAFETY_LAW

pytestmark = pytest.mark.slow  # a Milvus Lite server and the law store migrated to it

BACKENDS = ("faiss", "milvus")
SMALL_LAW = LAWS / "安全生产许可证条例(2014-07-29).md"
DUTIES_OF_THE_HEAD = "生产经营单位的主要负责人对本单位安全生产工作负有哪些职责"  # 安全生产法 第二十一条


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("milvus") / "milvus.db")


@pytest.fixture(scope="session")
def migration(law_kb, milvus_uri):
    """``law_kb`` copied to Milvus under the prefix ``law``."""
    source = KnowledgeBase.open(replace(law_kb.settings, milvus_uri=milvus_uri, milvus_collection="law"), create=False)
    return source.migrate(to="milvus")


def _milvus_settings(settings, uri: str, prefix: str):
    return replace(settings, backend="milvus", milvus_uri=uri, milvus_collection=prefix)


@pytest.fixture(scope="session", params=BACKENDS)
def kb(request, law_kb, migration, milvus_uri):
    if request.param == "faiss":
        return law_kb
    return KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "law"), create=False)


@pytest.fixture(params=BACKENDS)
def fresh_kb(request, tmp_path, milvus_uri):
    """An empty knowledge base of each backend (Milvus: a new prefix in the session's database)."""
    from regkb.service.settings import Settings

    settings = Settings(home=tmp_path / "kb", show_progress=False)
    if request.param == "milvus":
        settings = _milvus_settings(settings, milvus_uri, f"t{uuid.uuid4().hex[:12]}")
    return KnowledgeBase.open(settings)


def _articles(response) -> list[str]:
    return [hit.article for hit in response.hits]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_each_mode_finds_the_article(kb, mode):
    response = kb.search(DUTIES_OF_THE_HEAD, k=5, mode=mode)
    assert "第二十一条" in _articles(response)
    assert all(hit.source == SAFETY_LAW.name for hit in response.hits if hit.article == "第二十一条")


def test_backends_rank_alike(law_kb, migration, milvus_uri):
    """BM25 over the same tokens gives the same top 5; dense search over the same vectors too."""
    milvus = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "law"), create=False)
    for query in ("从业人员的安全生产教育和培训", "重大事故隐患排查治理", "老板不给发劳保用品怎么办"):
        tokens = law_kb.tokenizer.tokenize(query)
        expansion = law_kb.tokenizer.weighted_expansion(query)
        vector = law_kb.embedder.embed_queries([query])[0]
        for backend in (law_kb, milvus):
            backend.index  # loaded
        ours = [law_kb.index.rows[r].chunk_id for r, _ in law_kb.index.bm25.search(tokens, 5, None, expansion, 1.0)]
        theirs = [milvus.index.rows[r].chunk_id for r, _ in milvus.index.bm25.search(tokens, 5, None, expansion, 1.0)]
        assert ours == theirs, (query, "bm25")
        ours = [law_kb.index.rows[r].chunk_id for r, _ in law_kb.index.dense_search(vector, 5, None)]
        theirs = [milvus.index.rows[r].chunk_id for r, _ in milvus.index.dense_search(vector, 5, None)]
        assert ours == theirs, (query, "dense")


# plain questions on the 安全生产法, some answered by one sentence of a long article
SENTENCE_QUESTIONS = ("老板不给发劳保用品怎么办", "工人发现危险可以停下来撤离吗", "单位要给员工买工伤保险吗",
                      "发生事故后负责人跑了怎么处理", "安全员要持证上岗吗", "企业安全投入不够谁负责")


def _dense_top(kb, vector, weight: float) -> list[tuple[str, float]]:
    from regkb.index.retrieval import DenseRetriever

    hits = DenseRetriever(kb.index, evidence_weight=weight).run(vector, 5)["hits"]
    return [(kb.index.rows[row].chunk_id, round(score, 4)) for row, score in hits]


def test_sentence_evidence_scores_alike(law_kb, migration, milvus_uri):
    """Chunk + best-sentence scores are the same on both backends, and the sentence evidence
    changes the ranking of at least one question (so the comparison exercises it)."""
    milvus = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "law"), create=False)
    assert milvus.index.manifest["sentences"] == len(law_kb.index.sentence_rows) > 0
    assert migration.sentences == milvus.index.manifest["sentences"]
    changed = 0
    for query in SENTENCE_QUESTIONS:
        vector = law_kb.embedder.embed_queries([query])[0]
        ours = _dense_top(law_kb, vector, 0.7)
        assert ours == _dense_top(milvus, vector, 0.7), query
        changed += ours[0][0] != _dense_top(law_kb, vector, 0.0)[0][0]
    assert changed


def test_each_sentence_scores_alike(law_kb, migration, milvus_uri):
    """Each stored sentence's score, in its chunk's order (what the answer desk reads a quoted sentence
    by), is the same on both backends, and its best is the chunk's sentence score."""
    milvus = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "law"), create=False)
    vector = law_kb.embedder.embed_queries([SENTENCE_QUESTIONS[0]])[0]
    rows = [row for row, _ in law_kb.index.dense_search(vector, 10, None)]
    ours = law_kb.index.sentence_cosines(vector, rows)
    assert ours and {row: max(scores) for row, scores in ours.items()} == law_kb.index.sentence_scores(vector, rows)
    theirs = milvus.index.sentence_cosines(vector, [row for row, _ in milvus.index.dense_search(vector, 10, None)])
    assert {law_kb.index.rows[row].chunk_id: [round(s, 4) for s in scores] for row, scores in ours.items()} == \
        {milvus.index.rows[row].chunk_id: [round(s, 4) for s in scores] for row, scores in theirs.items()}


@pytest.mark.parametrize("query, article", [("安全生产法第二十一条", "第二十一条"), ("《安全生产法》第18条规定了什么", "第十八条"),
                                            (SENTENCE_QUESTIONS[0], None)])
def test_same_top_hit_on_both_backends(kb, law_kb, query, article):
    """An article reference is looked up (rows carry titles and articles on both backends);
    a plain question ranks by chunk and sentence evidence alike."""
    ours = law_kb.search(query, k=3).hits[0]
    theirs = kb.search(query, k=3).hits[0]
    assert (theirs.chunk_id, theirs.article, theirs.section_path) == (ours.chunk_id, ours.article, ours.section_path)
    if article:
        assert theirs.article == article and theirs.source == SAFETY_LAW.name


@pytest.mark.parametrize("question", [DUTIES_OF_THE_HEAD, SENTENCE_QUESTIONS[0], "违反安全生产法第二十一条会受到什么处罚"])
def test_ask_answers_alike_on_both_backends(law_kb, migration, milvus_uri, question):
    """``ask`` finds the index rows of its hits by chunk id (for their signals, a quote's stored vector and a
    cited article's penalty): the same answer, support and quotes on both backends."""
    milvus = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "law"), create=False)
    ours, theirs = law_kb.ask(question), milvus.ask(question)
    assert not ours.abstained and ours.citations

    def read(answer):
        return answer.confidence, answer.support, [(c.source, c.article, c.quote) for c in answer.citations]

    assert read(theirs) == read(ours)


@pytest.mark.parametrize("filters, check", [
    (SearchFilters(region="辽宁"), lambda hit: "辽宁" in (hit.region or "")),
    (SearchFilters(doc_type="law"), lambda hit: hit.doc_type == "law"),
    (SearchFilters(authority="law"), lambda hit: hit.authority == "law"),
    (SearchFilters(source=SAFETY_LAW.name), lambda hit: hit.source == SAFETY_LAW.name),
])
@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_filters_are_applied(kb, filters, check, mode):
    hits = kb.search("安全生产责任制", k=20, mode=mode, filters=filters).hits
    assert hits and all(check(hit) for hit in hits)


def test_unmatched_filter_gives_no_hits(kb):
    assert kb.search("安全生产", k=5, filters=SearchFilters(region="海南")).hits == []


def test_duties_and_departments(kb):
    assert kb.duties("尾矿库治理谁负责", k=1).matches[0].section_path[-1] == "3.非煤矿山安全"
    assert kb.department("应急厅").department == "省应急管理厅"
    assert kb.departments().departments


DUTY_QUESTIONS = ("尾矿库治理谁负责", "消防车通道整治谁来管", "危化品的事归哪个部门牵头", "宣传部管不管安全宣传")


def test_duty_search_runs_on_milvus(law_kb, migration, milvus_uri):
    """With REGKB_BACKEND=milvus duties are scored in Milvus (its two duty collections hold every
    duty and sentence of the store's generation) and rank as on the default backend."""
    from regkb.index.backends.milvus import connect
    from regkb.index.duty_search import DutyTexts

    milvus = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "law"), create=False)
    for query in DUTY_QUESTIONS:
        ours = [(m.source, m.task) for m in law_kb.duties(query, k=3).matches]
        assert [(m.source, m.task) for m in milvus.duties(query, k=3).matches] == ours, query
    client, texts = connect(milvus_uri), DutyTexts.of(milvus.store.duties())
    counts = {name: client.query(f"law_{name}", filter="", output_fields=["count(*)"])[0]["count(*)"]
              for name in ("duties", "duty_sentences")}
    assert counts == {"duties": len(texts.whole), "duty_sentences": len(texts.sentences)} and texts.whole
    state = client.get("law_state", ids=["duties"], output_fields=["gen"])
    assert state[0]["gen"] == milvus.store.generation


def test_migration_embeds_nothing(law_kb, migration):
    assert migration.embedded == 0
    assert migration.documents == 2 and migration.chunks == len(law_kb.index.rows)
    assert migration.vectors >= migration.chunks  # chunk texts and duty sentences
    assert migration.duties == len(law_kb.store.duties())


def test_migration_refuses_a_target_that_holds_documents(law_kb, migration, milvus_uri):
    source = KnowledgeBase.open(replace(law_kb.settings, milvus_uri=milvus_uri, milvus_collection="law"), create=False)
    with pytest.raises(KnowledgeBaseError, match="已有 2 篇文档"):
        source.migrate(to="milvus")


def test_replica_needs_no_local_state(law_kb, migration, milvus_uri, tmp_path):
    """A replica's home may be empty: documents, duties and the index all come from Milvus."""
    home = tmp_path / "nothing-here"
    replica = KnowledgeBase.open(_milvus_settings(replace(law_kb.settings, home=home), milvus_uri, "law"), create=False)
    assert [d.doc_id for d in replica.documents().documents] == [d.doc_id for d in law_kb.documents().documents]
    assert "第二十一条" in _articles(replica.search(DUTIES_OF_THE_HEAD, k=5, mode="bm25"))
    assert not home.exists()


def test_missing_milvus_knowledge_base_is_an_error(law_kb, milvus_uri):
    with pytest.raises(KnowledgeBaseError, match="知识库不存在"):
        KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "nosuchkb"), create=False)


def _stored_sentences(kb) -> int:
    """Sentence vectors the backend holds (Milvus: counted in its collection)."""
    index = kb.index
    if getattr(index, "client", None) is None:
        return len(index.sentence_rows)
    name = index.sentences or f"{kb.settings.milvus_collection}_sentences"
    if not index.client.has_collection(name):
        return 0
    return index.client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]


def test_ingest_remove_reingest(fresh_kb):
    report = fresh_kb.ingest([SMALL_LAW])
    assert report.added == 1 and not report.errors
    doc_id = fresh_kb.documents().documents[0].doc_id
    assert fresh_kb.search("安全生产许可证的有效期", k=5, mode="bm25").hits
    assert _stored_sentences(fresh_kb) == fresh_kb.index.manifest["sentences"] > 0
    assert fresh_kb.ingest([SMALL_LAW]).unchanged == 1
    fresh_kb.remove(doc_id)
    assert fresh_kb.search("安全生产许可证的有效期", k=5, mode="bm25").hits == []
    assert len(fresh_kb.index.rows) == 0
    assert _stored_sentences(fresh_kb) == 0
    assert fresh_kb.ingest([SMALL_LAW]).added == 1
    assert fresh_kb.search("安全生产许可证的有效期", k=5, mode="bm25").hits


def _run(capsys, *argv) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_cli_works_unchanged_on_milvus(law_kb, migration, milvus_uri, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REGKB_HOME", str(tmp_path / "replica"))
    monkeypatch.setenv("REGKB_BACKEND", "milvus")
    monkeypatch.setenv("REGKB_MILVUS_URI", milvus_uri)
    monkeypatch.setenv("REGKB_MILVUS_COLLECTION", "law")
    code, found = _run(capsys, "search", DUTIES_OF_THE_HEAD, "-k", "5", "--region", "辽宁", "--region-only", "--json")
    assert code == 0 and found["hits"] and all("辽宁" in hit["region"] for hit in found["hits"])
    assert _run(capsys, "documents", "--json")[1]["documents"]
    assert _run(capsys, "duties", "尾矿库治理谁负责", "-k", "1", "--json")[1]["matches"][0]["section_path"][-1] == "3.非煤矿山安全"
    assert _run(capsys, "department", "应急厅", "--json")[1]["department"] == "省应急管理厅"
    assert _run(capsys, "departments", "--json")[1]["departments"]


def test_cli_migrate_and_a_bad_backend(law_kb, migration, milvus_uri, monkeypatch, capsys):
    monkeypatch.setenv("REGKB_HOME", str(law_kb.settings.home))
    code, report = _run(capsys, "migrate", "--to", "milvus", "--uri", milvus_uri, "--collection", "cli", "--json")
    assert code == 0 and report["embedded"] == 0 and report["chunks"] == migration.chunks
    monkeypatch.setenv("REGKB_BACKEND", "elastic")
    assert main(["documents"]) == 2
    assert "未知的检索后端" in capsys.readouterr().err


def test_an_index_of_the_older_layout_is_rebuilt(law_kb, milvus_uri):
    """A chunks collection written before rows kept titles and sentences (no ``format`` in its
    manifest) is dropped and rebuilt whole on open."""
    source = KnowledgeBase.open(replace(law_kb.settings, milvus_uri=milvus_uri, milvus_collection="older"), create=False)
    source.migrate(to="milvus")
    storage = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "older"), create=False).index_storage
    manifest = storage.manifest()
    del manifest["format"]
    storage.state.put([{"key": "index", "gen": manifest["generation"], "seq": 0, "data": json.dumps(manifest)}])
    assert storage.current_generation() is None
    reopened = KnowledgeBase.open(_milvus_settings(law_kb.settings, milvus_uri, "older"), create=False)
    assert reopened.index.manifest["format"] == 2 and reopened.index.manifest["written"] == len(law_kb.index.rows)
    assert reopened.search("安全生产法第二十一条", k=1).hits[0].article == "第二十一条"
