"""Plan targets: the extractor on tables, 专栏 boxes and prose; the gold files of three seeds;
the store (a deleted document leaves no targets); the desk's filters, comparison and export;
the real CLI."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from importlib import resources

import pytest

from regkb.corpus.models import Block
from regkb.corpus.store import Store
from regkb.eval.metrics.ask import TARGET_GOLD, score_targets
from regkb.ingest.targets import TargetExtractor, direction_of, plan_end_year
from regkb.service.knowledge_base import KnowledgeBaseError
from regkb.service.targets.desk import EXPORT_HEADER, indicator_match

from conftest import SEEDS, pooled_ingest

GOALS = ["二、规划目标"]


def extract(*blocks: Block, title: str = "某县“十四五”安全生产规划") -> list:
    return TargetExtractor(region="某县", level="county", title=title).run(list(blocks), source="x.txt")["targets"]


def fields(target) -> tuple:
    return target.indicator, target.value, target.unit, target.direction, target.deadline


def test_indicator_table_row_with_nature_and_bound():
    row = Block(text="序号:1;指标内容:生产安全事故起数降幅;规划目标:＞15%;指标性质:约束性", kind="table_row",
                section_path=GOALS, cells=["1", "生产安全事故起数降幅", "＞15%", "约束性"],
                header=["序号", "指标内容", "规划目标", "指标性质"])
    bounded = Block(text="序号:2;指标内容:年均每十万人受灾人次;规划目标:＜5000;指标性质:预期性", kind="table_row",
                    section_path=GOALS, cells=["2", "年均每十万人受灾人次", "＜5000", "预期性"],
                    header=["序号", "指标内容", "规划目标", "指标性质"])
    first, second = extract(row, bounded)
    assert fields(first) == ("生产安全事故起数降幅", "15", "%", "down", "2025")  # a bounded decrease is a decrease
    assert first.nature == "约束性" and first.kind == "table" and first.quote == row.text
    assert fields(second) == ("年均每十万人受灾人次", "5000", None, "at_most", "2025")


def test_column_items_keep_their_own_year_and_bound():
    box = ["三、主要任务", "专栏4 城镇燃气安全"]
    targets = extract(Block(text="1.到2021年，燃气用户信息录入比例达90%以上；", section_path=box),
                      Block(text="2.到2025年，消防通信设施、消防水源完好率≥95%。", section_path=box))
    assert [fields(t) for t in targets] == [("燃气用户信息录入比例", "90", "%", "at_least", "2021"),
                                            ("消防通信设施、消防水源完好率", "95", "%", "at_least", "2025")]
    assert {t.kind for t in targets} == {"column"}


def test_prose_goals_counts_and_baseline():
    text = ("与“十三五”期间相比,各类生产安全事故起数下降15%,死亡人数下降10% ,道路交通万车死亡率下降5%。"
            "建设移动指挥系统，配备1辆以上移动指挥车。入职培训不少于3个月，每年参加不少于2周的复训。")
    targets = extract(Block(text=text, section_path=GOALS))
    found = {fields(t) for t in targets}
    assert ("各类生产安全事故起数", "15", "%", "down", "2025") in found
    assert ("死亡人数", "10", "%", "down", "2025") in found
    assert ("移动指挥车", "1", "辆", "at_least", "2025") in found
    assert ("入职培训", "3", "个月", "at_least", "2025") in found
    assert ("复训", "2", "周", "at_least", "2025") in found  # "不少于2周的复训": the thing follows the number
    assert targets[0].baseline == "“十三五”期间"
    assert all(t.quote in text for t in targets)



def test_a_baseline_right_before_the_verb_is_the_clause_s_baseline_not_part_of_the_indicator():
    text = ("到2025年，生产安全事故起数比2020年下降16%，较大事故起数均较2020年末下降20%以上。"
            "道路交通万车死亡率较上年下降5%。较“十三五”末下降10%。")
    targets = extract(Block(text=text, section_path=GOALS))
    assert [(t.indicator, t.value, t.baseline, t.baseline_year) for t in targets] == [
        ("生产安全事故起数", "16", "2020年", "2020"), ("较大事故起数", "20", "2020年末", "2020"),
        ("道路交通万车死亡率", "5", "上年", None)]  # the last sentence names no indicator: no target
    assert extract(Block(text="燃气用户信息录入比例不低于90%。", section_path=GOALS))[0].baseline is None  # 比例 is no 比


def test_results_and_conditions_are_not_targets():
    past = Block(text="“十三五”期间，全区生产安全事故起数、死亡人数分别下降79.16%、66.66%。",
                 section_path=["一、发展基础", "（一）“十三五”期间工作进展及成效"])
    condition = Block(text="落实定期对入井人数超过30人或井深超过800米的金属非金属地下矿山专家会诊制度。", section_path=GOALS)
    share = Block(text="各类生产安全事故造成死亡人数16人,占全市688人的2.32%。", section_path=GOALS)
    assert extract(past, condition, share) == []


def test_direction_and_plan_period():
    assert direction_of("下降", None, "x") == "down"
    assert direction_of("控制在", "以内", "x") == "at_most"
    assert direction_of("达到", "以上", "x") == "at_least"
    assert direction_of("达到", None, "x") == "reach"
    assert direction_of("增加", "以上", "x") == "up"
    assert plan_end_year("某区安全生产规划", ["(2021—2025年)"]) == "2025"
    assert plan_end_year("辽宁省“十三五”安全生产规划", []) == "2020"
    assert plan_end_year("某通知", []) is None


@pytest.mark.quality
@pytest.mark.parametrize("source", sorted(TARGET_GOLD))
def test_seed_targets_match_the_hand_written_gold(source):
    from regkb.ingest.pipeline import build_ingest_pipeline, parse_file

    document = parse_file(SEEDS / source, None, build_ingest_pipeline())
    meta = document.meta
    predicted = TargetExtractor(region=meta.region, level=meta.level, title=meta.title).run(
        document.blocks, source=source)["targets"]
    gold = json.loads(resources.files("regkb.eval").joinpath("data", TARGET_GOLD[source]).read_text(encoding="utf-8"))
    scores = score_targets(predicted, gold["targets"])
    assert scores["f1"] >= 0.9, scores
    assert all(t.region == meta.region and t.quote for t in predicted)


@pytest.mark.slow
def test_store_keeps_targets_until_the_document_is_removed(small_kb):
    report = pooled_ingest(small_kb, [SEEDS / "004_36275ac223ca7fcd.txt", SEEDS / "001_d581b906447e9fb7.txt"])
    assert report.targets == len(small_kb.store.targets()) >= 14
    doc_id = small_kb.store.document_by_source("004_36275ac223ca7fcd.txt").doc_id
    small_kb.remove(doc_id)
    assert {t.source for t in small_kb.store.targets()} == {"001_d581b906447e9fb7.txt"}
    assert small_kb.targets(region="辽宁").targets == []


def test_a_store_from_before_targets_opens_and_gains_the_table(tmp_path):
    path = tmp_path / "regkb.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE targets")
    store = Store(path)
    assert store.targets() == []


@pytest.fixture(scope="module")
def plans_kb(tmp_path_factory):
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    kb = KnowledgeBase.open(Settings(home=tmp_path_factory.mktemp("plans"), show_progress=False))
    pooled_ingest(kb, [SEEDS / name for name in sorted(TARGET_GOLD)])
    return kb


@pytest.mark.slow
def test_compare_lines_one_indicator_up_across_regions(plans_kb):
    response = plans_kb.targets(compare="死亡人数")
    rows = {row.region: row for row in response.comparison}
    assert set(rows) == {"辽宁省", "包头市九原区", "连云区"}
    assert [row.region for row in response.comparison][0] == "辽宁省"  # provincial before county
    assert (rows["辽宁省"].value, rows["辽宁省"].direction) == ("15", "down")
    assert (rows["连云区"].value, rows["包头市九原区"].value) == ("16", "10")
    assert all(indicator_match("死亡人数", row.indicator) >= 0.75 for row in response.comparison)


@pytest.mark.slow
def test_filters(plans_kb):
    liaoning = plans_kb.targets(region="辽宁").targets
    assert liaoning and {t.region for t in liaoning} == {"辽宁省"}
    rates = plans_kb.targets(indicator="完好率").targets
    assert rates and all("完好率" in t.indicator for t in rates)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export(plans_kb, tmp_path, suffix):
    path = tmp_path / f"targets{suffix}"
    result = plans_kb.export_targets(path)
    assert result.targets == len(plans_kb.store.targets()) and path.exists()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    else:
        from openpyxl import load_workbook

        rows = [[c or "" for c in row] for row in load_workbook(path).active.iter_rows(values_only=True)]
    assert tuple(rows[0]) == EXPORT_HEADER and len(rows) == result.targets + 1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


@pytest.mark.slow
def test_export_refuses_an_unknown_format(plans_kb, tmp_path):
    with pytest.raises(KnowledgeBaseError, match="不支持导出"):
        plans_kb.export_targets(tmp_path / "targets.pdf")


@pytest.mark.slow
def test_cli_targets_json(plans_kb):
    env = {**os.environ, "REGKB_HOME": str(plans_kb.settings.home)}
    run = subprocess.run([sys.executable, "-m", "regkb.service.cli", "targets", "--compare", "死亡人数", "--json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload["compare"] == "死亡人数" and len(payload["comparison"]) == 3
    text = subprocess.run([sys.executable, "-m", "regkb.service.cli", "targets", "--region", "连云"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert text.returncode == 0 and f"共 {len(plans_kb.targets(region='连云').targets)} 条规划目标" in text.stdout


def test_indicator_tables_in_xlsx_and_docx(small_kb, tmp_path):
    from docx import Document as WordDocument
    from openpyxl import Workbook

    rows = [["序号", "指标名称", "2025年目标值", "指标属性"], ["1", "生产安全事故死亡人数", "下降12%", "约束性"],
            ["2", "重大隐患整改率", "≥98%", "预期性"]]
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / "某市“十四五”安全生产规划指标.xlsx")
    word = WordDocument()
    word.add_paragraph("某县“十四五”安全生产规划")
    word.add_paragraph("二、规划目标")
    table = word.add_table(rows=len(rows), cols=4)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    word.save(tmp_path / "某县“十四五”安全生产规划.docx")
    report = small_kb.ingest([tmp_path], overrides=None)
    assert report.errors == [] and report.targets == 4
    found = {(t.source[-4:], t.indicator, t.value, t.unit, t.direction, t.deadline, t.nature) for t in small_kb.store.targets()}
    for suffix in ("xlsx", "docx"):
        assert (suffix, "生产安全事故死亡人数", "12", "%", "down", "2025", "约束性") in found
        assert (suffix, "重大隐患整改率", "98", "%", "at_least", "2025", "预期性") in found
