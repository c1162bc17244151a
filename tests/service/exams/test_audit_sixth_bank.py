"""题库体检 on the ways a sixth trainer's bank (a 辽宁 公路水运 安全员 review bank: 法律体系及安全法律法规) writes
its questions: the 国土资源主管部门 that the 2014 安全生产法 names, renamed 自然资源主管部门 in 2018, and a list item
shortened as Chinese shortens names (起吊工程 for the 条例's 起重吊装工程). The stems are written here, after the
安全生产法 第七十八条 and the 建设工程安全生产管理条例 第二十六条."""

from __future__ import annotations

import pytest

from conftest import LAWS, audit_verdict, laws_kb

# 安全生产法第七十八条 (2021), the sentence a bank quoting the 2014 text is read against
NOTICE = ("对违法行为情节严重的生产经营单位及其有关从业人员，应当及时向社会公告，并通报行业主管部门、投资主管部门、"
          "自然资源主管部门、生态环境主管部门、证券监督管理机构以及有关金融机构。")


def test_the_renamed_land_resources_department_is_read_as_todays():
    from regkb.service.exams.align import compare
    from regkb.service.exams.text import canonical

    assert canonical("通报国土资源主管部门") == canonical("通报自然资源主管部门")
    older = compare(canonical("对违法行为情节严重的生产经营单位，应当向社会公告，并通报国土资源主管部门。"), NOTICE)
    assert older.conflicts == 0 and older.coverage >= 0.8
    # another department in its place is still another department
    assert canonical("通报国土资源主管部门") != canonical("通报工商行政管理部门")


# 建设工程安全生产管理条例第二十六条's list, as the corpus writes its 项
WORKS = ["对下列达到一定规模的危险性较大的分部分项工程编制专项施工方案：", "（一）基坑支护与降水工程；", "（二）土方开挖工程；",
         "（三）模板工程；", "（四）起重吊装工程；", "（五）脚手架工程；", "（六）拆除、爆破工程；"]


def test_a_list_item_shortened_as_names_are_is_the_item():
    from regkb.service.exams.bank_audit import Evidence, _item
    from regkb.service.exams.text import canonical

    def listed(option: str) -> bool | None:
        return _item(canonical(option), canonical("".join(WORKS)), WORKS, Evidence(WORKS[0], None, None, None)).verdict

    assert listed("起吊工程") is True  # 起重吊装工程, shortened
    # a character swapped or added is another work, not a shortening
    assert listed("起重安装工程") is not True
    assert listed("浇灌混凝土工程") is False
    assert listed("吊装起重工程") is not True


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("sixth_bank_kb"), [LAWS / "建设工程安全生产管理条例(2003-11-24).md"])


@pytest.mark.slow
def test_a_multiple_choice_with_a_shortened_item_is_read_against_the_list(kb, tmp_path):
    stem = "施工单位应当对以下哪些危险性较大的分部分项工程编制专项施工方案（ ）。"
    options = ["基坑支护与降水工程", "土方开挖工程", "浇灌混凝土工程", "起吊工程", "脚手架工程"]
    assert audit_verdict(kb, tmp_path, {"type": "multi", "stem": stem, "options": options, "answer": "ABDE"}) == "agrees"
    assert audit_verdict(kb, tmp_path, {"type": "multi", "stem": stem, "options": options, "answer": "ABCDE"}) == "disagrees"
