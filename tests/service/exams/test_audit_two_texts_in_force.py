"""题库体检 where two national texts in force word one rule: the 生产安全事故报告和调查处理条例 第三十八条 (30% of
a year's income for a 一般事故, 40% for a 较大事故) and the 安全生产法 第九十五条 (40%, 60%). The search folds the
条例's article under the near-identical 特种设备安全法 第九十一条, so the audit never read it and called the
条例's figures, which a bank quotes word for word, wrong by the 安全生产法's. A figure neither text gives is
still caught."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import LAWS, audit_verdict, laws_kb


def _hit(doc_id: str, article: str, region: str | None, authority: str | None, copies=()):
    return SimpleNamespace(doc_id=doc_id, article=article, region=region, authority=authority,
                           local_copies=list(copies))


def test_national_articles_folded_under_a_hit_are_read_after_it_and_local_ones_are_not():
    from regkb.service.exams.bank_audit import _with_national_copies

    regulation = _hit("tiaoli", "第三十八条", None, "administrative_regulation")
    local = _hit("shandong", "第四十条", "山东省", "local_regulation")
    twice = _hit("law", "第九十五条", "全国", "law")
    hits = [_hit("tezhong", "第九十一条", "全国", "law", [regulation, local, twice]), twice,
            _hit("other", "第一条", "全国", "law")]
    assert [(h.doc_id, h.article) for h in _with_national_copies(hits)] == [
        ("tezhong", "第九十一条"), ("tiaoli", "第三十八条"), ("law", "第九十五条"), ("other", "第一条")]


def test_a_single_choice_key_proven_whole_by_another_document_than_the_answers_is_no_wrong_key():
    from regkb.service.exams.bank_audit import Evidence, Finding, Solution, _key_in_other_text

    regulation = Evidence("…发生一般事故的，处上一年年收入30%的罚款；", "条例.md", "条例", "第三十八条")
    law = Evidence("…发生一般事故的，处上一年年收入百分之四十的罚款；", "安全生产法.md", "安全生产法", "第九十五条")
    findings = [Finding(True, 1.0, regulation), Finding(True, 1.0, law), Finding(False, 0.97, regulation, decisive=True)]
    solution = Solution("B", law, findings)
    assert _key_in_other_text(solution, "single", "A") is findings[0]
    assert _key_in_other_text(solution, "single", "C") is None  # refuted: still a wrong key
    # proven only in part, or by the same document as the answer: the choice stands
    partial = Solution("B", law, [Finding(True, 0.9, regulation), *findings[1:]])
    assert _key_in_other_text(partial, "single", "A") is None
    same = Solution("B", law, [Finding(True, 1.0, law), *findings[1:]])
    assert _key_in_other_text(same, "single", "A") is None
    assert _key_in_other_text(solution, "multi", "A") is None


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("two_texts_kb"),
                   [LAWS / "安全生产法(2021-06-10).md", LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md",
                    LAWS / "特种设备安全法(2013-06-29).md"])


@pytest.mark.slow
def test_a_key_the_regulation_says_word_for_word_agrees_and_a_changed_figure_is_caught(kb, tmp_path):
    def judged(figure: str) -> str:
        stem = f"事故发生单位主要负责人未依法履行安全生产管理职责，导致发生较大事故的，处上一年年收入{figure}的罚款。"
        return audit_verdict(kb, tmp_path, {"type": "judge", "stem": stem, "options": [], "answer": "true"})

    assert judged("40%") == "agrees"
    assert judged("50%") == "disagrees"
    stem = "事故发生单位主要负责人未依法履行安全生产管理职责，导致发生一般事故的，处上一年年收入（ ）的罚款。"
    options = ["30%", "40%", "60%", "80%"]
    assert audit_verdict(kb, tmp_path, {"type": "single", "stem": stem, "options": options, "answer": "A"}) == "agrees"
    assert audit_verdict(kb, tmp_path, {"type": "single", "stem": stem, "options": options, "answer": "C"}) == "disagrees"
