"""题库体检 on the ways an eighth trainer's bank (a 危化品安全 bank of 安全管理人员: 单选 and 判断) writes its
questions: a blank that asks how many items a list has ("…负有（ ）条的职责", options 5, 6, 7), and a 判断 that
joins a duty of one article to the denial of a right another article gives the same subject ("从业人员…应当
服从管理，无权对…提出建议"). The stems are written here, after the 安全生产法 第二十一条, 第五十三条, 第五十七条
and 第六十八条."""

from __future__ import annotations

import pytest

from conftest import audit_verdicts, judged_false


def test_a_count_blank_is_read_with_its_counter_and_numbers_for_options():
    from regkb.service.exams.stems import counted_lead

    assert counted_lead("主要负责人对本单位安全生产工作负有（ ）项职责。", ["五项", "六项", "七项"]) == (
        "主要负责人对本单位安全生产工作负有职责。", [5, 6, 7])
    assert counted_lead("事故一般分为（ ）个等级", ["3个", "4个", "5个"]) == ("事故一般分为等级", [3, 4, 5])
    # a duration is no count, nor are options that are not numbers
    assert counted_lead("应当于期满前（ ）个月办理延期手续。", ["1", "2", "3"]) is None
    assert counted_lead("主要负责人对本单位安全生产工作负有（ ）职责。", ["全面", "主要", "直接"]) is None


@pytest.mark.slow
def test_the_number_of_items_under_the_lead_in_answers_a_count_blank(law_kb, tmp_path):
    stem = "《安全生产法》规定，生产经营单位的主要负责人对本单位安全生产工作负有（ ）项职责。"
    options = ["五项", "六项", "七项", "八项"]
    solved = law_kb.solve(stem, options, kind="single")
    assert solved.answer == "C" and solved.article == "第二十一条"
    verdicts = audit_verdicts(law_kb, tmp_path, "single", stem, options, ("C", "A"))
    assert verdicts == ["agrees", "disagrees"]


@pytest.mark.slow
def test_a_right_denied_beside_a_duty_of_another_article_is_false(law_kb, tmp_path):
    wrong = "从业人员在作业过程中，应当服从管理，无权对本单位的安全生产工作提出建议。"
    assert judged_false(law_kb, tmp_path, wrong) == (["agrees", "disagrees"], "false")
    # the right is the 从业人员's (第五十三条), not the 安全生产监督检查人员's the statement speaks of: it stays open
    other = "安全生产监督检查人员应当忠于职守，坚持原则，无权对本单位的安全生产工作提出建议。"
    assert law_kb.solve(other, [], kind="judge").answer is None
