"""题库体检 and 解题 on the ways a fifth trainer's bank (a 广东 安全生产月 contest bank: 法律法规, 安全管理) writes
its questions: a 适用 statement against an article that says "…不适用本条例", a stem that quotes an article naming a
law the store lacks, a question whose blank ends it after 哪几个, clauses in another order than the article's around
a blank whose options are laws, 調査 typed in its Japanese form, the 行政监察法 of older texts, and 相关资料 for the
article's 下列资料. The stems are written here, after the 工伤保险条例, the 事故报告和调查处理条例, the 安全生产许可证条例
and the 建设工程安全生产管理条例."""

from __future__ import annotations

import pytest

from conftest import LAWS, audit_verdict, laws_kb

# 事故报告和调查处理条例第二条
SCOPE = ("生产经营活动中发生的造成人身伤亡或者直接经济损失的生产安全事故的报告和调查处理，适用本条例；"
         "环境污染事故、核设施事故、国防科研生产事故的报告和调查处理不适用本条例。")


def test_a_negation_the_sentence_says_where_the_statement_asserts_opposes_it():
    from regkb.service.exams.align import compare
    from regkb.service.exams.text import canonical

    # the law as the subject (本法适用于X) against "X…，不适用本法": the negation moved with the clause order
    exempt = "抢险救灾和农民自建低层住宅的安全生产管理，不适用本条例。"
    assert compare(canonical("本法适用于抢险救灾和农民自建低层住宅的安全生产管理。"), exempt).conflicts > 0
    # the negation right before the text both share, after more that the sentence says
    assert compare(canonical("国防科研生产事故适用本法。"), SCOPE).conflicts > 0
    # what the sentence says without a negation still holds
    agreed = compare(canonical("生产安全事故的报告和调查处理，适用本条例。"), SCOPE)
    assert agreed.conflicts == 0 and agreed.coverage >= 0.8


def test_question_words_variant_forms_renamed_laws_and_pointed_lists_read_as_the_article_does():
    from regkb.service.exams.align import compare, conflicts
    from regkb.service.exams.stems import PREFIX_RE
    from regkb.service.exams.text import canonical

    # 哪几个 asks where the article gives the figure (三个)
    article = "劳动功能障碍分为十个伤残等级，最重的为一级，最轻的为十级。"
    assert conflicts(canonical("劳动功能障碍分为哪几个伤残等级，最重的为一级"), canonical(article)).hard == 0
    assert conflicts(canonical("劳动功能障碍分为九个伤残等级，最重的为一级"), canonical(article)).hard == 1
    assert PREFIX_RE.sub("", "《工伤保险条例》中规定，劳动能力鉴定…") == "劳动能力鉴定…"
    assert canonical("事故调査组") == canonical("事故调查组")
    assert canonical("生產經營單位應當建立安全生產責任制") == canonical("生产经营单位应当建立安全生产责任制")
    assert canonical("事故调査组") != canonical("事故调研组")
    assert canonical("依照行政监察法的规定") == canonical("依照监察法的规定")
    # the things a 下列 list names, called 相关 by a statement that leaves the list out; another word stays a swap
    sentence = "建设单位应当将下列资料报送有关部门备案："
    assert compare(canonical("建设单位应当将相关资料报送有关部门备案。"), sentence).conflicts == 0
    assert compare(canonical("建设单位应当将全部资料报送有关部门备案。"), sentence).conflicts > 0


def test_a_stems_clauses_are_read_in_the_sentences_order_around_its_blank():
    from regkb.service.exams.blanks import in_sentence_order, option_fits

    sentence = "为了规范安全生产条件，防止和减少生产安全事故，根据《中华人民共和国安全生产法》的有关规定，制定本条例。"
    stem = "本法是根据（ ）的有关规定制定的，为了规范安全生产条件，防止和减少生产安全事故。"
    moved = in_sentence_order(stem, sentence)
    assert moved == "为了规范安全生产条件，防止和减少生产安全事故，本法是根据（ ）的有关规定制定的。"
    options = ["《中华人民共和国安全生产法》", "《中华人民共和国建筑法》"]
    assert option_fits(moved, sentence, options)[2] == [2, 0]
    assert not option_fits(stem, sentence, options) or option_fits(stem, sentence, options)[2] != [2, 0]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("fifth_bank_kb"),
                   [LAWS / "工伤保险条例(2010-12-20).md", LAWS / "生产安全事故报告和调查处理条例(2007-04-09).md",
                    LAWS / "安全生产许可证条例(2014-07-29).md", LAWS / "建设工程安全生产管理条例(2003-11-24).md"])


@pytest.mark.slow
def test_scope_statements_are_read_against_the_article_that_excludes(kb, tmp_path):
    def verdict(stem: str, answer: str) -> str:
        return audit_verdict(kb, tmp_path, {"type": "judge", "stem": stem, "options": [], "answer": answer})

    exempt = "《建设工程安全生产管理条例》适用于抢险救灾和农民自建低层住宅的安全生产管理。"
    assert (verdict(exempt, "false"), verdict(exempt, "true")) == ("agrees", "disagrees")
    # the law's name with 調査 for 调查
    assert verdict("环境污染事故适用《生产安全事故报告和调査处理条例》。", "false") == "agrees"


@pytest.mark.slow
def test_a_law_the_store_lacks_that_the_article_names_is_its_content(kb, tmp_path):
    stem = "（ ）的征缴按照《社会保险费征缴暂行条例》关于基本养老保险费、基本医疗保险费、失业保险费的征缴规定执行。"
    options = ["医疗保险费", "工伤保险费", "失业保险费"]
    assert kb.solve(stem, options, kind="single").answer == "B"
    assert audit_verdict(kb, tmp_path, {"type": "single", "stem": stem, "options": options, "answer": "A"}) == "disagrees"
    # a stem that asks under a law the store lacks stays open
    other = "根据《社会保险法》，（ ）的征缴按照国家有关规定执行。"
    assert kb.solve(other, options, kind="single").answer is None


@pytest.mark.slow
def test_blanks_after_the_question_and_in_moved_clauses_are_solved(kb):
    options = ["生活完全不能自理和生活部分不能自理", "生活完全不能自理、生活大部分不能自理和生活部分不能自理",
               "生活完全不能自理和生活大部分不能自理"]
    assert kb.solve("《工伤保险条例》中规定，生活自理障碍分为哪几个等级（ ）。", options, kind="single").answer == "B"
    laws = ["《中华人民共和国建筑法》", "《中华人民共和国安全生产法》", "《建设工程安全生产管理条例》"]
    stem = "《安全生产许可证条例》是根据（ ）的有关规定制定的，为了严格规范安全生产条件，防止和减少生产安全事故。"
    assert kb.solve(stem, laws, kind="single").answer == "B"
