"""The question memory: the shipped file holds no test question and matches the shipped
encoder; a paraphrase of a remembered question finds its article; a question far from every
remembered one is ranked as without the memory."""

from __future__ import annotations

import numpy as np

from regkb.eval.training.question_memory import barred_hashes
from regkb.index.choices import SearchMode
from regkb.index.embedders import embed_search_queries
from regkb.index.query_adapter import adapter_sha256
from regkb.index.question_memory import FOLDS, QuestionMemory, question_hash
from regkb.index.retrieval import Retriever, embedded_query

SAFETY_LAW_TITLE = "中华人民共和国安全生产法"
# 第五十六条: 受到损害的从业人员，除依法享有工伤保险外，尚有获得赔偿的权利的，有权提出赔偿要求;
# searched alone, the paraphrase finds 第五十一条 (工伤保险 premiums) first
REMEMBERED = ("受了伤拿了工伤保险还能再找厂里要赔偿吗", (SAFETY_LAW_TITLE, "第五十六条"))
PARAPHRASE = "工伤保险赔过了，还能找单位要赔偿吗"
FAR = "周末去哪里爬山风景好"


def test_shipped_memory_holds_no_test_question_and_fits_the_shipped_encoder():
    memory = QuestionMemory.load()
    assert memory is not None, "index/data/question_memory.npz is missing"
    assert len(memory.golds) == len(memory.hashes) == len(memory.vectors) >= 300
    assert not set(memory.hashes) & barred_hashes()
    assert memory.meta["query_adapter"] == adapter_sha256()  # rebuilt with the adapter it is queried with
    assert np.allclose(np.linalg.norm(memory.vectors, axis=1), 1.0, atol=1e-3)
    assert all(title and article.startswith("第") for golds in memory.golds for title, article in golds)


def test_round_trip_and_recall_threshold(tmp_path):
    memory = QuestionMemory(np.eye(3, dtype=np.float32), ((("甲", "第一条"),), (("乙", "第二条"), ("甲", "第一条")), ()),
                            ("a", "b", "c"), {"questions": 3})
    memory.save(tmp_path / "m.npz")
    loaded = QuestionMemory.load(tmp_path / "m.npz")
    assert loaded.golds == memory.golds and loaded.hashes == memory.hashes and loaded.meta == memory.meta
    vector = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    assert loaded.recall(vector, 0.7) == {("乙", "第二条"): 0.8, ("甲", "第一条"): 0.8}
    assert loaded.recall(vector, 0.9) == {}
    assert loaded.without([1]).recall(vector, 0.7) == {}
    assert loaded.recall(np.ones(4, dtype=np.float32), 0.0) == {}  # another embedder's vector
    assert QuestionMemory.load(tmp_path / "none.npz") is None


def _memory_of(kb, question: str, gold) -> QuestionMemory:
    vector = embed_search_queries(kb.embedder, [embedded_query(question, kb.tokenizer.expansion_terms(question))])
    return QuestionMemory(vector, ((gold,),))


def test_a_paraphrase_finds_the_remembered_article_and_a_far_question_gets_nothing(law_kb):
    memory = _memory_of(law_kb, *REMEMBERED)
    plain = Retriever(law_kb.index, law_kb._chunk_texts, law_kb.tokenizer, law_kb.embedder)
    remembering = Retriever(law_kb.index, law_kb._chunk_texts, law_kb.tokenizer, law_kb.embedder, memory=memory)

    def articles(retriever, query):
        return [law_kb.index.rows[row].article for row, _ in retriever.retrieve(query, 5, SearchMode.hybrid)]

    assert articles(plain, PARAPHRASE)[0] != "第五十六条"
    assert articles(remembering, PARAPHRASE)[0] == "第五十六条"
    assert remembering.retrieve(FAR, 5) == plain.retrieve(FAR, 5)
    assert remembering.using(law_kb.embedder).memory is None  # another encoder's vectors are not the memory's


def test_a_remembered_question_is_searched_without_its_fold():
    questions = ["叉车证要考吗", "工伤认定多久内申请", "劳保用品谁出钱", "厂里不交社保怎么办", "夜班有补贴吗", "动火要审批吗"]
    memory = QuestionMemory(np.eye(len(questions), dtype=np.float32), tuple((("甲", f"第{i}条"),) for i in range(6)),
                            tuple(question_hash(q) for q in questions))
    folded = memory.folded("劳保用品谁出钱")
    assert question_hash("劳保用品谁出钱") not in folded.hashes and len(folded.hashes) < len(questions)
    assert all(int(h, 16) % FOLDS != int(question_hash("劳保用品谁出钱"), 16) % FOLDS for h in folded.hashes)
    assert memory.folded("劳保用品，谁出钱？") is not memory  # the key ignores punctuation, as the held-out list's
    assert memory.folded("周末去哪里爬山") is memory


def test_a_store_of_another_model_searches_without_the_memory(tmp_path):
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.library.ingest import MODEL_KEY
    from regkb.service.settings import Settings

    shipped = QuestionMemory.load().meta["model"]
    for model, remembers in (("another-model@384", False), (shipped, True)):
        home = tmp_path / model.replace("@", "_")
        KnowledgeBase.open(Settings(home=home, show_progress=False)).store.set_meta(MODEL_KEY, model)
        kb = KnowledgeBase.open(Settings(home=home, show_progress=False))
        assert (kb.retriever.memory is not None) == remembers
