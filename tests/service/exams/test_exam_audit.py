"""题库体检 and 解题 over the shared ``law_kb``: a generated bank exported, keys planted wrong,
read back from xlsx, csv and JSON; hand-written questions; bad files; the CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from regkb.service.exams.bank_audit import canonical
from regkb.service.exams.export import COLUMNS, row_of
from regkb.service.exams.generators import LETTERS
from regkb.service.knowledge_base import KnowledgeBaseError


def regkb(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REGKB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "regkb.service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def wrong_key(question) -> str:
    """Another key for the question: the opposite judgement, or the next letter."""
    if question.type == "judge":
        return "false" if question.answer == "true" else "true"
    letters = LETTERS[:len(question.options)]
    if question.type == "single":
        return letters[(letters.index(question.answer) + 1) % len(letters)]
    return "".join(sorted(set(letters) ^ set(question.answer[:1])))  # drop or add one letter


@pytest.fixture(scope="module")
def bank(law_kb, tmp_path_factory):
    """A bank of 24 generated questions (judge, single, multi) as xlsx, every third key planted wrong."""
    from openpyxl import Workbook

    questions = law_kb.exam(count=24, types="judge,single,multi", source="安全生产法", seed=5).questions
    planted = set(range(0, len(questions), 3))
    book = Workbook()
    book.active.append(list(COLUMNS))
    for index, question in enumerate(questions):
        key = wrong_key(question) if index in planted else question.answer
        book.active.append(row_of(question.model_copy(update={"answer": key})))
    path = tmp_path_factory.mktemp("bank") / "题库.xlsx"
    book.save(path)
    return path, questions, planted


def test_canonical_compares_figures_by_value():
    assert canonical("三十日内") == canonical("30日内")
    assert canonical("处上一年年收入百分之四十的罚款") == canonical("处上一年年收入40%的罚款")
    assert canonical("处十万元以上") == canonical("处10万元以上")
    assert canonical("二十日") != canonical("三十日")


def test_planted_wrong_keys_are_flagged_and_right_ones_kept(law_kb, bank):
    path, questions, planted = bank
    response = law_kb.check_exam(path)
    assert response.checked == len(questions)
    verdicts = [r.verdict for r in response.results]
    assert [r.row for r in response.results] == list(range(1, len(questions) + 1))
    assert not any(verdicts[i] == "disagrees" for i in range(len(questions)) if i not in planted)
    flagged = sum(verdicts[i] == "disagrees" for i in planted)
    assert flagged >= 0.8 * len(planted), verdicts
    for index in planted:
        result = response.results[index]
        if result.verdict == "disagrees":
            assert result.corpus_answer == questions[index].answer
            assert result.quote and result.source == questions[index].source and result.article


def test_report_is_written_beside_the_bank(law_kb, bank):
    from openpyxl import load_workbook

    path, questions, _ = bank
    response = law_kb.check_exam(path)
    report = Path(response.report)
    assert report.parent == path.parent and report.name == "题库.体检.xlsx"
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "题干", "题库答案", "结论") and len(rows) == len(questions) + 1
    assert {row[3] for row in rows[1:]} <= {"一致", "不一致", "无法判定"}
    assert sum(row[3] == "不一致" for row in rows[1:]) == response.disagrees


def test_csv_and_json_banks_read_the_same(law_kb, bank, tmp_path):
    _, questions, _ = bank
    chosen = questions[:6]
    csv_path = tmp_path / "bank.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(row_of(q) for q in chosen)
    json_path = tmp_path / "bank.json"
    json_path.write_text(json.dumps({"questions": [q.model_dump() for q in chosen]}, ensure_ascii=False), encoding="utf-8")
    from_csv = law_kb.check_exam(csv_path)
    from_json = law_kb.check_exam(json_path)
    assert [r.given for r in from_csv.results] == [r.given for r in from_json.results] == [q.answer for q in chosen]
    assert [r.verdict for r in from_csv.results] == [r.verdict for r in from_json.results]
    assert "disagrees" not in [r.verdict for r in from_csv.results]


def test_solve_decides_reworded_questions(law_kb):
    late = law_kb.solve("生产经营单位发生生产安全事故后，事故现场有关人员应当在2小时内报告本单位负责人。")
    assert late.decided and late.answer == "false" and "立即报告本单位负责人" in late.quote
    assert late.article == "第八十三条"
    right = law_kb.solve("从业人员在一百人以下的，应当配备专职或者兼职的安全生产管理人员。")
    assert right.answer == "true" and right.article == "第二十四条"
    choice = law_kb.solve("生产经营单位的（ ）是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。",
                          ["安全生产管理人员", "主要负责人", "安全总监", "班组长"])
    assert choice.answer == "B" and choice.article == "第五条"


def test_solve_abstains_where_no_article_settles_it(law_kb):
    response = law_kb.solve("干粉灭火器可以用于扑救带电设备的初起火灾。")
    assert not response.decided and response.answer is None and response.quote is None


def test_bad_bank_files_get_chinese_errors(law_kb, tmp_path):
    with pytest.raises(KnowledgeBaseError, match="文件不存在"):
        law_kb.check_exam(tmp_path / "none.xlsx")
    odd = tmp_path / "bank.txt"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="不支持的题库格式"):
        law_kb.check_exam(odd)
    headless = tmp_path / "headless.csv"
    headless.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="缺少“题干”列"):
        law_kb.check_exam(headless)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(KnowledgeBaseError, match="无法读取题库"):
        law_kb.check_exam(broken)


@pytest.mark.slow
def test_cli_check_and_solve(law_kb, bank):
    path, questions, planted = bank
    home = law_kb.settings.home
    result = regkb(home, "exam", "check", str(path), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["checked"] == len(questions) and payload["disagrees"] >= 0.8 * len(planted)
    result = regkb(home, "exam", "solve", "（ ）是本单位安全生产第一责任人。", "--options", "安全总监", "主要负责人")
    assert result.returncode == 0 and "答案:B" in result.stdout and "第五条" in result.stdout
    result = regkb(home, "exam", "check", str(path.with_suffix(".doc")))
    assert result.returncode == 2 and result.stderr.startswith("错误:")


def test_paraphrase_is_tolerated_but_a_changed_fact_is_not(law_kb):
    # 工伤社会保险 = 工伤保险, and 依法 may be dropped
    right = law_kb.solve("生产经营单位必须参加工伤社会保险，为从业人员缴纳保险费。")
    assert right.answer == "true" and right.article == "第五十一条"
    changed = law_kb.solve("生产经营单位可以参加工伤保险，为从业人员缴纳保险费。")
    assert changed.answer == "false" and changed.article == "第五十一条"


def test_blank_without_options_is_read_from_the_article(law_kb, tmp_path):
    stem = "其他生产经营单位，从业人员超过（ ）人的，应当设置安全生产管理机构或者配备专职安全生产管理人员。"
    solved = law_kb.solve(stem)  # a blank inside the stem and no options: a 填空
    assert solved.answer == "100" and solved.article == "第二十四条"
    bank = tmp_path / "blanks.json"
    bank.write_text(json.dumps([{"type": "blank", "stem": stem, "answer": "一百"},
                                {"type": "blank", "stem": stem, "answer": "300"},
                                {"type": "blank", "stem": "生产经营单位必须依法参加（ ），为从业人员缴纳保险费。", "answer": "工伤保险"}],
                               ensure_ascii=False), encoding="utf-8")
    verdicts = [r.verdict for r in law_kb.check_exam(bank, report=False).results]
    assert verdicts == ["agrees", "disagrees", "agrees"]


def test_penalty_ranges_compare_as_banks_write_them(law_kb):
    stem = "生产经营单位的主要负责人未履行本法规定的安全生产管理职责的，责令限期改正，处（ ）的罚款。"
    solved = law_kb.solve(stem, ["1～2万元", "2～5万元", "5～10万元", "10～20万元"])
    assert solved.answer == "B" and solved.article == "第九十四条"


def test_multi_select_reads_items_the_options_restate(law_kb):
    # A and B restate 第六十七条, C 第六十八条 (in older words: 监督执法证件 for 行政执法证件)
    solved = law_kb.solve("安全生产监督检查人员（ ）", ["执行监督检查任务时，必须出示有效的监督执法证件", "应当忠于职守，坚持原则，秉公执法",
                                                 "应当将检查的时间、地点、内容、发现的问题及其处理情况，作出书面记录",
                                                 "可以随时发布检查中获取的商业信息"])
    assert solved.answer == "ABC"


def test_a_stem_names_its_law_in_full_or_loosely(law_kb):
    judge = law_kb.exam_desk().judge
    body, law = judge.read_stem("依据《中华人民共和国安全生产法》第二十条的规定，不具备安全生产条件的生产经营单位（ ）。")
    assert body == "不具备安全生产条件的生产经营单位（ ）。" and law == "安全生产法"
    assert judge.law_title("安全生产发") == "安全生产法"  # a slip in the name
    assert judge.law_title("消防法") is None  # not in this store
    assert judge.read_stem("《安全生产法》是为了（ ）。") == ("《安全生产法》是为了（ ）。", "安全生产法")
    # a law the store does not hold: the 安全生产法's articles on 事故隐患 do not settle it
    other = "建筑施工企业违反《建筑法》规定，对建筑安全事故隐患不采取措施予以消除的，责令改正，（ ）。"
    options = ["吊扣资质证书", "降低资质等级", "可处以罚款", "依法追究刑事责任"]
    assert judge.foreign(other) and law_kb.solve(other, options, kind="single").answer is None
    assert judge.check(other, options, "single", "C")[0] == "undecided"
    assert not judge.foreign("违反《生产安全应急管理办法》，依照《中华人民共和国安全生产法》的规定处罚。")


def test_a_restated_word_a_particle_and_legal_synonyms_are_no_conflict():
    from regkb.service.exams.align import compare

    sentence = "事故发生后，单位负责人接到报告后，应当立即报告。"
    assert compare(canonical("单位负责人接到事故报告后应当立即报告"), sentence).conflicts == 0  # 事故 said before
    assert compare(canonical("单位负责人接到书面报告后应当立即报告"), sentence).conflicts > 0  # 书面 is new
    # "…制定的" for "…制定本条例"
    assert compare(canonical("本条例是为了规范管理根据有关法律制定的"), "为了规范管理，根据有关法律，制定本条例。").conflicts == 0
    assert canonical("必须参加工伤保险") == canonical("应当参加工伤保险")
    assert canonical("禁止吸烟") == canonical("严禁吸烟") == canonical("不得吸烟")
    assert canonical("县级以上人民政府") == canonical("县级以上政府")
    assert canonical("200人及以上") == canonical("200人以上")
    assert canonical("可以参加工伤保险") != canonical("应当参加工伤保险")


def test_a_denial_the_statement_adds_is_a_conflict():
    from regkb.service.exams.align import compare

    sentence = "生产经营单位应当对从业人员进行培训，保证其具备必要的知识。"
    assert compare(canonical("生产经营单位应当对从业人员进行培训，没必要保证其具备必要的知识"), sentence).conflicts > 0
    assert compare(canonical("生产经营单位无权对从业人员进行培训"), sentence).conflicts > 0
    assert compare(canonical("生产经营单位应当对从业人员进行培训，保证其具备必要的知识"), sentence).conflicts == 0


def test_a_blank_may_stand_for_one_end_of_a_penalty_range():
    from regkb.service.exams.blanks import fill_slots, same_blank_answer

    sentence = "逾期未改正的，处二万元以上五万元以下的罚款。"
    low = fill_slots("逾期未改正的，处（ ）以上五万元以下的罚款。", sentence)
    assert low and same_blank_answer(low.texts[0], "二万元") and same_blank_answer(low.texts[0], "2万元")
    assert same_blank_answer(low.texts[0], "五万元") is False
    whole = fill_slots("逾期未改正的，处（ ）的罚款。", sentence)
    assert whole and same_blank_answer(whole.texts[0], "2～5万元")


def test_a_list_the_lead_denies_is_read_in_the_clause_that_denies_it(law_kb):
    judge = law_kb.exam_desk().judge
    sentences = ["甲类事故的报告适用本条例；乙类事故、丙类事故的报告不适用本条例。"]
    assert judge.lead_clause(canonical("的报告不适用本条例"), sentences) == "乙类事故、丙类事故的报告不适用本条例。"
    assert judge.lead_clause(canonical("的报告适用本条例"), sentences) == "甲类事故的报告适用本条例；"
    assert judge.lead_clause(canonical("单位应当履行下列职责"), ["单位应当履行下列职责："]) is None  # 项 follow
    # no clause says the lead the other way: a 不得 list is read as any list
    assert judge.lead_clause(canonical("任何单位不得"), ["任何单位不得迟报、漏报或者谎报；应当如实报告。"]) is None


def test_solve_reads_denials_and_options_a_list_sentence_leaves_out(law_kb):
    denied = law_kb.solve("生产经营单位应当对从业人员进行安全生产教育和培训，没必要保证从业人员具备必要的安全生产知识。")
    assert denied.answer == "false" and denied.article == "第二十八条"
    said = law_kb.solve("生产经营单位必须对从业人员进行安全生产教育和培训，保证从业人员具备必要的安全生产知识。")
    assert said.answer == "true" and said.article == "第二十八条"
    purposes = law_kb.solve("《安全生产法》是为了（ ），促进经济社会持续健康发展而制定的",
                            ["加强安全生产工作", "防止生产安全事故", "保障人民群众生命和财产安全", "规范生产安全事故的报告和调查处理"],
                            kind="multi")
    assert purposes.answer == "ABC" and purposes.article == "第一条"


def test_a_choice_is_read_at_its_blank(law_kb):
    # options proven alike by words found elsewhere in the sentence: the one the sentence has at the blank
    agreement = law_kb.solve("两个以上生产经营单位在同一作业区域内进行生产经营活动，可能危及对方生产安全的，应当签订（ ），"
                             "明确各自的安全生产管理职责。", ["协议", "安全协议", "责任协议", "安全生产管理协议"], kind="single")
    assert agreement.answer == "D" and agreement.article == "第四十八条"
    # every option refuted by the stem's own 可处 (the article says 处), and a clause the stem skips
    detention = law_kb.solve("生产经营单位的主要负责人在本单位发生生产安全事故时，在事故调查处理期间逃匿的，可处（ ）以下拘留。",
                             ["五日", "七日", "十日", "十五日"], kind="single")
    assert detention.answer == "D" and detention.article == "第一百一十条"  # not 五日 inside 十五日
    # a multiple choice: the items the sentence lists at the blank are in, words it does not say are out
    funds = law_kb.solve("生产经营单位应当具备的安全生产条件所必需的资金投入，由生产经营单位的（ ）予以保证。",
                         ["决策机构", "主要负责人", "总经理", "个人经营的投资人", "董事会"], kind="multi")
    assert funds.answer == "ABD" and funds.article == "第二十三条"


def test_definitions_read_from_the_defined_side(law_kb):
    unit = "长期地或者临时地生产、搬运、使用或者储存危险物品，且危险物品的数量等于或者超过临界量的单元属于{}。"
    said = law_kb.solve(unit.format("重大危险源"))
    assert said.answer == "true" and said.article == "第一百一十七条"
    assert law_kb.solve(unit.format("一般危险源")).answer == "false"


def test_a_penalty_item_states_the_duty_left_undone():
    from regkb.service.exams.bank_audit import _duty

    leadin = "违反本条例的规定，施工单位有下列行为之一的，责令限期改正："
    assert _duty(leadin, "未根据季节的变化采取安全施工措施，或者施工现场未实行封闭围挡的；") == [
        "施工单位应当根据季节的变化采取安全施工措施，或者施工现场应当实行封闭围挡"]
    assert _duty(leadin, "在尚未竣工的建筑物内设置员工集体宿舍的；") == []  # an act, not an omission


def test_bank_wording_against_changed_facts():
    from regkb.service.exams.align import Composite, compare

    # a bank spaces its figures, writes 可处 for 处, 企业 for 生产经营单位, 行政处分 for 处分
    fine = "违反本条例的规定，提供机械设备的单位未配备安全设施的，责令限期改正，处合同价款1倍以上3倍以下的罚款。"
    assert compare(canonical("提供机械设备的单位未配备安全设施的，可处合同价款 1 倍以上 3 倍以下的罚款"), fine).conflicts == 0
    assert canonical("企业必须提供劳动防护用品") == canonical("生产经营单位应当提供劳动防护用品")
    assert canonical("给予撤职的行政处分") == canonical("给予撤职的处分")
    # a rule for any 单位 stated for one kind of unit; another kind where the article names one is a conflict
    head = "单位的主要负责人是本单位的消防安全责任人。"
    assert compare(canonical("施工企业的主要负责人是本单位的消防安全责任人"), head).conflicts == 0
    assert compare(canonical("建设单位的主要负责人是本单位的消防安全责任人"), "施工" + head).conflicts > 0
    # a bound the statement drops, another body, a measure swapped inside a 项 read into its rule
    duty = "矿山企业必须具有保障安全生产的设施，建立、健全安全管理制度，保证安全生产。"
    assert compare(canonical("矿山企业必须建立、健全安全生产100%"), duty).conflicts > 0  # a figure of its own
    grade = "一般事故，是指造成3人以下死亡，或者10人以下重伤的事故。"
    assert compare(canonical("一般事故，是指造成 3 人死亡，或者10人以下重伤的事故"), grade).conflicts > 0
    report = "施工单位拒不整改的，工程监理单位应当及时向有关主管部门报告。"
    assert compare(canonical("施工单位拒不整改的，工程监理单位应当及时向安全生产综合监督管理部门报告"), report).conflicts > 0
    item = Composite("违反本条例的规定，施工单位未编制专项施工方案的，责令限期改正；逾期未改正的，责令停业整顿：")
    assert compare(canonical("施工单位未编制专项施工方案的，责令限期改正"), item).conflicts == 0
    assert compare(canonical("施工单位未编制专项施工方案的，责令边施工边整改"), item).conflicts > 0
    # the rule's 情节特别严重 does not stand in for the 项's 较大以上 (the 2007 text said 严重突发事件)
    rule = Composite("有关单位未按照规定采取预防措施，导致发生较大以上突发事件的，由人民政府责令停产停业，"
                     "并处五万元以上二十万元以下的罚款；情节特别严重的，并处二十万元以上一百万元以下的罚款")
    assert compare(canonical("有关单位未按照规定采取预防措施，导致发生较大以上突发事件的，由人民政府责令停产停业"), rule).conflicts == 0
    assert compare(canonical("有关单位未按规定采取预防措施，导致发生严重突发事件的，由人民政府责令停产停业"), rule).conflicts > 0


def test_a_violation_list_without_its_de_is_read_into_its_rule():
    from regkb.service.exams.bank_audit import _ONE_OF_RE

    assert _ONE_OF_RE.search("有关单位有下列情形之一，由所在地人民政府责令停产停业：")  # 2024 wording, no 的


def test_an_item_left_out_of_a_joint_list_is_a_conflict():
    from regkb.service.exams.align import compare

    joint = "使用承租的机械设备的，由施工总承包单位、分包单位、出租单位和安装单位共同进行验收。"
    assert compare(canonical("使用承租的机械设备的，由施工总承包单位、分包单位和出租单位共同进行验收"), joint).conflicts > 0
    assert compare(canonical("使用承租的机械设备的，由施工总承包单位、分包单位、出租单位和安装单位共同进行验收"), joint).conflicts == 0
    # without 共同 a statement may name fewer of those the article lists
    listed = "使用承租的机械设备的，由施工总承包单位、分包单位、出租单位和安装单位进行验收。"
    assert compare(canonical("使用承租的机械设备的，由施工总承包单位、分包单位和出租单位进行验收"), listed).conflicts == 0


def test_a_single_choice_key_is_not_refuted_when_every_option_is():
    from regkb.service.exams.bank_audit import Evidence, Finding, Solution, _refuting

    quote = Evidence("重大事故…15日内做出批复；特别重大事故，30日内做出批复", "s", "条例", "第三十二条")
    refuted = Finding(False, 0.95, quote, decisive=True)
    # every option differs from the sentence: the stem differs outside the blank, the key is not shown wrong
    assert _refuting(Solution(None, findings=[refuted] * 4), "single", "C") is None
    # the keyed option alone changes one fact, another option stays open: the key is wrong
    assert _refuting(Solution(None, findings=[Finding(None, 0.5), refuted, Finding(None, 0.5)]), "single", "B") is refuted


def test_a_grade_made_another_is_a_changed_fact():
    from regkb.service.exams.align import compare, conflicts

    approval = "重大事故、较大事故、一般事故，负责事故调查的人民政府应当自收到事故调查报告之日起15日内做出批复；特别重大事故，30日内做出批复。"
    regraded = canonical("特别重大事故，负责事故调查的人民政府应当自收到事故调查报告之日起15日内做出批复")
    assert conflicts(regraded, canonical(approval)).grades == 1  # the 15日 is another grade's: not the stem's answer
    assert compare(regraded, approval, order_free=False).decisive
    # a grade named where the article speaks of any accident narrows it, no grade is changed
    flight = "生产经营单位的主要负责人在本单位发生生产安全事故时，在事故调查处理期间逃匿的，处十五日以下拘留。"
    narrowed = canonical("生产经营单位的主要负责人在本单位发生重大生产安全事故时，在事故调查处理期间逃匿的，处十五日以下拘留")
    assert conflicts(narrowed, canonical(flight)).grades == 0
    assert not compare(narrowed, flight, order_free=False).decisive


def test_a_violation_does_not_refute_a_statement_that_forbids_it():
    from regkb.service.exams.bank_audit import PunishedAct, Violation, _forbids

    item = Violation("作业人员未经安全教育培训或者经考核不合格即从事相关工作的；")
    rule = PunishedAct("违反本条例的规定，施工单位作业人员未经安全教育培训即从事相关工作的，责令限期改正")
    forbids = canonical("施工单位的作业人员未经安全教育培训，不得从事相关工作")
    allows = canonical("施工单位的作业人员未经安全教育培训，可以从事相关工作")
    assert _forbids(forbids, item) and _forbids(allows, item)  # a 项 alone says no rule
    assert _forbids(forbids, rule) and not _forbids(allows, rule)  # punished: not allowed
    assert not _forbids(forbids, "作业人员未经安全教育培训，不得上岗作业。")


def test_a_page_number_copied_into_a_stem_is_read_away(law_kb):
    said = law_kb.solve("生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全- 12 -生产工作全面负责。", kind="judge")
    assert said.answer == "true"


def test_an_option_reworded_with_a_slip_is_unclear_not_absent():
    from regkb.service.exams.bank_audit import Evidence, _item

    line = "组织制定并实施本单位安全生产规章制度和操作规程；"
    quote = Evidence(line, "s", "安全生产法", "第二十一条")
    read = lambda option: _item(canonical(option), canonical(line), [line], quote).verdict  # noqa: E731
    assert read("组织制定并实施本单位安全生产规章制度和操作规程") is True
    assert read("组织制定本单位的安全卷生产规章制度和操作规程") is None  # a slip, nothing opposed
    assert read("组织制定并实施本单位的应急救援预案") is False  # another item


def test_a_condition_left_out_before_fangke_is_a_conflict():
    from regkb.service.exams.align import compare

    resume = "被责令停产停业的，应当在整改后向作出决定的部门报告，经检查合格，方可恢复生产、经营。"
    assert compare(canonical("被责令停产停业的，应当在整改后，方可恢复生产、经营"), resume).conflicts > 0
    assert compare(canonical("被责令停产停业的，应当在整改后向作出决定的部门报告，经检查合格，方可恢复生产"), resume).conflicts == 0


def test_options_as_the_blanks_take_them():
    from regkb.service.exams.stems import fitted

    # the stem's own unit beside the blank, written into each option again
    assert fitted("应当提前（ ）小时书面通知生产经营单位。", "24 小时") == "24"
    assert fitted("建设单位应当自领取施工许可证之日起（ ）月内开工。", "三个月") == "三个"
    assert fitted("应当（ ）处理。", "当场处理") == "当场"
    assert fitted("由（ ）负责。", "施工单位") == "施工单位"  # 位 is not a unit after a word
    # one option for two blanks
    assert fitted("自事故发生之日起（ ）内提交事故调查报告；…最长不超过（ ）。", "60 日，90 日") == "60日；90日"


def test_single_choice_reads_options_beside_the_blank_and_word_for_word(law_kb):
    # the option repeats the stem's unit, the stem puts the article's clauses in another order
    notice = law_kb.solve("除有危及生产安全的紧急情形外，负有安全生产监督管理职责的部门采取停止供电措施，应当提前（ ）小时书面"
                          "通知生产经营单位。", ["48 小时", "24 小时", "12 小时", "6 小时"], kind="single")
    assert notice.answer == "B" and notice.article == "第七十条"
    # the option the sentence says word for word over one proven only as a rewording
    right = law_kb.solve("从业人员（ ）了解其作业场所和工作岗位存在的危险因素、防范措施及事故应急措施。",
                         ["无权", "经批准可以", "特殊情况下有权", "有权"], kind="single")
    assert right.answer == "D" and right.article == "第五十三条"
    head = law_kb.solve("生产经营单位的（ ）对本单位的安全生产工作全面负责。", ["主要负责人", "安全总监", "管理者代表", "专职安全员"],
                        kind="single")
    assert head.answer == "A"


def test_a_statement_of_what_the_article_forbids_or_punishes_is_false(law_kb):
    # 不得 dropped, and the same words as the condition of a penalty (…的，责令限期改正) prove nothing
    let = law_kb.solve("生产经营单位将生产经营项目、场所、设备发包或者出租给不具备安全生产条件或相应资质的单位或个人。", kind="judge")
    assert let.answer == "false"
    said = law_kb.solve("生产经营单位不得将生产经营项目、场所、设备发包或者出租给不具备安全生产条件或者相应资质的单位或者个人。",
                        kind="judge")
    assert said.answer == "true"


def test_fewer_items_and_a_question_word_are_no_conflict():
    from regkb.service.exams.align import compare

    pipes = "建设单位应当向施工单位提供施工现场及毗邻区域内供水、排水、供电、供气、供热、通信、广播电视等地下管线资料，并保证资料的真实。"
    assert compare(canonical("建设单位应当向施工单位提供施工现场及毗邻区域内供水、排水、供电、供热等地下管线资料"), pipes,
                   order_free=False).conflicts == 0
    assert compare(canonical("建设单位应当向施工单位提供施工现场及毗邻区的哪些相关资料：供水、排水等地下管线资料"), pipes,
                   order_free=False).conflicts == 0
    # another item in the list's place is still a conflict
    assert compare(canonical("建设单位应当向施工单位提供施工现场及毗邻区域内供水、排水、供电、供暖等地下管线资料"), pipes,
                   order_free=False).conflicts > 0


def test_a_stem_that_asks_which_law_says_it(law_kb):
    which = law_kb.solve("（ ）规定了生产经营单位的主要负责人是本单位安全生产第一责任人。",
                         ["《消防法》", "《劳动法》", "《安全生产法》", "《建筑法》"], kind="single")
    assert which.answer == "C" and which.article == "第五条"


def test_a_head_named_before_the_blank_and_a_company_for_its_unit(law_kb):
    from regkb.service.exams.stems import head_last

    assert head_last("我国的职业病防治工作方针是：（ ）为主，防治结合。") == "我国的职业病防治工作（ ）为主，防治结合的方针。"
    assert head_last("消防工作的方针（ ）。") == "消防工作（ ）的方针。"
    policy = law_kb.solve("安全生产工作的方针是（ ）。", ["安全第一、预防为主、综合治理", "以人为本", "人民至上、生命至上",
                                                 "从源头上防范化解重大安全风险"], kind="single")
    assert policy.answer == "A" and policy.article == "第三条"
    assert canonical("立即报告本企业负责人") == canonical("立即报告本单位负责人")


def test_a_blank_is_read_only_where_the_sentence_has_a_phrase():
    from regkb.service.exams.align import compare, conflicts
    from regkb.service.exams.blanks import constituent

    assert constituent("主要负责人") and constituent("并附具安全验算结果")
    assert not constituent("的主要") and not constituent("和操作规程") and not constituent("采取下列")
    # a clause that states the duty without its 应当 is the same duty; without its 不得 it is not
    policy = canonical("安全生产工作应当以人为本，坚持人民至上、生命至上，把保护人民生命安全摆在首位，树牢安全发展理念，"
                       "坚持安全第一、预防为主、综合治理的方针，从源头上防范化解重大安全风险。")
    assert conflicts(canonical("安全生产管理安全第一、预防为主、综合治理的方针"), policy).hard == 0
    assert conflicts(canonical("安全生产工作可以坚持安全第一、预防为主、综合治理的方针"), policy).hard > 0
    funds = ("施工单位对列入建设工程概算的安全作业环境及安全施工措施所需费用，应当用于施工安全防护用具及设施的采购和更新、"
             "安全施工措施的落实、安全生产条件的改善，不得挪作他用。")
    assert compare(canonical("施工单位对列入建设工程概算的安全作业环境及安全施工措施费用，实行专款专用，不得挪作他用"),
                   funds).conflicts == 0
    refit = "特种设备进行改造、修理，按照规定需要变更使用登记的，应当办理变更登记，方可继续使用。"
    assert conflicts(canonical("特种设备进行改造、修理后不经检验可继续使用"), canonical(refit)).hard > 0
    assert compare(canonical("生产经营单位将生产经营项目发包给不具备安全生产条件的单位"),
                   "生产经营单位不得将生产经营项目发包给不具备安全生产条件的单位。", order_free=False).conflicts > 0


def test_a_second_clause_without_its_subject_is_read_with_the_first_ones(law_kb):
    # the article: 生产经营单位不得使用应当淘汰的危及生产安全的工艺、设备 (第三十八条)
    allowed = law_kb.solve("生产经营单位应当建立安全生产责任制，可以使用应当淘汰的危及生产安全的工艺、设备。", kind="judge")
    assert allowed.answer == "false" and allowed.article == "第三十八条"
    # two rules of the act in one statement, each proven: the whole is true
    rules = law_kb.solve("生产经营单位不得使用应当淘汰的危及生产安全的工艺、设备，不得将生产经营项目、场所、设备发包或者出租给"
                         "不具备安全生产条件或者相应资质的单位或者个人。", kind="judge")
    assert rules.answer == "true"


def test_a_kind_of_company_narrows_a_rule_for_any_unit():
    from regkb.service.exams.align import Composite, compare

    # 企业 reads as the statute's 生产经营单位, so 施工企业 is a kind of unit, said where the rule is any unit's
    head = "单位的主要负责人是本单位的消防安全责任人。"
    narrowed = compare(canonical("施工企业的主要负责人是本单位的消防安全责任人"), head)
    assert narrowed.conflicts == 0 and narrowed.coverage >= 0.8
    first = "生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。"
    assert compare(canonical("施工单位的主要负责人是本单位安全生产第一责任人"), first).conflicts == 0
    licence = Composite("企业取得安全生产许可证，应当具备下列安全生产条件：建立、健全安全生产责任制，制定完备的安全生产规章制度和操作规程；")
    assert compare(canonical("施工企业必须建立健全安全生产责任制，制定完备的安全生产规章制度和操作规程"), licence).conflicts == 0
    # a unit named alone (an option of a list) is not said by a rule for any 企业
    assert compare(canonical("交通运输企业"), "企业未取得安全生产许可证的，不得从事生产活动。", order_free=False).coverage < 0.8
    # another kind in the sentence's place is still another subject
    assert compare(canonical("建设单位的主要负责人是本单位安全生产第一责任人"), "施工" + first[6:]).conflicts > 0


def test_a_statement_forbidding_what_a_rule_punishes_is_true(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge, Violation

    judge = StatementJudge(law_kb.search, law_kb.store)
    item = Violation("施工单位的主要负责人、项目负责人、专职安全生产管理人员、作业人员或者特种作业人员，"
                     "未经安全教育培训或者经考核不合格即从事相关工作的；")
    found = [(Evidence("", "s", "建设工程安全生产管理条例", "第六十二条"), [item])]
    forbids = judge.judge_statement("施工单位的作业人员或者特种作业人员未经安全教育培训或者经考核不合格，不得从事相关工作。",
                                    candidates=found)
    assert forbids.verdict is True and forbids.evidence.sentence == item
    allows = judge.judge_statement("施工单位的作业人员未经安全教育培训或者经考核不合格，可以从事相关工作。", candidates=found)
    assert allows.verdict is not True


def test_a_blank_before_wan_is_answered_in_wan():
    from regkb.service.exams.blanks import fill_slots

    fine = "违反本条例的规定，施工单位施工前未对有关安全施工的技术要求作出详细说明的，责令限期改正；逾期未改正的，责令停业整顿，并处5万元以上10万元以下的罚款；"
    assert fill_slots("逾期未改正的，责令停业整顿，并处（ ）万元以上10万元以下的罚款。", fine).texts == ["5"]
    assert fill_slots("逾期未改正的，责令停业整顿，并处5万元以上（ ）万元以下的罚款。", fine).texts == ["10"]
    assert fill_slots("逾期未改正的，责令停业整顿，并处（ ）以上10万元以下的罚款。", fine).texts == ["50000元"]


def test_a_blank_stem_naming_the_law_and_a_definition_asked_as_a_list(law_kb):
    from regkb.service.exams.bank_audit import _defined

    purpose = law_kb.solve("保障人民群众（ ）安全，是制定《安全生产法》的目的之一。", kind="blank")
    assert purpose.answer == "生命和财产" and purpose.article == "第一条"
    assert "危险物品包括易燃易爆物品、危险化学品、放射性物品。" in _defined(
        "危险物品，是指易燃易爆物品、危险化学品、放射性物品等能够危及人身安全和财产安全的物品。")
    assert _defined("重大事故，是指造成10人以上30人以下死亡的事故；") == ["造成10人以上30人以下死亡的事故属于重大事故"]
    verdict, _ = law_kb.exam_desk().judge.check("《安全生产法》所指的危险物品包括（ ）", [], "blank", "易燃易爆物品、危险化学品、放射性物品")
    assert verdict == "agrees"


def test_a_bank_statement_differing_in_several_words_and_no_fact_is_not_refuted(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    duty = ("施工单位应当建立健全安全生产责任制度和安全生产教育培训制度，制定安全生产规章制度和操作规程，保证本单位安全生产条件所需"
            "资金的投入，对所承担的建设工程进行定期和专项安全检查，并做好安全检查记录。")
    found = [(Evidence("", "s", "建设工程安全生产管理条例", "第二十一条"), [duty])]
    textbook = "安全生产规章制度和操作规程是安全生产的重要保障。"
    assert judge.judge_statement(textbook, candidates=found, reworded=True).verdict is None
    assert judge.judge_statement(textbook, candidates=found).verdict is False  # an option in a stem: as before
    # one fact changed is still false
    changed = "施工单位可以建立健全安全生产责任制度和安全生产教育培训制度，制定安全生产规章制度和操作规程。"
    assert judge.judge_statement(changed, candidates=found, reworded=True).verdict is False


def test_a_page_number_copied_into_an_option_is_read_away(law_kb):
    notice = law_kb.solve("负有安全生产监督管理职责的部门依照前款规定采取停止供电措施，除有危及生产安全的紧急情形外，应当提前（ ）小时"
                          "书面通知生产经营单位。", ["48 小时- 12 -", "24 小时- 12 -", "12 小时", "6 小时"], kind="single")
    assert notice.answer == "B"


def test_a_preamble_before_the_blank_and_a_range_in_wan_without_yuan(law_kb):
    from regkb.service.exams.blanks import slot_text

    first = "为了加强安全生产工作，防止和减少生产安全事故，保障人民群众生命和财产安全，促进经济社会持续健康发展，制定本法。"
    stem = "《安全生产法》明确了安全生产三大目标，即（ ），保障人民群众生命和财产安全，促进经济社会持续健康发展。"
    assert slot_text(stem.removeprefix("《安全生产法》"), first)[1] == "防止和减少生产安全事故"
    aims = law_kb.solve(stem, ["保护环境卫生", "防止和减少生产安全事故", "保证产品质量", "健全安全生产体系"], kind="single")
    assert aims.answer == "B" and aims.article == "第一条"
    # banks write 2-5 万 for 二万元以上五万元以下
    assert canonical("处2-5 万罚款") == canonical("处二万元以上五万元以下罚款")
    assert canonical("处1-3 万罚款") != canonical("处二万元以上五万元以下罚款")


def test_a_blank_inside_a_clause_is_read_in_the_clause_that_goes_on_after_it(law_kb):
    from regkb.service.exams.blanks import fill_slots, same_blank_answer

    plan = ("施工单位应当在施工组织设计中编制安全技术措施和施工现场临时用电方案，对下列达到一定规模的危险性较大的分部分项工程编制"
            "专项施工方案，并附具安全验算结果，经施工单位技术负责人、总监理工程师签字后实施，由专职安全生产管理人员进行现场监督：")
    signed = fill_slots("危险性较大的分部分项工程的专项施工方案经（ ）审批签字后，方可实施。", plan).texts[0]
    assert signed.endswith("施工单位技术负责人总监理工程师") and "验算" not in signed
    policy = law_kb.solve("《安全生产法》规定的安全生产管理方针是（）。", kind="blank")
    assert policy.article == "第三条" and same_blank_answer(policy.answer, "安全第一、预防为主、综合治理")


def test_a_single_choice_whose_options_are_all_refuted_one_by_words_only(law_kb):
    from regkb.service.exams.bank_audit import Evidence, Finding, StatementJudge, _reworded_only

    quote = Evidence("事故调查组应当自事故发生之日起60日内提交事故调查报告；…延长的期限最长不超过60日。", "s", "条例", "第二十九条")
    findings = [Finding(False, 0.96, quote, decisive=True), Finding(False, 0.99, quote, reworded=True),
                Finding(False, 0.97, quote), Finding(False, 0.92, quote, decisive=True)]
    assert _reworded_only(findings) == ("B", quote)
    assert _reworded_only([Finding(False, 0.9, quote, reworded=True)] * 2) == (None, None)
    assert _reworded_only([Finding(None, 0.5), Finding(False, 0.9, quote, reworded=True)]) == (None, None)
    # a refutation by words only is marked so; one by a changed fact is not
    judge = StatementJudge(law_kb.search, law_kb.store)
    term = "事故调查组应当自事故发生之日起60日内提交事故调查报告；特殊情况下，提交事故调查报告的期限可以适当延长，但延长的期限最长不超过60日。"
    found = [(Evidence("", "s", "生产安全事故报告和调查处理条例", "第二十九条"), [term])]
    worded = judge.judge_statement("事故调查组应当自事故发生之日起60日内提交事故调查报告；特殊情况下，提交事故调查报告的期限可以适当延长，"
                                   "但延长时限最长不超过60日。", candidates=found, order_free=False)
    figure = judge.judge_statement("事故调查组应当自事故发生之日起30日内提交事故调查报告；特殊情况下，提交事故调查报告的期限可以适当延长，"
                                   "但延长时限最长不超过30日。", candidates=found, order_free=False)
    assert worded.verdict is False and worded.reworded and figure.verdict is False and not figure.reworded


def test_a_statement_opening_with_its_occasion_said_in_another_paragraph(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    report = ["施工单位发生生产安全事故，应当按照国家有关伤亡事故报告和调查处理的规定，及时、如实地向负责安全生产监督管理的部门、"
              "建设行政主管部门或者其他有关部门报告；", "实行施工总承包的建设工程，由总承包单位负责上报事故。"]
    found = [(Evidence("", "s", "建设工程安全生产管理条例", "第五十条"), report)]
    said = judge.judge_statement("发生生产安全事故后，实行施工总承包的建设工程，由总承包单位负责上报事故。", candidates=found)
    assert said.verdict is True and said.evidence.sentence == report[1]
    # an occasion the article does not say leaves the statement open
    assert judge.judge_statement("发生较大事故后，实行施工总承包的建设工程，由总承包单位负责上报事故。", candidates=found).verdict is None


def test_a_body_named_where_the_sentence_leaves_it_to_its_subject():
    from regkb.service.exams.align import compare

    lifts = "检验检测机构对检测合格的施工起重机械和整体提升脚手架、模板等自升式架设设施，应当出具安全合格证明文件，并对检测结果负责。"
    issued = "检验检测机构对检测合格的施工起重机械和整体提升脚手架、模板等自升式架设设施，应当出具安全合格证明文件，"
    assert compare(canonical(issued + "并由施工单位对检测结果负责"), lifts).conflicts > 0
    assert compare(canonical(issued + "并由检验检测机构对检测结果负责"), lifts).conflicts == 0


def test_a_textbook_frame_for_one_item_of_a_duty_list(law_kb):
    from regkb.service.exams.align import Composite
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    body, _ = judge.read_stem("《安全生产法》规定了生产经营单位主要负责人对本单位安全生产工作所负的职责，- 210 -"
                              "其中有组织制定实施本单位安全生产教育和培训计划。")
    duty = Composite("生产经营单位的主要负责人对本单位安全生产工作负有下列职责:组织制定并实施本单位安全生产教育和培训计划；")
    found = [(Evidence("", "s", "中华人民共和国安全生产法", "第二十一条"), [duty])]
    assert judge.judge_statement(body, candidates=found).verdict is True
    changed = judge.read_stem("《安全生产法》规定了生产经营单位主要负责人对本单位安全生产工作所负的职责，其中有组织制定实施本单位安全生产投入计划。")[0]
    assert judge.judge_statement(changed, candidates=found).verdict is not True


def test_the_corpus_spellings_of_dangerous_goods_compare_equal():
    from regkb.service.exams.align import compare

    # 安全生产法 says 危险物品, 消防法 危险品; a statement dropping the article's 非法 and 公共 only leaves words out
    fire = "禁止非法携带易燃易爆危险品进入公共场所或者乘坐公共交通工具。"
    assert compare(canonical("禁止携带易燃易爆危险物品进入公共场所或乘坐交通工具"), fire).conflicts == 0
    assert compare(canonical("允许携带易燃易爆危险物品进入公共场所或乘坐交通工具"), fire).conflicts > 0


def test_a_multiple_choice_is_not_read_against_a_list_whose_lead_it_does_not_say(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    build = ["矿山、金属冶炼建设项目和用于生产、储存、装卸危险物品的建设项目的施工单位必须按照批准的安全设施设计施工，并对安全设施的工程质量负责。",
             "矿山、金属冶炼建设项目和用于生产、储存、装卸危险物品的建设项目竣工投入生产或者使用前，应当由建设单位负责组织对安全设施进行验收；"
             "验收合格后，方可投入生产和使用。"]
    judge._candidates = lambda query, law: [(Evidence("", "s", "中华人民共和国安全生产法", "第三十四条"), build)]
    units = ["建设单位", "施工单位", "监理单位", "勘察单位", "设计单位"]
    # the article names two of the units, but not as those who take part in the 竣工验收
    assert judge.solve("工程完工后，参加竣工验收主体单位有（ ）。", units, "multi").answer is None


def test_a_statement_with_its_object_fronted_is_read_as_the_ban(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    ban = "生产经营单位不得使用应当淘汰的危及生产安全的工艺、设备。"
    found = [(Evidence("", "s", "中华人民共和国安全生产法", "第三十八条"), [ban])]
    allowed = judge.judge_statement("淘汰的危及生产安全的工艺、设备经维修可以使用。", candidates=found)
    assert allowed.verdict is False and allowed.evidence.sentence == ban
    assert judge.judge_statement("淘汰的危及生产安全的工艺、设备不得使用。", candidates=found).verdict is True
    # an object the article does not ban stays open
    assert judge.judge_statement("淘汰的危及生产安全的工艺、设备经维修可以出售。", candidates=found).verdict is None


def test_who_imposes_a_measure_is_said_for_its_own_clause():
    from regkb.service.exams.align import compare

    flight = ("生产经营单位的主要负责人在本单位发生生产安全事故时，不立即组织抢救或者在事故调查处理期间擅离职守或者逃匿的，"
              "给予降级、撤职的处分，并由应急管理部门处上一年年收入百分之六十至百分之一百的罚款；对逃匿的处十五日以下拘留；")
    # the 由 of the fine's clause does not carry to the detention's
    assert compare(canonical("主要负责人逃匿的，由应急管理部门处十五日以下拘留"), flight).conflicts > 0
    assert compare(canonical("主要负责人逃匿的，由应急管理部门处上一年年收入百分之六十至百分之一百的罚款"), flight).conflicts == 0


def test_a_single_choice_whose_option_names_several_items_of_the_list_at_the_blank(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    works = ("生产经营单位进行爆破、吊装、动火、临时用电以及国务院应急管理部门会同国务院有关部门规定的其他危险作业，"
             "应当安排专门人员进行现场安全管理，确保操作规程的遵守和安全措施的落实。")
    judge._candidates = lambda query, law: [(Evidence("", "s", "中华人民共和国安全生产法", "第四十三条"), [works])]
    stem = "生产经营单位进行（ ）以及国务院应急管理部门会同国务院有关部门规定的其他危险作业，应当安排专门人员进行现场安全管理。"
    # each option's items are the list's (作业 is the stem's word for them); the one naming most of it is the key
    assert judge.solve(stem, ["爆破作业", "吊装作业", "爆破、吊装作业", "除险作业"], "single").answer == "C"
    # an item the list does not have is no fit
    assert judge.solve(stem, ["爆破作业", "吊装作业", "爆破、除险作业", "除险作业"], "single").answer is None


def test_a_later_clause_is_read_with_the_sentence_subject(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge, _elided_subject

    judge = StatementJudge(law_kb.search, law_kb.store)
    union = ("工会对生产经营单位违反安全生产法律、法规，侵犯从业人员合法权益的行为，有权要求纠正；发现生产经营单位违章指挥、"
             "强令冒险作业或者发现事故隐患时，有权提出解决的建议，生产经营单位应当及时研究答复；发现危及从业人员生命安全的情况时，"
             "有权向生产经营单位建议组织从业人员撤离危险场所，生产经营单位必须立即作出处理。")
    clauses = _elided_subject(union)
    assert [c[:6] for c in clauses] == ["工会发现生产", "工会发现危及"]
    found = [(Evidence("", "s", "中华人民共和国安全生产法", "第六十条"), [union, *clauses])]
    said = judge.judge_statement("建筑施工企业工会组织发现危及从业人员生命安全的情况，有权向本企业建议组织从业人员撤离危险场所。",
                                 candidates=found)
    assert said.verdict is True and said.evidence.sentence.startswith("工会发现危及")
    # another right in the same place is not said
    assert judge.judge_statement("建筑施工企业工会组织发现危及从业人员生命安全的情况，有权责令本企业停产撤离危险场所。",
                                 candidates=found).verdict is not True


def test_a_blank_of_one_character_is_a_figure_a_modal_or_a_negation():
    from regkb.service.exams.blanks import constituent

    # 经 of "经施工单位技术负责人…签字后实施" is where a clause begins, not what a blank asks
    assert not constituent("经")
    assert constituent("5") and constituent("应") and constituent("不") and constituent("单位工程")


def test_an_option_the_stem_itself_says_is_no_item_of_the_article(law_kb):
    from regkb.service.exams.bank_audit import Evidence, StatementJudge

    judge = StatementJudge(law_kb.search, law_kb.store)
    service = ["依法设立的为安全生产提供技术、管理服务的机构，依照法律、行政法规和执业准则，接受生产经营单位的委托为其安全生产工作提供技术、管理服务。",
               "生产经营单位委托前款规定的机构提供安全生产技术、管理服务的，保证安全生产的责任仍由本单位负责。"]
    judge._candidates = lambda query, law: [(Evidence("", "s", "中华人民共和国安全生产法", "第十五条"), service)]
    stem = ("依法设立的为安全生产提供技术、管理服务的机构，依照法律、行政法规和职业准则，接受生产经营单位的委托为其安全生产工作"
            "提供技术、管理服务的情况下，保证安全生产的责任应由（ ）负责。")
    options = ["本生产经营单位", "提供技术、管理服务的机构", "本市场经营单位和提供技术、管理服务的机构共同承担", "以上选项均不对"]
    # 提供技术、管理服务的机构 is in the article because the stem quotes it, not because it bears the 责任
    assert judge.solve(stem, options, "single").answer is None


def test_the_fire_body_of_older_texts_is_today_s():
    from regkb.service.exams.align import compare

    # 公安机关消防机构 was renamed 消防救援机构 in 2019; the 2021 消防法 names it beside 住房和城乡建设主管部门
    report = "任何单位和个人都有权对住房和城乡建设主管部门、消防救援机构及其工作人员在执法中的违法行为进行检举、控告。"
    assert compare(canonical("任何单位和个人都有权对公安机关消防机构及其工作人员在执法中的违法行为进行检举、控告。"), report).conflicts == 0
    assert compare(canonical("任何单位和个人都有权对公安机关及其工作人员在执法中的违法行为进行检举、控告。"), report).conflicts > 0
