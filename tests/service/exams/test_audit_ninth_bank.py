"""题库体检 on the ways a ninth trainer's bank (a 粤港澳 safety contest's 单选, three options each) writes its
questions: a stem that asks with a question word where other banks put a blank ("…费用由谁承担？", "…应当与
主体工程如何进行？"), and a key in a superseded figure where no option gives the figure in force (the 2014
安全生产法's fines for the 主要负责人, 60% and 80%, where 第九十五条 now says 百分之八十 and 百分之一百). The stems
are written here, after the 安全生产法 第三十一条, 第四十六条 and 第九十五条."""

from __future__ import annotations

import pytest

from conftest import audit_verdicts


def test_a_question_word_is_read_as_the_blank():
    from regkb.service.exams.stems import asked_blank

    assert asked_blank("职业健康检查费用由谁承担？") == "职业健康检查费用由（ ）承担。"
    assert asked_blank("安全设施必须与主体工程如何进行？") == "安全设施必须与主体工程（ ）。"
    assert asked_blank("建设项目在什么时候应当进行控制效果评价？") == "建设项目在（ ）应当进行控制效果评价。"
    assert asked_blank("至少每几年进行一次演练？") == "至少每（ ）年进行一次演练。"
    assert asked_blank("初次培训不得少于多少学时，每年再培训不得少于多少学时？") == (
        "初次培训不得少于（ ）学时，每年再培训不得少于（ ）学时。")
    # a stem with its blank, a stem that asks nothing, a stem without its question mark: as they are
    assert asked_blank("职业健康检查费用由（ ）承担。") == "职业健康检查费用由（ ）承担。"
    assert asked_blank("下列什么单位应当建立专职消防队。") == "下列什么单位应当建立专职消防队。"
    assert asked_blank("生产经营单位应当如此？") == "生产经营单位应当如此？"


def test_a_stem_with_a_blank_per_clause_is_read_clause_by_clause():
    from regkb.service.exams.bank_audit import _slot_clauses

    stem = "主要负责人未履行职责的，依照下列规定处以罚款：发生较大事故的，处（ ）的罚款；发生重大事故的，处（ ）的罚款。"
    assert _slot_clauses(stem) == ["主要负责人未履行职责的，依照下列规定处以罚款：发生较大事故的，处（ ）的罚款",
                                   "主要负责人未履行职责的，依照下列规定处以罚款：发生重大事故的，处（ ）的罚款。"]
    assert _slot_clauses("应当于（ ）内报告。") == ["应当于（ ）内报告。"]
    assert _slot_clauses("处（ ）以上（ ）以下的罚款。") == []  # two blanks in one clause


@pytest.mark.slow
def test_a_question_word_stem_takes_no_figure_from_an_article_on_another_matter(law_kb, tmp_path):
    # no text of the store rules on 潜水作业; read as a list's lead-in, the stem found 第九十四条's 五年内
    # (主要负责人…五年内不得担任…) and took it for the answer, calling the key 三年内 wrong
    stem = "潜水作业人员违反操作规程受处分的，多少年内不得从事潜水作业？"
    options = ["三年内", "五年内", "十年内"]
    assert law_kb.solve(stem, options, kind="single").answer is None
    assert audit_verdicts(law_kb, tmp_path, "single", stem, options, ("A", "B")) == ["undecided", "undecided"]


@pytest.mark.slow
def test_a_question_word_stem_is_answered_as_its_blank_would_be(law_kb, tmp_path):
    stem = "生产经营单位新建、改建、扩建工程项目的安全设施，必须与主体工程如何进行？"
    options = ["同时设计、同时施工", "同时设计、同时施工、同时投入生产和使用", "同时验收、同时投入使用"]
    solved = law_kb.solve(stem, options, kind="single")
    assert solved.answer == "B" and solved.article == "第三十一条"
    assert audit_verdicts(law_kb, tmp_path, "single", stem, options, ("B", "C")) == ["agrees", "disagrees"]


@pytest.mark.slow
def test_a_figure_no_option_gives_makes_the_key_wrong(law_kb, tmp_path):
    lead = "生产经营单位的主要负责人未履行本法规定的安全生产管理职责，导致发生生产安全事故的，由应急管理部门依照下列规定处以罚款："
    stem = lead + "发生较大事故的，处上一年年收入（ ）的罚款；发生重大事故的，处上一年年收入（ ）的罚款。"
    # the 2014 law's figures (40%，60%) and others; the text in force says 百分之六十 and 百分之八十
    superseded = ["30%，40%", "40%，60%", "20%，50%"]
    assert audit_verdicts(law_kb, tmp_path, "single", stem, superseded, ("B",)) == ["disagrees"]
    # with the figures in force among the options, the key that gives them is not called wrong
    offered = ["30%，40%", "40%，60%", "60%，80%"]
    assert audit_verdicts(law_kb, tmp_path, "single", stem, offered, ("C",)) != ["disagrees"]
    one = lead + "发生一般事故的，处上一年年收入（ ）的罚款。"
    assert audit_verdicts(law_kb, tmp_path, "single", one, ["20%", "30%", "50%"], ("B",)) == ["disagrees"]
