"""Department names: prefix restoration, aliases, entities kept verbatim, storage."""

import json

import pytest

from conftest import DIVISION_PLAN
from regkb.corpus.departments import DepartmentRegistry, canonical_form, split_departments


def test_shared_prefix_is_restored():
    assert split_departments("省发展改革委、工业和信息化厅") == ["省发展改革委", "省工业和信息化厅"]
    assert split_departments("省应急厅,省发展改革委、工业和信息化厅、人力资源社会保障厅") == [
        "省应急厅", "省发展改革委", "省工业和信息化厅", "省人力资源社会保障厅"]
    # full-width commas and semicolons separate too
    assert split_departments("市应急管理局，公安局；交通运输局") == ["市应急管理局", "市公安局", "市交通运输局"]


def test_entities_are_kept_verbatim():
    names = split_departments("省应急厅、各市政府、沈抚示范区管委会、国家矿山安全监察局辽宁局、"
                              "沈阳铁路监管局、中国铁路沈阳局集团有限公司、邮政管理局")
    assert names == ["省应急厅", "各市政府", "沈抚示范区管委会", "国家矿山安全监察局辽宁局",
                     "沈阳铁路监管局", "中国铁路沈阳局集团有限公司", "省邮政管理局"]
    assert split_departments("省、中直负有安全生产监管职责的部门") == ["省、中直负有安全生产监管职责的部门"]
    assert split_departments("相关市政府") == ["相关市政府"]


def test_trailing_deng_and_generic_tail_are_dropped():
    assert split_departments("省教育厅、文物局等") == ["省教育厅", "省文物局"]
    assert split_departments("区水务局、住建局等有关部门") == ["区水务局", "区住建局"]


def test_party_departments_keep_the_party_prefix():
    assert split_departments("省委宣传部、文化和旅游厅、广电局") == ["省委宣传部", "省文化和旅游厅", "省广电局"]
    assert split_departments("市委宣传部、组织部") == ["市委宣传部", "市委组织部"]


@pytest.mark.parametrize("alias,canonical", [
    ("省应急厅", "省应急管理厅"), ("省交通厅", "省交通运输厅"), ("省发改委", "省发展改革委"),
    ("省工信厅", "省工业和信息化厅"), ("省住建厅", "省住房城乡建设厅"), ("省市场监督管理局", "省市场监管局"),
    ("省人社厅", "省人力资源社会保障厅"), ("省卫健委", "省卫生健康委"), ("省林草局", "省林业和草原局"),
    ("省粮食和储备局", "省粮食和物资储备局"), ("省文旅厅", "省文化和旅游厅"), ("省消防总队", "省消防救援总队"),
    ("市住建局", "市住房城乡建设局"), ("市应急局", "市应急管理局"), ("市场监督管理局", "市场监管局"),
    ("国家矿山安全监察局辽宁局", "国家矿山安全监察局辽宁局"),
])
def test_canonical_form(alias, canonical):
    assert canonical_form(alias) == canonical


def test_registry_resolves_any_alias_with_or_without_prefix():
    reg = DepartmentRegistry()
    assert reg.add("省应急厅", region="辽宁") == "省应急管理厅"
    for typed in ("应急厅", "省应急厅", "应急管理厅", "省应急管理厅", " 省应急厅 "):
        assert reg.canonical(typed) == "省应急管理厅", typed
    assert reg.aliases("省应急管理厅") == ["省应急厅"]
    info = reg.info("省应急管理厅")
    assert info["level"] == "provincial" and info["regions"] == ["辽宁"]
    assert reg.canonical("市应急管理局") is None  # a level not registered is not guessed
    assert reg.canonical("不存在的单位") is None
    assert reg.add("交通厅") == "交通运输厅"
    assert reg.add("省交通运输厅") == "省交通运输厅"
    assert reg.canonical("交通厅") == "交通运输厅"  # the exact spelling seen wins
    assert reg.canonical("省交通厅") == "省交通运输厅"


def test_registry_keeps_every_alias_and_round_trips():
    reg = DepartmentRegistry()
    for name in ("省应急厅", "省应急管理厅", "省市场监管局", "省市场监督管理局", "各市政府"):
        reg.add(name, level="provincial", region="辽宁")
    assert reg.aliases("省市场监管局") == ["省市场监督管理局"]
    assert reg.info("各市政府")["level"] is None  # entities get no level from the document
    data = json.loads(json.dumps(reg.to_dict(), ensure_ascii=False))
    again = DepartmentRegistry.from_dict(data)
    assert again.to_dict() == reg.to_dict()
    assert again.canonical("市场监督管理局") == "省市场监管局"
    assert "省应急管理厅" in again and len(again) == 3
    with pytest.raises(ValueError):
        reg.add("  ")


def test_every_department_of_004_resolves_from_its_short_form():
    from regkb.ingest.duties import extract_duties_from_text

    reg = DepartmentRegistry()
    duties = extract_duties_from_text(DIVISION_PLAN.read_text(encoding="utf-8"), DIVISION_PLAN.name, "d4",
                                      registry=reg, level="provincial", region="辽宁")
    assert duties
    names = reg.names()
    assert "省应急管理厅" in names and "省应急厅" not in names
    assert "省交通运输厅" in names and "交通厅" not in names
    for canon in names:
        assert reg.canonical(canon) == canon
        for alias in reg.aliases(canon):
            assert reg.canonical(alias) == canon
    # nothing unprefixed that should have inherited 省
    unprefixed = [n for n in names if not n.startswith("省")]
    assert set(unprefixed) == {"国家矿山安全监察局辽宁局", "沈阳铁路监管局", "民航东北地区管理局",
                               "中国铁路沈阳局集团有限公司", "辽宁海事局", "相关市政府"}
