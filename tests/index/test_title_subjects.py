"""A national text for a sector the question does not name yields a near tie to the general law
(index/legal_prior.py: ``title_subjects``, ``unnamed_subject_weight``)."""

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
