"""题库体检 where a bank names one kind of an article's list in the place where the article points to the
list ("…，对下列达到一定规模的危险性较大的分部分项工程编制专项施工方案…：(一)基坑支护与降水工程；(二)土方开挖
工程；…", written "…对土方开挖工程等达到一定规模的…编制专项施工方案"): a right key, not a word swapped for
下列. A kind the list lacks is still caught. The stems are written here, after the 建设工程安全生产管理条例."""

from __future__ import annotations

import pytest

from conftest import LAWS, audit_verdict, laws_kb

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


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("listed_kinds_kb"), [LAWS / "建设工程安全生产管理条例(2003-11-24).md"])


@pytest.mark.slow
def test_a_listed_kind_agrees_and_one_the_list_lacks_is_caught(kb, tmp_path):
    # 条例第二十六条's (二)土方开挖工程 and (四)起重吊装工程; 幕墙安装工程 is in no 项
    verdicts = [audit_verdict(kb, tmp_path, {"type": "judge", "stem": RULE.format(kind), "options": [], "answer": "true"})
                for kind in ("土方开挖工程", "起重吊装工程", "幕墙安装工程")]
    assert verdicts == ["agrees", "agrees", "disagrees"]
