"""题库体检 against three false alarms that the tune halves and their key probes show (issue 23): a stem that cites
the law with its decree or edition (根据《危险化学品安全管理条例》（中华人民共和国国务院令第591号）规定，…), whose
number was read as a figure of the rule; 任何 under a negation (不得收取任何费用 for 不得收取费用, as the corpus
itself writes both), read as a word added; and a list's 项 said with its place in the list (…应具备的条件之三：
设置安全生产管理机构…), read as a word added instead of checked against the 项's number. The statements are
written here, after the 安全生产法 第五条, 第二十一条, 第二十四条 and 第六十四条."""

from __future__ import annotations

import pytest

from conftest import audit_verdicts


def test_a_decree_or_edition_after_the_title_is_no_part_of_the_rule():
    from regkb.service.exams.stems import EDITION_RE

    assert EDITION_RE.sub("", "根据《危险化学品安全管理条例》（中华人民共和国国务院令第591号）规定，") == (
        "根据《危险化学品安全管理条例》规定，")
    assert EDITION_RE.sub("", "《建设工程安全生产管理条例》（国务院令第 393 号）中明确了") == "《建设工程安全生产管理条例》中明确了"
    assert EDITION_RE.sub("", "《安全生产法》（2021年修正）规定，") == "《安全生产法》规定，"
    # a bracket that is no decree or edition, or one not after a title, stays
    assert EDITION_RE.sub("", "《安全生产法》（以下简称本法）") == "《安全生产法》（以下简称本法）"
    assert EDITION_RE.sub("", "处上一年年收入（30%）的罚款") == "处上一年年收入（30%）的罚款"


def test_any_under_a_negation_says_the_same_ban():
    from regkb.service.exams.align import compare
    from regkb.service.exams.text import canonical

    sentence = "负有安全生产监督管理职责的部门对涉及安全生产的事项进行审查、验收，不得收取费用。"
    assert compare(canonical("负有安全生产监督管理职责的部门对涉及安全生产的事项进行审查、验收，不得收取任何费用。"),
                   sentence).conflicts == 0
    # without the negation, or with the ban turned into a duty, it is another statement
    assert compare(canonical("负有安全生产监督管理职责的部门对涉及安全生产的事项进行审查、验收，应当收取任何费用。"),
                   sentence).conflicts > 0
    assert compare(canonical("负有安全生产监督管理职责的部门对涉及安全生产的事项进行审查、验收，不得收取全部费用。"),
                   sentence).conflicts > 0


def test_a_place_in_a_list_is_read_from_its_ordinal():
    from regkb.service.exams.bank_audit import _ORDINAL_RE

    found = _ORDINAL_RE.search("企业取得安全生产许可证，应具备的条件之三：设置安全生产管理机构")
    assert found.group(1, 2) == ("条件", "三")
    assert _ORDINAL_RE.search("有下列情形之一的，责令限期改正") is None  # one of them, no 项 said after a colon
    assert _ORDINAL_RE.search("应当经全体委员的三分之二：通过") is None  # a share


@pytest.mark.slow
def test_a_stem_with_its_decree_number_is_judged_as_without(law_kb, tmp_path):
    stem = "根据《安全生产法》（中华人民共和国主席令第88号）规定，生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。"
    assert audit_verdicts(law_kb, tmp_path, "judge", stem, [], ("true", "false")) == ["agrees", "disagrees"]
    # a figure of the rule changed is still caught with an edition beside the title
    wrong = "根据《安全生产法》（2021年修正）规定，矿山、建筑施工单位以外的其他生产经营单位，从业人员超过三百人的，应当设置安全生产管理机构或者配备专职安全生产管理人员。"
    assert audit_verdicts(law_kb, tmp_path, "judge", wrong, [], ("true",)) == ["disagrees"]


@pytest.mark.slow
def test_any_under_a_ban_agrees(law_kb, tmp_path):
    stem = "负有安全生产监督管理职责的部门对涉及安全生产的事项进行审查、验收，不得收取任何费用。"
    assert audit_verdicts(law_kb, tmp_path, "judge", stem, [], ("true", "false")) == ["agrees", "disagrees"]


@pytest.mark.slow
def test_a_list_item_said_with_its_place_is_checked_against_its_number(law_kb, tmp_path):
    lead = "生产经营单位的主要负责人对本单位安全生产工作负有的职责之{}：组织制定并实施本单位安全生产教育和培训计划。"
    assert audit_verdicts(law_kb, tmp_path, "judge", lead.format("三"), [], ("true", "false")) == ["agrees", "disagrees"]
    # the 项 is 第二十一条's (三): said at another place, the statement is another fact
    assert audit_verdicts(law_kb, tmp_path, "judge", lead.format("二"), [], ("true", "false")) == ["disagrees", "agrees"]
    # 之一 is one of them, not the first
    assert audit_verdicts(law_kb, tmp_path, "judge", lead.format("一"), [], ("true",)) != ["disagrees"]
