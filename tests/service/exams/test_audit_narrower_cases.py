"""题库体检 where a bank states one case of what an article says for many: one kind of the article's list in
the place where the article points to the list ("…，对下列达到一定规模的危险性较大的分部分项工程编制专项施工方案
…：(一)基坑支护与降水工程；(二)土方开挖工程；…", written "…对土方开挖工程等达到一定规模的…编制专项施工方案"),
or one grade of the accidents a rule names without a grade (在本单位发生重大生产安全事故时…逃匿的, where
安全生产法第一百一十条 says 发生生产安全事故时): right keys, not words swapped or added. A kind the list lacks,
and a changed figure, are still caught. The stems are written here, after the 建设工程安全生产管理条例 and the
安全生产法."""

from __future__ import annotations

import pytest

from conftest import LAWS, SAFETY_LAW, audit_verdict, laws_kb

RULE = ("施工单位应当在施工组织设计中编制安全技术措施和施工现场临时用电方案，对{}等达到一定规模的危险性较大的"
        "分部分项工程编制专项施工方案。")


def test_a_short_item_is_read_in_the_pointers_place():
    from regkb.service.exams.bank_audit import _in_pointer

    leadin = "施工单位应当…，对下列达到一定规模的危险性较大的分部分项工程编制专项施工方案，并附具安全验算结果："
    assert _in_pointer(leadin, "土方开挖工程；", "") == [
        "施工单位应当…，对土方开挖工程等达到一定规模的危险性较大的分部分项工程编制专项施工方案，并附具安全验算结果。"]
    # a 项 that is a clause of its own, or a lead-in that points to no list, gives nothing
    assert _in_pointer(leadin, "对检查中发现的安全事故隐患，责令立即排除；", "") == []
    assert _in_pointer("施工单位应当履行以下职责：", "土方开挖工程；", "") == []
    # a question that says 下列 itself reads the lead-in as it stands
    assert _in_pointer(leadin, "土方开挖工程；", "施工单位应当对下列（ ）编制专项施工方案") == []


def test_a_grade_put_before_an_ungraded_rules_accidents_is_one_case_of_it():
    from regkb.service.exams.align import compare
    from regkb.service.exams.text import canonical

    rule = "生产经营单位的主要负责人在本单位发生生产安全事故时，在事故调查处理期间逃匿的，处十五日以下拘留。"
    coverage, conflicts, inserts, _, _ = compare(canonical(rule.replace("发生", "发生重大", 1)), rule)
    assert (conflicts, inserts) == (0, 1) and coverage > 0.9
    # where the sentence names grades, one put in its place is another fact
    graded = "发生一般事故的，处上一年年收入百分之四十的罚款。"
    assert compare(canonical("发生较大事故的，处上一年年收入百分之四十的罚款。"), graded)[1] > 0


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("listed_kinds_kb"), [LAWS / "建设工程安全生产管理条例(2003-11-24).md",
                                                                 SAFETY_LAW])


@pytest.mark.slow
def test_a_listed_kind_agrees_and_one_the_list_lacks_is_caught(kb, tmp_path):
    # 条例第二十六条's (二)土方开挖工程 and (四)起重吊装工程; 幕墙安装工程 is in no 项
    verdicts = [audit_verdict(kb, tmp_path, {"type": "judge", "stem": RULE.format(kind), "options": [], "answer": "true"})
                for kind in ("土方开挖工程", "起重吊装工程", "幕墙安装工程")]
    assert verdicts == ["agrees", "agrees", "disagrees"]


@pytest.mark.slow
def test_a_graded_accident_of_an_ungraded_rule_agrees_and_a_changed_term_is_caught(kb, tmp_path):
    stem = "《安全生产法》规定，生产经营单位主要负责人在本单位发生重大生产安全事故时，在事故调查处理期间逃匿的，处{}日以下拘留。"
    verdicts = [audit_verdict(kb, tmp_path, {"type": "judge", "stem": stem.format(days), "options": [], "answer": "true"})
                for days in ("十五", "十")]
    assert verdicts == ["agrees", "disagrees"]
