"""题库体检 where two texts in force state one rule with other figures: the 特种设备安全监察条例 (2009, 行政法规)
beside the 特种设备安全法 (2013, 法律), the 生产安全事故报告和调查处理条例 (2007) beside the 安全生产法 (2021). A key
that quotes the 条例's fine is proven by the 条例 and refuted by the law, and the law settles it (上位法优先); a key
that quotes the law's fine is not touched by the 条例. A newer law does not overrule an older one: the 特种设备安全法's
fines for 特种设备 accidents stand beside the 安全生产法's for accidents in general; nor does a law on another matter:
the 海上交通安全法's 90日 for 海上交通事故 investigations beside the 事故条例's 60日."""

from __future__ import annotations

import pytest

from conftest import LAWS, SAFETY_LAW, SHARED_CORPUS, audited, laws_kb
from regkb.service.exams.hierarchy import restated_otherwise
from regkb.service.exams.text import canonical

REGULATION = SHARED_CORPUS / "library" / "特种设备安全监察条例(2009-01-24).md"
# 监察条例 第八十三条 (七) written into its rule, and the law's 第八十三条 (五) likewise
REGULATIONS_RULE = "特种设备使用单位未制定特种设备事故应急专项预案的，由特种设备安全监督管理部门责令限期改正；逾期未改正的，处2000元以上2万元以下罚款"
LAWS_RULE = "违反本法规定，特种设备使用单位未制定特种设备事故应急专项预案的，责令限期改正；逾期未改正的，责令停止使用有关特种设备，处一万元以上十万元以下罚款"
OLD_FINE = "特种设备使用单位未制定特种设备事故应急专项预案，逾期未改正的，处二千元以上二万元以下罚款。"


def test_a_rule_restated_with_other_figures_is_told_from_another_rule():
    said = [canonical(text) for text in (OLD_FINE, REGULATIONS_RULE, LAWS_RULE)]
    assert restated_otherwise(*said)
    # the same figures: nothing to settle; another conduct (the 登记 rule) with other figures: not the same rule
    assert not restated_otherwise(said[0], said[1], canonical(REGULATIONS_RULE.replace("2000元以上2万元以下", "二千元以上二万元以下")))
    registration = "违反本法规定，特种设备使用单位使用特种设备未按照规定办理使用登记的，责令限期改正；逾期未改正的，处一万元以上十万元以下罚款"
    assert not restated_otherwise(said[0], said[1], canonical(registration))


@pytest.fixture(scope="module")
def special_equipment_kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("hierarchy_kb"), [
        LAWS / "特种设备安全法(2013-06-29).md", REGULATION, SAFETY_LAW, LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md",
        SHARED_CORPUS / "library" / "海上交通安全法(2021-04-29).md"])


@pytest.mark.slow
def test_the_law_settles_a_fine_the_older_regulation_states_otherwise(special_equipment_kb, tmp_path):
    results = audited(special_equipment_kb, tmp_path, [
        {"type": "judge", "options": [], "answer": "true", "stem": OLD_FINE},
        {"type": "judge", "options": [], "answer": "true",
         "stem": "客运索道、大型游乐设施每日投入使用前，未进行试运行和例行安全检查，并对安全装置进行检查确认的，"
                 "逾期未改正的，处1万元以上5万元以下罚款。"},
        {"type": "single", "answer": "B", "options": ["一万元以上十万元以下", "二千元以上二万元以下", "三万元以上三十万元以下"],
         "stem": "特种设备使用单位未制定特种设备事故应急专项预案，逾期未改正的，处（ ）罚款。"},
        # the law's own fine stays agreed
        {"type": "judge", "options": [], "answer": "true",
         "stem": OLD_FINE.replace("二千元以上二万元以下", "一万元以上十万元以下")},
    ])
    assert [(r.verdict, r.title) for r in results] == [
        ("disagrees", "中华人民共和国特种设备安全法"), ("disagrees", "中华人民共和国特种设备安全法"),
        ("disagrees", "中华人民共和国特种设备安全法"), ("agrees", "中华人民共和国特种设备安全法")]
    assert results[2].corpus_answer == "A"


@pytest.mark.slow
def test_the_safety_law_settles_the_accident_regulations_fine_but_not_the_special_equipment_laws(special_equipment_kb,
                                                                                                  tmp_path):
    fines = ["十万元以上二十万元以下", "二十万元以上五十万元以下", "五十万元以上二百万元以下", "二百万元以上五百万元以下"]
    results = audited(special_equipment_kb, tmp_path, [
        {"type": "judge", "options": [], "answer": "true",
         "stem": "事故发生单位对事故发生负有责任，发生一般事故的，处10万元以上20万元以下的罚款。"},
        {"type": "single", "options": fines, "answer": "B", "stem": "发生较大特种设备事故，对负有责任的单位处（ ）罚款。"},
    ])
    assert [(r.verdict, r.title, r.article) for r in results] == [
        ("disagrees", "中华人民共和国安全生产法", "第一百一十四条"), ("agrees", "中华人民共和国特种设备安全法", "第九十条")]


@pytest.mark.slow
def test_a_law_on_another_matter_does_not_settle_the_regulations_rule(special_equipment_kb, tmp_path):
    results = audited(special_equipment_kb, tmp_path, [
        {"type": "judge", "options": [], "answer": "true",
         "stem": "事故调查组应当自事故发生之日起60日内提交事故调查报告；特殊情况下，经负责事故调查的人民政府批准，"
                 "提交事故调查报告的期限可以适当延长，但延长的期限最长不超过60日。"},
    ])
    assert [(r.verdict, r.title, r.article) for r in results] == [("agrees", "生产安全事故报告和调查处理条例", "第二十九条")]
