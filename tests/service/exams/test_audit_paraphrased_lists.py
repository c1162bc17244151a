"""题库体检 on multiple choices whose options name an article's list in other words than the article: a body named
with another head (公安部门 for 公安机关, 工会组织 for 工会, the 行政监察部门 of older texts for 监察机关), a fine the
option states without its amount (处以罚款), an option that says 安全生产法律、法规 (the laws, not the 安全生产法), a
wrong key that adds options no article names to a list an article closes, statements of which one article proves
several, and a list that ends in 等 (open: what it leaves out is not absent). The stems are written here, after the
安全生产法 第四十九条, 第六十条 and 第一百零六条, the 事故报告和调查处理条例 第二十二条 and the 建设工程安全生产管理条例
第十四条 and 第二十五条."""

from __future__ import annotations

import pytest

from conftest import LAWS, SAFETY_LAW, audit_verdict, laws_kb

# 事故报告和调查处理条例第二十二条第二款
TEAM = ("根据事故的具体情况，事故调查组由有关人民政府、安全生产监督管理部门、负有安全生产监督管理职责的有关部门、"
        "监察机关、公安机关以及工会派人组成，并应当邀请人民检察院派人参加。")


def test_a_body_named_with_another_head_is_the_lists_item():
    from regkb.service.exams.bank_audit import Evidence, _item
    from regkb.service.exams.text import canonical

    def listed(option: str) -> bool | None:
        return _item(canonical(option), canonical(TEAM), [TEAM], Evidence(TEAM, None, None, None)).verdict

    assert listed("公安部门") is True  # 公安机关
    assert listed("工会组织") is True  # 工会
    assert listed("行政监察部门") is True  # 监察机关, the 行政监察机关 of older texts
    # another body, or one the list names otherwise than as a head (人民检察院 is invited, no 检察部门)
    assert listed("人事部门") is False
    assert listed("检察部门") is not True
    # a part of a longer name is not that body (监督管理部门 is not 负有…监督管理职责的有关部门)
    assert listed("财政机关") is False


def test_fines_without_their_amount_and_the_older_supervision_bodies_read_as_the_statute():
    from regkb.service.exams.text import canonical

    assert canonical("对主要负责人处以罚款") == canonical("对主要负责人处罚款")
    assert canonical("行政监察部门") == canonical("监察部门")
    # an office before 以及 stays an office (燃气管理处以及区县燃气管理部门)
    assert "处及" in canonical("市燃气管理处以及区、县燃气管理部门")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("paraphrased_lists_kb"),
                   [SAFETY_LAW, LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md",
                    LAWS / "建设工程安全生产管理条例(2003-11-24).md"])


# (stem, options, key, the audit's verdict): each a way a bank words an article's list
CASES = {
    # the stem words the lead its own way around the blank (…的人员和有关专家组成 for …派人组成), and names the
    # bodies with other heads
    "bodies with other heads": ("生产安全事故调查组由（ ）的人员和有关专家组成。",
                                ["安全生产监督管理部门", "公安部门", "行政监察部门", "人事部门", "工会组织"],
                                {"ABCE": "agrees", "ABCDE": "disagrees"}),
    # the 2014 text's lead (有多个承包单位、承租单位的) for the 2021 第四十九条's; a wrong key adds what no article names
    "a closed list": ("生产经营项目、场所有多个承包单位、承租单位的，生产经营单位应当（ ）。",
                      ["与承包单位、承租单位签订专门的安全生产管理协议", "对承包单位、承租单位的安全生产工作统一协调、管理",
                       "要求承包单位、承租单位与员工订立劳动合同", "要求承包单位、承租单位支付安全生产管理费用",
                       "要求承包单位、承租单位支付安全生产管理保证金"],
                      {"ABCD": "disagrees", "AB": "agrees"}),
    "a fine without its amount": ("某企业与从业人员订立协议，约定员工因生产安全事故伤亡的，企业不承担责任。依照《安全生产法》，"
                                  "该企业应承担的法律责任是（ ）",
                                  ["协议无效", "责令停业整顿", "对生产经营单位的主要负责人、个人经营的投资人处以罚款", "协议有效"],
                                  {"AC": "agrees"}),
    "the safety laws, not the safety law": ("依照《安全生产法》，生产经营单位的工会有权（ ）。",
                                            ["对建设项目的安全设施与主体工程同时设计、同时施工、同时投入生产和使用进行监督，提出意见",
                                             "对生产经营单位违反安全生产法律、法规，侵犯从业人员合法权益的行为，要求纠正",
                                             "依法参加事故调查，必要时对有关人员采取行政拘留"],
                                            {"AB": "agrees"}),
    "statements one article proves": ("依据《建设工程安全生产管理条例》，下列关于工程监理单位安全责任的叙述，正确的有（ ）。",
                                      ["工程监理单位在实施监理过程中，发现存在安全事故隐患的，应当要求施工单位整改",
                                       "发现施工单位的施工组织设计存在重大缺陷的，工程监理单位应当责令施工单位修改",
                                       "工程监理单位应当审查施工组织设计中的安全技术措施或者专项施工方案是否符合工程建设强制性标准"],
                                      {"AC": "agrees", "ABC": "disagrees"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_list_worded_otherwise_is_read_against_the_article(kb, tmp_path, case):
    stem, options, verdicts = CASES[case]
    for key, verdict in verdicts.items():
        assert audit_verdict(kb, tmp_path, {"type": "multi", "stem": stem, "options": options, "answer": key}) == verdict


@pytest.mark.slow
def test_a_list_that_ends_in_deng_leaves_other_items_open(kb, tmp_path):
    # 第二十五条 names 垂直运输机械作业人员、安装拆卸工、爆破作业人员、起重信号工、登高架设作业人员等: 电工 is not absent
    stem = "施工单位的（ ）等特种作业人员，必须经过专门的安全作业培训，并取得特种作业操作资格证书后，方可上岗作业。"
    options = ["垂直运输机械作业人员", "爆破作业人员", "安装拆卸工", "电工"]
    question = {"type": "multi", "stem": stem, "options": options, "answer": "ABCD"}
    assert audit_verdict(kb, tmp_path, question) != "disagrees"
