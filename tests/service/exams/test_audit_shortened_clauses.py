"""题库体检 and 解题 where an article says a rule in a shortened form that banks write out: a clause
after ；that gives another grade its own figure and leaves the first clause's frame out (…15日内做出
批复；特别重大事故，30日内做出批复), two measures a penalty joins with 或者 under one verb (责令停止使用…
或者停产停业整顿, which banks list as 责令停产), and 制订 for the statute's 制定. The stems are
written here, after the 生产安全事故报告和调查处理条例, the 特种设备安全法 and the 安全生产法."""

from __future__ import annotations

import pytest

from conftest import LAWS, SAFETY_LAW, audit_verdict, audit_verdicts, laws_kb


def test_a_parallel_clause_is_read_with_the_first_clauses_frame():
    from regkb.service.exams.bank_audit import _parallel_figure

    line = ("重大事故、较大事故、一般事故，负责事故调查的人民政府应当自收到事故调查报告之日起15日内做出批复；"
            "特别重大事故，30日内做出批复，特殊情况下，批复时间可以适当延长，但延长的时间最长不超过30日。")
    assert _parallel_figure(line) == ["特别重大事故，负责事故调查的人民政府应当自收到事故调查报告之日起30日内做出批复。"]
    # a clause without a figure of its own, or words the first clause does not say, leaves nothing
    assert _parallel_figure("施工单位应当设立安全生产管理机构；对于违章指挥、违章操作的，应当立即制止。") == []
    assert _parallel_figure("一般事故，处10万元以上罚款；较大事故，报省级政府备案30日内") == []
    # where the first clause says two things, which of them the later clause keeps is not said (安全生产法第九十四条)
    assert _parallel_figure("主要负责人未履行本法规定的安全生产管理职责的，责令限期改正，处二万元以上五万元以下的罚款；"
                            "逾期未改正的，处五万元以上十万元以下的罚款，责令生产经营单位停产停业整顿。") == []


def test_the_second_measure_of_a_penalty_is_read_with_its_verb():
    from regkb.service.exams.bank_audit import _alternatives
    from regkb.service.exams.text import canonical

    assert _alternatives("逾期未改正的，责令停止使用有关特种设备或者停产停业整顿，处一万元以上五万元以下罚款") == ["责令停产停业整顿"]
    assert _alternatives("应当按照规定配备安全管理人员") == []
    assert canonical("组织制订安全生产规章制度") == canonical("组织制定安全生产规章制度")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("shortened_kb"), [LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md",
                                                            LAWS / "特种设备安全法(2013-06-29).md", SAFETY_LAW])


@pytest.mark.slow
def test_the_second_grades_deadline_is_read_and_a_changed_one_caught(kb, tmp_path):
    # 条例第三十二条: …15日内做出批复；特别重大事故，30日内做出批复
    stem = "发生特别重大事故的，负责事故调查的人民政府应当自收到事故调查报告之日起（ ）日内做出批复。"
    options = ["15", "30", "45", "60"]
    assert kb.solve(stem, options, kind="single").answer == "B"
    verdicts = audit_verdicts(kb, tmp_path, "single", stem, options, "AB")
    assert verdicts == ["disagrees", "agrees"]
    statement = "特别重大事故，负责事故调查的人民政府应当自收到事故调查报告之日起{}日内做出批复。"
    assert [kb.solve(statement.format(days), kind="judge").answer for days in (30, 15)] == ["true", "false"]


@pytest.mark.slow
def test_a_penalty_listed_by_its_second_measure(kb, tmp_path):
    # 特种设备安全法第八十六条: 责令限期改正；逾期未改正的，责令停止使用有关特种设备或者停产停业整顿，处一万元以上五万元以下罚款
    stem = "特种设备使用单位未对特种设备作业人员进行安全教育和技能培训的，会受到哪些处理？（ ）"
    options = ["责令限期改正", "责令停产", "处一万元以上五万元以下罚款", "吊销营业执照"]
    assert kb.solve(stem, options, kind="multi").answer == "ABC"
    # the key with an item the article does not name is still caught
    assert {key: audit_verdict(kb, tmp_path, {"type": "multi", "stem": stem, "options": options, "answer": key})
            for key in ("ABC", "ABCD")} == {"ABC": "agrees", "ABCD": "disagrees"}
