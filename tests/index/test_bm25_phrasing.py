"""BM25 on a question's wording: its punctuation is its own (the verbatim run reads past commas),
and a compound of two of its words counts half (an article may write the pieces across
another word: 应急管理体制 holds 管理 and 体制 but no 管理体制)."""

from __future__ import annotations

import numpy as np

from regkb.index.bm25 import phrase_boost
from regkb.index.retrieval import Retriever, SearchMode
from regkb.index.search_index import IndexRow, SearchIndex
from regkb.index.tokenizer import ChineseTokenizer, compounds

# 生物安全法 第八十条 / 第七十九条 (shortened): the same acts, the second one 未经批准
ABROAD = "第八十条 境外组织在我国境内采集、保藏我国人类遗传资源的，由国务院卫生健康主管部门责令停止违法行为"
UNAPPROVED = "第七十九条 违反本法规定，未经批准，采集、保藏我国人类遗传资源的，由国务院卫生健康主管部门责令停止违法行为"


def test_the_verbatim_run_reads_past_the_statutes_commas():
    query = "未经批准采集、保藏我国人类遗传资源的由哪个部门责令停止违法行为"
    boosted = phrase_boost(query, [(0, 10.0), (1, 10.0)], [ABROAD, UNAPPROVED], 2.0)
    assert [row for row, _ in boosted] == [1, 0]  # the article that says 未经批准 leads
    # a question without the words keeps the two level
    level = phrase_boost("人类遗传资源", [(0, 10.0), (1, 10.0)], [ABROAD, UNAPPROVED], 2.0)
    assert level[0][1] == level[1][1]


def _bm25_ranking(texts: list[str], query: str) -> list[int]:
    tokenizer = ChineseTokenizer()
    rows = [IndexRow(f"d:{i:05d}", "d", "法.md", "law", "全国", "national", authority="law", article=f"第{i + 1}条")
            for i in range(len(texts))]
    vectors = np.eye(len(texts), dtype=np.float32)  # unused by BM25, needed by the index
    index = SearchIndex.build(rows, [tokenizer.tokenize(t) for t in texts], vectors, model_id="none", generation=1)
    retriever = Retriever(index, lambda numbers: [texts[n] for n in numbers], tokenizer, None)
    return [row for row, _ in retriever.retrieve(query, 2, SearchMode.bm25)]


def test_a_compound_of_two_query_words_counts_half():
    query = "突发事件应对工作实行什么样的管理体制"
    assert {"管理体制", "突发事件"} <= compounds(ChineseTokenizer().tokenize(query))
    texts = ["国家建立统一指挥的应急管理体制和工作体系。",  # the answer: 应急管理 + 体制, no 管理体制
             "本单位的安全管理体制由负责人确定。",  # holds the compound, answers another matter
             "县级以上人民政府负责本行政区域的安全生产工作。", "生产经营单位应当建立安全生产责任制。",
             "国家鼓励科研单位开展研究。", "本法自公布之日起施行。", "公民有义务参与应急救援。", "单位应当制定应急预案。"]
    assert _bm25_ranking(texts, query) == [0, 1]
