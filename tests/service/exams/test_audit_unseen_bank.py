"""题库体检 and 解题 on the ways a third trainer's bank (特种设备安全管理, 一般企业安全管理员) writes its
questions, which the earlier banks did not: options that combine items the stem numbers (①②③), a
填空 that puts the amount after 罚款 (处罚款（ ）), a 判断 that defines a term (…是指…), and two
options the thesaurus reads as one (工伤社会保险 and 工伤保险). The stems are written here, after
the 特种设备安全法, 职业病防治法 and 安全生产法."""

from __future__ import annotations

import pytest

from conftest import LAWS, SAFETY_LAW, audit_verdict, laws_kb


def test_numbered_items_and_their_combinations_are_read():
    from regkb.service.exams.stems import combination, numbered_items

    lead, items = numbered_items("特种设备安全工作应当坚持（ ）、综合治理的原则。①安全第一 ②预防为主；③节能环保")
    assert lead == "特种设备安全工作应当坚持（ ）、综合治理的原则。"
    assert items == {"①": "安全第一", "②": "预防为主", "③": "节能环保"}
    assert numbered_items("应当坚持安全第一、预防为主的原则。") is None
    assert numbered_items("①安全第一") is None  # no question before the list
    assert combination("①、③") == frozenset("①③")
    assert combination("①安全第一") is None


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("unseen_bank_kb"),
                   [LAWS / "特种设备安全法(2013-06-29).md", LAWS / "职业病防治法(2018-12-29).md", SAFETY_LAW])


# 特种设备安全法第三条: 坚持安全第一、预防为主、节能环保、综合治理的原则
PRINCIPLE = "特种设备安全工作应当坚持（ ）、综合治理的原则。①安全第一 ②预防为主 ③节能环保 ④质量第一"


@pytest.mark.slow
def test_options_that_combine_numbered_items_are_solved_and_checked(kb, tmp_path):
    options = ["②③④", "①②③", "①②④"]
    assert kb.solve(PRINCIPLE, options, kind="single").answer == "B"
    assert audit_verdict(kb, tmp_path, {"type": "single", "stem": PRINCIPLE, "options": options, "answer": "B"}) == "agrees"
    assert audit_verdict(kb, tmp_path, {"type": "single", "stem": PRINCIPLE, "options": options, "answer": "C"}) == "disagrees"
    # a 填空 asks for the marks
    assert kb.solve(PRINCIPLE, [], kind="blank").answer == "①②③"
    assert audit_verdict(kb, tmp_path, {"type": "blank", "stem": PRINCIPLE, "options": [], "answer": "①②③"}) == "agrees"


@pytest.mark.slow
def test_a_blank_after_the_fine_reads_where_the_article_has_the_amount(kb):
    from regkb.service.exams.bank_audit import same_blank_answer

    # 第七十八条: …在验收后三十日内未将相关技术资料和文件移交特种设备使用单位的，责令限期改正；逾期未改正的，处一万元以上十万元以下罚款
    stem = ("特种设备安装、改造、修理的施工单位在验收后三十日内未将相关技术资料和文件移交特种设备使用单位的，"
            "责令限期改正；逾期未改正的，处罚款（ ）。")
    solved = kb.solve(stem, [], kind="blank")
    assert same_blank_answer(solved.answer, "一万元以上十万元以下") is True and solved.article == "第七十八条"


@pytest.mark.slow
def test_a_definition_is_not_settled_by_a_rule_that_uses_the_term(kb, tmp_path):
    # 职业病防治法第三十五条 orders 上岗前、在岗期间和离岗时的职业健康检查 and defines nothing
    stem = "职业健康检查是指平时的健康检查。"  # the 管理员 bank's 判断 (tune half): read as true before
    assert kb.solve(stem, kind="judge").answer is None
    assert audit_verdict(kb, tmp_path, {"type": "judge", "stem": stem, "options": [], "answer": "false"}) == "undecided"
    # a definition the law gives is still read (第二条: 本法所称职业病，是指…)
    defined = "职业病是指企业、事业单位和个体经济组织等用人单位的劳动者在职业活动中，因接触粉尘、放射性物质和其他有毒、有害因素而引起的疾病。"
    assert kb.solve(defined, kind="judge").answer == "true"


@pytest.mark.slow
def test_two_options_the_thesaurus_reads_alike(kb):
    # 安全生产法第五十二条: …以及依法为从业人员办理工伤保险的事项; 工伤社会保险 reads as 工伤保险
    stem = "生产经营单位与从业人员订立的劳动合同，应当载明依法为从业人员办理（ ）的事项。"
    assert kb.solve(stem, ["工伤社会保险", "工伤保险", "医疗保险"], kind="single").answer == "B"
