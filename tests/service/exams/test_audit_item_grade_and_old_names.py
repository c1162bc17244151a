"""题库体检 on two ways banks word a right key that read as a changed fact: the grade of a penalty 项 put where
its lead-in says any accident (安全生产法 第一百一十四条: "发生生产安全事故，…依照下列规定处以罚款：发生一般事故的，
处三十万元以上一百万元以下的罚款"), and the older name of goods the corpus itself spells two ways (民用爆破器材 in
older local regulations, 民用爆炸物品 since 2006). A changed grade, figure or good is still another fact."""

from __future__ import annotations

from regkb.service.exams.align import Composite, compare
from regkb.service.exams.text import canonical

LEAD_IN = "发生生产安全事故，对负有责任的生产经营单位除要求其依法承担相应的赔偿等责任外，由应急管理部门依照下列规定处以罚款："
GENERAL = Composite(LEAD_IN + "发生一般事故的，处三十万元以上一百万元以下的罚款；")
SAID = "发生一般事故，对负有责任的生产经营单位除要求其依法承担相应的赔偿等责任外，由应急管理部门处三十万元以上一百万元以下罚款"


def test_the_grade_of_a_penalty_item_written_into_its_lead_in_is_the_items_case():
    assert compare(canonical(SAID), GENERAL).conflicts == 0
    assert compare(canonical(SAID.replace("发生一般事故", "发生一般生产安全事故")), GENERAL).conflicts == 0


def test_another_grade_or_figure_than_the_items_is_still_another_fact():
    assert compare(canonical(SAID.replace("一般", "较大")), GENERAL).conflicts > 0
    assert compare(canonical(SAID.replace("一百万元", "五十万元")), GENERAL).conflicts > 0
    assert compare(canonical(SAID.replace("一般", "特别重大")), GENERAL).conflicts > 0


def test_the_older_name_of_civil_explosives_is_todays():
    statute = "国家对矿山企业、建筑施工企业和危险化学品、烟花爆竹、民用爆炸物品生产企业实行安全生产许可制度"
    assert canonical("国家对矿山企业、建筑施工企业和危险化学品、烟花爆竹、民用爆破器材生产企业实行安全生产许可制度") == canonical(statute)
    assert compare(canonical("国家对矿山企业、建筑施工企业和危险化学品、烟花爆竹、民用爆破器材经营企业实行安全生产许可制度"),
                   statute).conflicts > 0
