"""题库体检 and 解题 on questions about accident grades: an accident's grade by its figures, the ranges of the
生产安全事故报告和调查处理条例 第三条 (直接经济损失1946万元 → 较大事故; which accidents the options describe are of the grade
the stem names), and a penalty 项 of one grade asked with the grade first ("发生较大事故的，对…主要负责人…，处上一年（ ）的
罚款", 特种设备安全法 第九十一条's lead-in and its 项). The stems are written here, after the 条例 and the 特种设备安全法."""

from __future__ import annotations

import pytest

from conftest import LAWS, audit_verdicts, laws_kb

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
    return laws_kb(tmp_path_factory.mktemp("accident_grades_kb"), [LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md",
                                                                  LAWS / "特种设备安全法(2013-06-29).md"])


@pytest.mark.slow
def test_the_grade_of_the_accident_a_stem_describes(kb, tmp_path):
    stem = "某化工厂发生爆炸，造成直接经济损失 2300 万元，无人员伤亡，该起事故属于（ ）。"
    options = ["一般事故", "较大事故", "重大事故", "特别重大事故"]
    solved = kb.solve(stem, options, kind="single")
    assert solved.answer == "B" and solved.article == "第三条"
    verdicts = audit_verdicts(kb, tmp_path, "single", stem, options, "BC")
    assert verdicts == ["agrees", "disagrees"]


@pytest.mark.slow
def test_the_accidents_of_the_grade_a_stem_names(kb, tmp_path):
    stem = "依据《生产安全事故报告和调查处理条例》，下列事故中，属于重大事故的有（ ）。"
    options = ["某企业发生火灾造成 5人死亡的事故", "某矿山透水造成 12人死亡的事故", "某工厂中毒导致 60人重伤的事故",
               "某仓库爆炸造成直接经济损失 800万元的事故"]
    solved = kb.solve(stem, options, kind="multi")
    # the quote is 重大事故's definition, not 特别重大事故's that holds its name
    assert solved.answer == "BC" and solved.quote.startswith("(二)重大事故，是指")
    verdicts = audit_verdicts(kb, tmp_path, "multi", stem, options, ("BC", "ABC"))
    assert verdicts == ["agrees", "disagrees"]
    # asked the other way round: the one accident that is not of the grade
    negative = "下列事故中，不属于重大事故的是（ ）。"
    assert kb.solve(negative, options[:3], kind="single").answer == "A"


def test_a_graded_penalty_item_is_written_with_its_grade_first():
    from regkb.service.exams.bank_audit import _graded_rule

    leadin = "对事故发生负有责任的单位的主要负责人未依法履行职责或者负有领导责任的，依照下列规定处以罚款；属于国家工作人员的，并依法给予处分:"
    assert _graded_rule(leadin, "发生较大事故，处上一年年收入百分之四十的罚款；") == [
        "发生较大事故的，对事故发生负有责任的单位的主要负责人未依法履行职责或者负有领导责任的，处上一年年收入百分之四十的罚款"]
    # a lead-in that opens with the accident ungraded has the grade in its place
    assert _graded_rule("发生事故，对负有责任的单位除要求其依法承担相应的赔偿等责任外，依照下列规定处以罚款：",
                        "发生一般事故，处十万元以上二十万元以下罚款；") == [
        "发生一般事故的，对负有责任的单位除要求其依法承担相应的赔偿等责任外，处十万元以上二十万元以下罚款"]
    # the agent that fines stays before the measure
    assert _graded_rule("生产经营单位的主要负责人未履行本法规定的安全生产管理职责，导致发生生产安全事故的，由应急管理部门依照下列规定处以罚款：",
                        "（一）发生一般事故的，处上一年年收入百分之四十的罚款；".removeprefix("（一）")) == [
        "发生一般事故的，生产经营单位的主要负责人未履行本法规定的安全生产管理职责，导致发生生产安全事故的，由应急管理部门"
        "处上一年年收入百分之四十的罚款"]
    # a 项 without a grade, or a lead-in that does not refer to its 项 for the measure, gives nothing
    assert _graded_rule(leadin, "未按照规定进行检验的；") == []
    assert _graded_rule("特种设备安全管理人员应当履行下列职责：", "发生一般事故，立即报告；") == []


@pytest.mark.slow
def test_the_fine_of_the_grade_a_stem_puts_first(kb, tmp_path):
    stem = "发生重大事故的，对事故发生负有责任的单位的主要负责人未依法履行职责的，处上一年（ ）的罚款。"
    options = ["年收入30%", "年收入40%", "年收入60%"]
    assert kb.solve(stem, options, kind="single").answer == "C"
    verdicts = audit_verdicts(kb, tmp_path, "single", stem, options, "CB")
    assert verdicts == ["agrees", "disagrees"]
