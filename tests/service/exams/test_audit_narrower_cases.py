"""题库体检 where a bank states one grade of the accidents a rule names without a grade (在本单位发生重大生产安全事故时
…逃匿的, where 安全生产法第一百一十条 says 发生生产安全事故时): a right key, not a word added. A changed figure, and a
grade put in the place of another where the rule names grades, are still caught. The stems are written here, after
the 安全生产法."""

from __future__ import annotations

import pytest

from conftest import SAFETY_LAW, audit_verdict, laws_kb


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
    return laws_kb(tmp_path_factory.mktemp("graded_accidents_kb"), [SAFETY_LAW])


@pytest.mark.slow
def test_a_graded_accident_of_an_ungraded_rule_agrees_and_a_changed_term_is_caught(kb, tmp_path):
    stem = "《安全生产法》规定，生产经营单位主要负责人在本单位发生重大生产安全事故时，在事故调查处理期间逃匿的，处{}日以下拘留。"
    verdicts = [audit_verdict(kb, tmp_path, {"type": "judge", "stem": stem.format(days), "options": [], "answer": "true"})
                for days in ("十五", "十")]
    assert verdicts == ["agrees", "disagrees"]
