"""A national text for a sector the question does not name yields a near tie to the general law,
and holds one place near the top rather than several (index/legal_prior.py: ``title_subjects``,
``unnamed_subject_weight``, ``unnamed_subject_repeat_weight``)."""

from __future__ import annotations

from regkb.index.hits import HitList
from regkb.index.legal_prior import LegalPriorRanker, title_subjects
from regkb.index.search_index import IndexRow
from regkb.index.tokenizer import ChineseTokenizer

POWER = "电力安全事故应急处置和调查处理条例"
GENERAL = "生产安全事故报告和调查处理条例"
LAW = "中华人民共和国安全生产法"


def _ranker() -> LegalPriorRanker:
    rows = [IndexRow(f"d{i}:00000", f"d{i}", f"{title}.md", "regulation", None, "national",
                     authority="administrative_regulation", title=title) for i, title in enumerate((POWER, GENERAL, LAW))]
    return LegalPriorRanker(rows, [None], subjects=title_subjects([POWER, GENERAL, LAW], ChineseTokenizer().tokenize))


def test_a_title_s_subject_leaves_out_the_state_the_kind_of_text_and_generic_words():
    subjects = _ranker().subjects
    assert "电力" in subjects[POWER] and not subjects[POWER] & {"安全", "事故", "条例", "调查处理"}
    assert subjects[LAW] == frozenset()  # the general law names no sector


def test_the_sector_the_question_does_not_name_yields_a_near_tie():
    ranker = _ranker()
    hits = HitList.of([(0, 0.650), (1, 0.642), (2, 0.60)])  # the power rule a hair ahead
    question = "厂长因为出了事故被撤职，过几年还能去别的厂当负责人吗"
    accident = ["生产安全事故"]  # the documents' term for the question's 出了事故 (the thesaurus)
    assert ranker.run(question, hits, thesaurus=accident)["hits"].rows()[:2] == [1, 0]
    # the reader who names the sector keeps its rule first
    assert ranker.run("电力公司" + question, hits, thesaurus=accident)["hits"].rows()[0] == 0
    # neither sector named: both yield alike and the order stands
    assert ranker.run(question, hits)["hits"].rows()[:2] == [0, 1]
    # and a wide lead is not undone: the weight only breaks near ties
    assert ranker.run(question, HitList.of([(0, 0.70), (1, 0.642)]), thesaurus=accident)["hits"].rows()[0] == 0


TOXIC = "使用有毒物品作业场所劳动保护条例"
LABOUR = "中华人民共和国劳动法"


def _shelf() -> LegalPriorRanker:
    """A sector regulation with three articles on workers' protection, and two general laws."""
    titles = (TOXIC, TOXIC, TOXIC, LABOUR, LAW)
    rows = [IndexRow(f"d{i}:{n:05d}", f"d{i}", f"{title}.md", "regulation", None, "national",
                     authority="administrative_regulation", title=title)
            for n, (i, title) in enumerate(zip((0, 0, 0, 1, 2), titles))]
    return LegalPriorRanker(rows, [None], subjects=title_subjects(set(titles), ChineseTokenizer().tokenize))


def test_a_sector_text_the_question_does_not_name_keeps_one_article_near_the_top():
    ranker = _shelf()
    question = "厂里让未成年人干重活合法吗"
    # the general law first, the sector text's three articles, then the labour law's answer
    hits = HitList.of([(4, 0.80), (0, 0.72), (1, 0.71), (2, 0.70), (3, 0.66)])
    assert ranker.run(question, hits)["hits"].rows() == [4, 0, 3, 1, 2]
    # the reader who names the sector keeps its articles where they were
    assert ranker.run("用有毒物品的" + question, hits)["hits"].rows() == [4, 0, 1, 2, 3]
    # and a sector text that holds the first hit is the question's own
    first = HitList.of([(0, 0.80), (1, 0.72), (2, 0.71), (3, 0.66)])
    assert ranker.run(question, first)["hits"].rows() == [0, 1, 2, 3]
