"""题库体检 on the ways a seventh trainer's bank (a 广东 C3 安全员 bank: 法律法规) writes its questions: an Arabic
figure with a Chinese multiplier (5千元 for the statute's 五千元), 应 for the statute's 应当, 职工 for the
安全生产法's 从业人员, a kind of unit (施工企业) for the 生产经营单位 a rule binds, and a 方针 named by items the
statute does not give it. The stems are written here, after the 消防法 第六十条, the 安全生产法 第三条 and
第五十一条 and the 建设工程安全生产管理条例 第三条."""

from __future__ import annotations

import pytest

from conftest import LAWS, audit_verdict, judged_false, laws_kb


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("seventh_bank_kb"),
                   [LAWS / "安全生产法(2021-06-10).md", LAWS / "消防法(2021-04-29).md",
                    LAWS / "建设工程安全生产管理条例(2003-11-24).md"])


def test_an_arabic_figure_with_a_chinese_multiplier_is_the_statutes_figure():
    from regkb.service.exams.facts import number_value
    from regkb.service.exams.text import canonical

    assert [number_value(n) for n in ("5千", "3百", "1.5万", "2千万")] == [5000, 300, 15000, 20_000_000]
    statute = "责令改正，处五千元以上五万元以下罚款"
    assert canonical("责令改正，处5千元以上 5万元以下罚款") == canonical(statute)
    assert canonical("责令改正，处3千元以上 5万元以下罚款") != canonical(statute)


def test_a_bare_ying_is_the_statutes_yingdang_and_words_that_hold_ying_stay():
    from regkb.service.exams.align import compare
    from regkb.service.exams.text import canonical

    assert canonical("生产经营单位应依法参加工伤保险") == canonical("生产经营单位必须依法参加工伤保险")
    for word in ("相应的应急预案", "供应单位", "响应和应对"):
        assert canonical(word) == word
    sentence = "生产经营单位必须依法参加工伤保险，为从业人员缴纳保险费。"
    assert compare(canonical("生产经营单位应依法参加工伤保险，为从业人员缴纳保险费"), sentence).conflicts == 0
    assert canonical("为职工缴纳保险费") == canonical("为从业人员缴纳保险费")
    # a kind of unit (施工企业) where the rule binds every 生产经营单位, its clauses read in another order
    assert compare(canonical("施工企业应依法为职工参加工伤保险，缴纳工伤保险费"), sentence).conflicts == 0
    assert compare(canonical("施工企业可以为职工参加工伤保险，缴纳工伤保险费"), sentence).conflicts > 0


@pytest.mark.slow
def test_a_duty_written_with_ying_and_zhigong_is_the_articles(kb, tmp_path):
    stem = "施工企业应依法为职工参加工伤保险缴纳工伤保险费。"
    assert audit_verdict(kb, tmp_path, {"type": "judge", "stem": stem, "options": [], "answer": "true"}) == "agrees"
    assert kb.solve(stem, [], kind="judge").answer == "true"


def test_policy_items_are_read_from_the_verb_that_adopts_the_policy():
    from regkb.service.exams.bank_audit import _policy_items

    assert _policy_items("落实“预防为主,治理为辅,统筹兼顾”的安全生产方针") == {"预防为主", "治理为辅", "统筹兼顾"}
    assert _policy_items("落实“预防为主，统筹兼顾”的方针") == {"预防为主", "统筹兼顾"}
    article = "安全生产工作应当以人为本，坚持人民至上、生命至上，树牢安全发展理念，坚持安全第一、预防为主、综合治理的方针，从源头上防范"
    assert _policy_items(article) == {"安全第一", "预防为主", "综合治理"}
    assert _policy_items("生产经营单位应当建立安全生产责任制。") == set()


def test_a_policy_is_false_only_with_an_item_no_policy_found_gives():
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    found = [(Evidence("", "safety", "安全生产法", "第三条"), ["坚持安全第一、预防为主、综合治理的方针。"]),
             (Evidence("", "fire", "消防法", "第二条"), ["消防工作贯彻预防为主、防消结合的方针。"])]
    refuted = StatementJudge._policy("落实“预防为主，统筹兼顾，治理为辅”的安全生产方针。", found)
    assert refuted.verdict is False and refuted.evidence.title in ("安全生产法", "消防法")
    # every item is in some 方针 found (消防法's): the statement may mean that one, and stays open
    assert StatementJudge._policy("安全生产工作坚持预防为主、防消结合的方针。", found) is None
    # no 方针 found shares an item: the articles found are on something else
    assert StatementJudge._policy("坚持节约资源、保护环境的方针。", found) is None


@pytest.mark.slow
def test_a_fine_written_with_a_multiplier_is_read_against_the_article(kb, tmp_path):
    stem = "单位违反消防法规定，埋压、圈占、遮挡消火栓或者占用防火间距的，责令改正，处（ ）罚款。"
    options = ["5千元以上 5万元以下", "1万元以上 5万元以下", "3万元以上 8万元以下", "3万元以上 10万元以下"]
    assert kb.solve(stem, options, kind="single").answer == "A"
    assert audit_verdict(kb, tmp_path, {"type": "single", "stem": stem, "options": options, "answer": "A"}) == "agrees"


@pytest.mark.slow
def test_a_policy_named_by_items_no_article_gives_it_is_false(kb, tmp_path):
    wrong = "安全生产管理要遵守国家的法律法规，落实“预防为主，统筹兼顾，治理为辅”的安全生产方针。"
    assert judged_false(kb, tmp_path, wrong) == (["agrees", "disagrees"], "false")
