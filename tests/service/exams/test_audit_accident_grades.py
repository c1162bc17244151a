"""题库体检 and 解题 on a question that asks an accident's grade by its figures, the ranges of the 生产安全事故报告和调查处理条例
第三条: the grade of an accident the stem describes (直接经济损失1946万元 → 较大事故), and which accidents the options
describe are of the grade the stem names (属于重大事故的有…). The stems are written here, after the 条例."""

from __future__ import annotations

import pytest

from conftest import LAWS, audit_verdict, laws_kb

GRADES = ["（一）特别重大事故，是指造成30人以上死亡，或者100人以上重伤（包括急性工业中毒，下同），或者1亿元以上直接经济损失的事故；",
          "（二）重大事故，是指造成10人以上30人以下死亡，或者50人以上100人以下重伤，或者5000万元以上1亿元以下直接经济损失的事故；",
          "（三）较大事故，是指造成3人以上10人以下死亡，或者10人以上50人以下重伤，或者1000万元以上5000万元以下直接经济损失的事故；",
          "（四）一般事故，是指造成3人以下死亡，或者10人以下重伤，或者1000万元以下直接经济损失的事故。"]


def test_an_accidents_figures_fall_in_one_grades_ranges():
    from regkb.service.exams.grades import accident_figures, grade_definitions, grade_of

    exclusive = grade_definitions(GRADES + ["本条第一款所称的“以上”包括本数，所称的“以下”不包括本数。"])
    assert grade_of(accident_figures("某煤矿瓦斯爆炸造成十人死亡"), exclusive) == "重大事故"
    assert grade_of(accident_figures("造成直接经济损失 1946 万元"), exclusive) == "较大事故"
    assert grade_of(accident_figures("造成1.2亿元的直接经济损失"), exclusive) == "特别重大事故"
    assert grade_of(accident_figures("导致 60人重伤"), exclusive) == "重大事故"
    # an article that does not say its 以下 leaves the bound out is read as holding it in both grades
    assert grade_of(accident_figures("造成10人死亡"), grade_definitions(GRADES)) is None
    # figures of two grades, or none, give no grade
    assert grade_of(accident_figures("造成2人死亡、60人重伤"), exclusive) is None
    assert grade_of(accident_figures("发生较大事故"), exclusive) is None


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("accident_grades_kb"), [LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md"])


@pytest.mark.slow
def test_the_grade_of_the_accident_a_stem_describes(kb, tmp_path):
    stem = "某化工厂发生爆炸，造成直接经济损失 2300 万元，无人员伤亡，该起事故属于（ ）。"
    options = ["一般事故", "较大事故", "重大事故", "特别重大事故"]
    solved = kb.solve(stem, options, kind="single")
    assert solved.answer == "B" and solved.article == "第三条"
    verdicts = [audit_verdict(kb, tmp_path, {"type": "single", "stem": stem, "options": options, "answer": key})
                for key in "BC"]
    assert verdicts == ["agrees", "disagrees"]


@pytest.mark.slow
def test_the_accidents_of_the_grade_a_stem_names(kb, tmp_path):
    stem = "依据《生产安全事故报告和调查处理条例》，下列事故中，属于较大事故的有（ ）。"
    options = ["某企业发生火灾造成 5人死亡的事故", "某矿山透水造成 12人死亡的事故", "某工厂中毒导致 20人重伤的事故",
               "某仓库爆炸造成直接经济损失 800万元的事故"]
    assert kb.solve(stem, options, kind="multi").answer == "AC"
    verdicts = [audit_verdict(kb, tmp_path, {"type": "multi", "stem": stem, "options": options, "answer": key})
                for key in ("AC", "ABC")]
    assert verdicts == ["agrees", "disagrees"]
    # asked the other way round: the one accident that is not of the grade
    negative = "下列事故中，不属于较大事故的是（ ）。"
    assert kb.solve(negative, options[:3], kind="single").answer == "B"
