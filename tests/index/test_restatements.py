"""Local articles that restate a national one in other words: the index maps them (passage
vectors close, some bigrams shared), and with no place asked such a copy ranks after the law
only where the law answers the question nearly as well; the second copy folds under the law.
A national article that repeats one of a higher text word for word is mapped to it too."""

from __future__ import annotations

import numpy as np

from regkb.index.bm25 import Bm25Index
from regkb.corpus.models import Chunk, Document
from regkb.index.restatements import (YIELD_RATIO, fold_restatements, higher_sources, lift_national_sources,
                                      national_sources)
from regkb.service.library.ingest import restated

LAW = "第二十条 生产经营单位应当对从业人员进行安全生产教育和培训，保证其具备必要的安全生产知识"
REWORDED = "第九条 企业应当组织职工参加安全生产教育培训，使职工掌握本岗位所需的安全生产知识和技能"
UNRELATED = "第十条 本市每年六月开展安全生产宣传活动，由市应急管理部门组织"
OTHER_LAW = "第三十条 特种作业人员必须按照国家有关规定经专门的安全作业培训，取得相应资格"
REPEATED = "第八条 " + LAW.split(" ", 1)[1] + "。"  # a regulation repeating the law's article word for word


def _unit(*rows: list[float]) -> np.ndarray:
    vectors = np.asarray(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_reworded_local_article_restates_the_national_one_its_vector_and_words_are_close_to():
    texts = [LAW, OTHER_LAW, REWORDED, UNRELATED, REWORDED]
    vectors = _unit([1, 0, 0], [0, 1, 0],
                    [1, 0.2, 0],  # close to the law (cosine 0.98) and shares part of its bigrams
                    [1, 0.1, 0],  # as close by vector, but says something else
                    [1, 1, 0.3])  # the same words, but its vector is far from either law
    assert national_sources(texts, vectors, [0, 1], [2, 3, 4]) == {2: 0}


def test_a_reworded_copy_yields_only_where_the_law_answers_nearly_as_well():
    sources = {7: 3, 8: 4}
    never = lambda *args: False  # noqa: E731
    ranked = [(7, 1.0), (8, 0.9), (3, YIELD_RATIO), (4, YIELD_RATIO * 0.9 - 0.01)]
    lifted, yields = lift_national_sources(ranked, sources, never, never)
    assert yields == {7: 3}  # 8's law scores under YIELD_RATIO of it: a matter of its own
    assert [row for row, _ in lifted][:3] == [3, 7, 8] and dict(lifted)[3] == 1.0
    # its place asked: it keeps its rank and does not lift the law
    lifted, yields = lift_national_sources(ranked, sources, never, lambda row: row == 7)
    assert yields == {} and lifted[0] == (7, 1.0)
    # a near-duplicate lifts the law (the fold shows it), and a tie keeps the ranking's order
    lifted, yields = lift_national_sources([(7, 1.0), (3, 0.1)], {7: 3}, lambda *a: True, never)
    assert yields == {} and lifted == [(7, 1.0), (3, 1.0)]


def test_the_first_reworded_copy_is_shown_after_the_law_and_the_next_folds_under_it():
    hits = [(0, 1.0), (1, 1.0), (2, 0.9), (3, 0.8)]  # the law, two reworded copies, an unrelated article
    groups = fold_restatements(hits, [LAW, REWORDED, REWORDED, UNRELATED], ["law", "a", "b", "c"],
                               [0, 4, 4, 4], yields={1: 0, 2: 0})
    assert [(g.row, [row for row, _ in g.copies]) for g in groups] == [(0, [2]), (1, []), (3, [])]


def test_rows_another_retriever_found_keep_their_bm25_score_below_the_top_k():
    index = Bm25Index.build([["消防"] * 3, ["消防"] * 2, ["消防", "设施"], ["设施"]])
    top = index.search(["消防"], 1)
    assert [row for row, _ in top] == [0]
    found = index.search_including(["消防"], 1, include=[2, 3, 0])
    assert [row for row, _ in found] == [0, 2]  # 3 has no BM25 score; 0 is not repeated
    assert found[1][1] == index.search(["消防"], 3)[2][1]


def test_a_group_of_near_duplicates_is_led_by_the_highest_standing():
    regulation = "第九条 " + LAW.split(" ", 1)[1] + "。"  # a regulation repeating the law's article
    hits = [(0, 1.0), (1, 0.9), (2, 0.8)]  # the regulation ranks first, then a local copy, then the law
    groups = fold_restatements(hits, [regulation, regulation, LAW], ["reg", "local", "law"], [1, 4, 0])
    assert [(g.row, g.score, sorted(row for row, _ in g.copies)) for g in groups] == [(2, 1.0, [0, 1])]


def test_a_national_article_that_repeats_a_higher_text_word_for_word_maps_to_it_a_reworded_one_does_not():
    texts = [LAW, REPEATED, REWORDED, REPEATED]
    vectors = _unit([1, 0, 0], [1, 0.05, 0], [1, 0.2, 0], [1, 0.1, 0])  # all close to the law
    # a regulation's copy maps to the law; its rewording does not (it is the narrower rule); a
    # departmental rule's copy maps to a higher text too; the law maps to nothing below it
    assert higher_sources(texts, vectors, {0: 0, 1: 1, 2: 1, 3: 2}) == {1: 0, 3: 0}
    assert higher_sources(texts, vectors, {1: 1, 3: 2}) == {3: 1}  # no law in the store: the regulation leads
    assert higher_sources(texts, vectors, {0: 0}) == {}


def test_the_index_maps_a_regulation_that_repeats_the_law_and_local_articles_as_before():
    documents = {d.doc_id: d for d in (
        Document(doc_id="law", source="law.md", content_hash="1", authority="law", region="全国", level="national"),
        Document(doc_id="reg", source="reg.md", content_hash="2", authority="administrative_regulation", region="全国",
                 level="national"),
        Document(doc_id="loc", source="loc.md", content_hash="3", authority="local_regulation", region="山东省",
                 level="provincial"))}
    chunks = [Chunk(chunk_id=f"{doc}:0", doc_id=doc, seq=0, text=text, article=text.split(" ")[0])
              for doc, text in (("reg", REPEATED), ("law", LAW), ("loc", REWORDED))]
    vectors = _unit([1, 0.05, 0], [1, 0, 0], [1, 0.2, 0])
    found = restated(chunks, documents, vectors)
    assert found[0] == 1 and set(found) == {0, 2}  # the regulation's copy → the law; the local rule as before
    assert set(restated(chunks, documents, vectors, locals_of={"loc"})) == {2}  # an added local rule: its own only


def test_texts_that_share_their_words_but_not_their_figures_are_no_copies():
    """Every law's last article reads 本法自…起施行: only its date differs, and a copy it is not."""
    law, regulation = "第一百二十四条 本法自2004年5月1日起施行。", "第七十一条 本条例自2004年2月1日起施行。"
    groups = fold_restatements([(0, 1.0), (1, 0.9)], [law, regulation], ["traffic", "construction"], [0, 1])
    assert [(g.row, g.copies) for g in groups] == [(0, []), (1, [])]
    assert higher_sources([law, regulation], _unit([1, 0], [1, 0.01]), {0: 0, 1: 1}) == {}
    # the same figure written otherwise (一个月, 1个月) still restates
    copy = "第二十八条 使用单位应当在检验合格有效期届满前1个月向检验机构提出定期检验要求。"
    source = "第四十条 使用单位应当在检验合格有效期届满前一个月向检验机构提出定期检验要求。"
    grouped = fold_restatements([(0, 1.0), (1, 0.9)], [copy, source], ["rule", "law"], [1, 0])
    assert [(g.row, g.copies) for g in grouped] == [(1, [(0, 1.0)])]
