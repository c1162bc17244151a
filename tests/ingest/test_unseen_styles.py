"""Documents in styles the project was not built on: web pages with their chrome, docx,
xlsx and pdf tables, indicator tables, titles only in a 印发 notice or the file name,
standards; and departments with their region. The corpus and its hand-written gold are in
``eval/data/unseen``; the unit tests below write their own small documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from regkb.corpus.departments import (DepartmentRegistry, abbreviates, full_name, region_key,
                                     split_departments)
from regkb.corpus.models import Block
from regkb.eval.metrics.unseen import (metadata_scores, parse_unseen, unseen_dir, unseen_duty_scores, unseen_gold,
                                    unseen_target_scores)
from regkb.ingest.duties import extract_duties, parse_assignment
from regkb.ingest.duty_tables import duties_from_table
from regkb.ingest.pipeline import document_duties, parse_file


@pytest.fixture(scope="module")
def unseen():
    return parse_unseen()


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the unseen-styles corpus against its gold ------------------------------------------

@pytest.mark.quality
def test_unseen_test_half_duties_and_metadata(unseen):
    scores = unseen_duty_scores(unseen)
    assert scores["test"]["documents"] >= 5 and scores["test"]["tp"] >= 100
    assert scores["test"]["f1"] >= 0.95, scores["test"]
    test_gold = [d for d in unseen_gold() if d["split"] == "test"]
    metadata = metadata_scores({s: d.meta for s, d in unseen.items()}, test_gold)
    assert metadata["fields"] == 5 * len(test_gold) and metadata["correct"] >= 0.95, metadata


def test_every_format_of_the_corpus_is_read(unseen):
    suffixes = {Path(source).suffix for source in unseen}
    assert {".html", ".txt", ".docx", ".xlsx", ".pdf"} <= suffixes
    assert all(document.blocks for document in unseen.values())


# --- metadata from the cleaned head -------------------------------------------------------

CHROME = ("当前位置：首页 > 政务公开 > 规划计划\n字号：[ 大 中 小 ]  打印  关闭\n"
          "发布时间：2023-02-01 09:12   来源：某某市应急管理局   浏览次数：1024\n")


def test_web_page_chrome_is_not_the_title(tmp_path):
    text = (CHROME + "关于印发《江门市消防安全专项整治任务分工方案》的通知\n江应急〔2023〕7号\n"
            "各县（市、区）人民政府：\n现将方案印发给你们。\n江门市应急管理局\n2023年1月30日\n"
            "一、重点任务\n1.开展高层建筑消防安全排查。（市消防救援支队牵头，市住建局配合）\n")
    doc = parse_file(_write(tmp_path, "t20230201_99.txt", text))
    meta = doc.meta
    assert (meta.title, meta.doc_type, meta.region, meta.level, meta.doc_number) == (
        "江门市消防安全专项整治任务分工方案", "division_of_labour", "江门市", "city", "江应急〔2023〕7号")
    assert meta.date == "2023-01-30"  # the signature, not the page's 发布时间
    assert all("首页" not in b.text and "浏览次数" not in b.text for b in doc.blocks)


def test_publication_date_comes_from_the_chrome_when_unsigned(tmp_path):
    doc = parse_file(_write(tmp_path, "page.txt", CHROME + "江门市燃气安全工作要点\n一、总体要求\n做好燃气安全工作。\n"))
    assert doc.meta.title == "江门市燃气安全工作要点" and doc.meta.date == "2023-02-01"


@pytest.mark.parametrize("first_line, name, title, doc_type", [
    ("关于印发台州市危化品治理任务分工方案的通知", "x.txt", "台州市危化品治理任务分工方案", "division_of_labour"),
    ("台州市“十四五”安全生产主要指标", "附件1.txt", "台州市“十四五”安全生产主要指标", "plan"),
    ("为做好有关工作，现将任务分工如下：", "椒江区防汛防台任务分工表.txt", "椒江区防汛防台任务分工表", "division_of_labour"),
])
def test_title_rules(tmp_path, first_line, name, title, doc_type):
    body = "\n一、重点工作\n1.开展隐患排查。（区应急管理局牵头）\n"
    meta = parse_file(_write(tmp_path, name, first_line + body)).meta
    assert (meta.title, meta.doc_type) == (title, doc_type)


def test_file_names_without_title_words_give_no_title(tmp_path):
    meta = parse_file(_write(tmp_path, "t20230201_99.txt", "为做好有关工作，现将任务分工如下：\n一、重点工作\n")).meta
    assert meta.title is None


# --- standards ----------------------------------------------------------------------------

def test_standard_clauses_are_section_paths_and_citations(unseen):
    doc = unseen["GB30871-2022.txt"]
    assert (doc.meta.title, doc.meta.doc_number, doc.meta.doc_type, doc.meta.level) == (
        "危险化学品企业特殊作业安全规范", "GB 30871—2022", "standard", "national")
    by_start = {b.text[:10]: b for b in doc.blocks}
    clause = by_start["作业前，应对参加作业"]
    assert clause.section_path == ["4 基本要求", "4.1 作业前准备", "4.1.2"]
    assert clause.article == "GB 30871—2022 4.1.2"
    assert by_start["在禁火区内从事可能产"].section_path == ["3 术语和定义", "3.2 动火作业 hot work"]
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows and all(r.section_path[-1] == "表1 动火作业分级" for r in rows)
    note = next(b for b in doc.blocks if b.text.startswith("注："))
    assert note.section_path == ["5 动火作业", "5.1 作业分级"]
    annex = next(b for b in doc.blocks if b.text.startswith("作业票应由"))
    assert annex.section_path == ["附录A 安全作业票的格式", "A.2 作业票管理要求"]
    assert annex.article == "GB 30871—2022 A.2"


def test_an_industry_standard_in_docx(unseen):
    doc = unseen["AQT9011-2025.docx"]
    assert doc.meta.doc_number == "AQ/T 9011—2025" and doc.meta.title == "生产经营单位安全生产应急演练实施规范"
    block = next(b for b in doc.blocks if b.text.startswith("演练过程中出现真实突发事件"))
    assert block.article == "AQ/T 9011—2025 5.1.2" and block.section_path[-1] == "5.1.2"


# --- department names ---------------------------------------------------------------------

def test_names_with_brackets_are_not_split():
    assert split_departments("市直有关部门、各县（市、区）人民政府，泉州开发区管委会") == [
        "市直有关部门", "各县(市、区)人民政府", "泉州开发区管委会"]
    assignment = parse_assignment("（市应急局牵头，各县（市，区）政府负责）")
    assert assignment.lead == ["市应急局"] and assignment.responsible == ["各县(市，区)政府"]


def test_prefix_goes_only_to_the_issuers_own_bodies():
    names = split_departments("市委宣传部、市教育局、团市委、总工会、泉州海事局、银保监分局、水利局")
    assert names == ["市委宣传部", "市教育局", "团市委", "市总工会", "泉州海事局", "银保监分局", "市水利局"]
    assert split_departments("省应急厅、武警江西省总队") == ["省应急厅", "武警江西省总队"]
    # a name the document itself writes out in full elsewhere is the issuer's body
    blocks = [Block(text="1.建设港口监控平台。（市港航中心牵头）", section_path=["一、任务"]),
              Block(text="2.开展港口检查。（市交通运输局、港航中心负责）", section_path=["一、任务"])]
    duties = extract_duties(blocks, source="x.txt", doc_id="x")
    assert duties[1].responsible == ["市交通运输局", "市港航中心"]
    alone = extract_duties(blocks[1:], source="x.txt", doc_id="x")
    assert alone[0].responsible == ["市交通运输局", "港航中心"]


def test_table_cells_with_line_breaks_between_and_inside_names():
    rows = [["序号", "工作任务", "牵头单位", "责任单位"],
            ["1", "开展燃气排查", "市住建局", "市直有关部门\n各县（市、\n区）人民政府\n驻地部队"]]
    duty = duties_from_table(rows, source="t.docx", doc_id="t")[0]
    assert duty.lead == ["市住房城乡建设局"]
    assert duty.responsible == ["市直有关部门", "各县(市、区)人民政府", "驻地部队"]


def test_indicator_table_values_complete_the_task():
    rows = [["序号", "指标", "2025年目标值", "属性", "责任单位"],
            ["1", "道路交通万车死亡率", "下降10%", "预期性", "县公安局\n县交通运输局"]]
    duty = duties_from_table(rows, source="t.docx", doc_id="t")[0]
    assert duty.task == "道路交通万车死亡率下降10%" and duty.responsible == ["县公安局", "县交通运输局"]


def test_pdf_lines_broken_inside_a_parenthesis(unseen):
    duties = document_duties(unseen["潍坊分工方案.pdf"], "w")
    task = next(d for d in duties if d.task.startswith("推进化工园区封闭化管理"))
    assert task.lead == ["市应急管理局", "市消防救援支队"] and task.responsible == ["各县市区政府"]
    assert not any(d.task.startswith(("（", "(")) for d in duties)


# --- departments with their region ----------------------------------------------------------

def test_region_is_part_of_a_departments_identity():
    reg = DepartmentRegistry()
    reg.add("省应急厅", region="辽宁省")
    reg.add("省应急管理厅", region="江西省")
    reg.add("市应急局", region="包头市九原区")
    reg.add("国家矿山安全监察局江西局", region="江西省")
    assert reg.matches("应急管理厅") == [("省应急管理厅", "辽宁省"), ("省应急管理厅", "江西省")]
    assert reg.matches("江西省应急管理厅") == [("省应急管理厅", "江西省")]
    assert reg.aliases("省应急管理厅", "辽宁省") == ["省应急厅"] and reg.aliases("省应急管理厅", "江西省") == []
    assert reg.matches("包头市应急管理局") == [("市应急管理局", "包头市")]
    assert region_key("国家矿山安全监察局江西局", "江西省") is None
    assert full_name("区应急管理局", "包头市九原区") == "包头市九原区应急管理局"
    again = DepartmentRegistry.from_dict(json.loads(json.dumps(reg.to_dict(), ensure_ascii=False)))
    assert again.to_dict() == reg.to_dict() and len(again) == 4
    old = DepartmentRegistry.from_dict({"departments": {"省应急管理厅": {"level": "provincial", "regions": ["辽宁"],
                                                                       "aliases": ["省应急厅"]}}})
    assert old.matches("应急厅") == [("省应急管理厅", "辽宁")]


DIVISION = ("关于印发《{p}省燃气安全整治任务分工方案》的通知\n一、重点任务\n"
            "1.开展燃气安全排查整治。（省应急厅牵头，省住房城乡建设厅配合）\n")


def regkb(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REGKB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "regkb.service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.mark.slow
def test_department_of_two_provinces_through_the_cli(small_kb, tmp_path):
    files = [_write(tmp_path, f"{p}.txt", DIVISION.format(p=p)) for p in ("江西", "湖南")]
    report = small_kb.ingest(files)
    assert report.errors == [] and report.duties == 2
    home = small_kb.settings.home
    listed = regkb(home, "department", "应急管理厅", "--json")
    assert listed.returncode == 0, listed.stderr
    payload = json.loads(listed.stdout)
    assert payload["tasks"] == [] and {c["full_name"] for c in payload["candidates"]} == {"江西省应急管理厅", "湖南省应急管理厅"}
    text = regkb(home, "department", "应急厅")
    assert "--region" in text.stdout and "江西省应急管理厅" in text.stdout
    picked = json.loads(regkb(home, "department", "应急厅", "--region", "湖南", "--json").stdout)
    assert picked["region"] == "湖南省" and picked["aliases"] == ["省应急厅"] and len(picked["tasks"]) == 1
    assert picked["tasks"][0]["source"] == "湖南.txt" and picked["candidates"] == []
    wrong = regkb(home, "department", "应急厅", "--region", "广东")
    assert wrong.returncode != 0 and "广东" in wrong.stderr and wrong.stdout == ""
    departments = json.loads(regkb(home, "departments", "--json").stdout)["departments"]
    assert sorted(d["region"] for d in departments if d["name"] == "省应急管理厅") == ["江西省", "湖南省"]


def test_gold_files_of_the_corpus_are_complete():
    sources = {doc["source"] for doc in unseen_gold()}
    assert sources == {path.name for path in unseen_dir().iterdir()}
    assert {doc["split"] for doc in unseen_gold()} == {"dev", "test"}


LABELLED = ("吴兴区燃气安全整治任务分工方案\n一、重点任务\n1.开展隐患排查。\n牵头单位：区应急管理局\n"
            "配合单位：区公安分局、住建局\n完成时限：2023年底\n"
            "2.加强燃气管理。牵头单位：区住建局；责任单位：区市场监管局、各街道（牵头）。\n"
            "3.开展宣传。（牵头单位：区委宣传部；配合单位：区教育局、团区委）\n")


def _duties_by_task(folder: Path, name: str, text: str) -> dict:
    return {d.task: d for d in document_duties(parse_file(_write(folder, name, text)), "d")}


def test_labelled_roles(tmp_path):
    duties = _duties_by_task(tmp_path, "labelled.txt", LABELLED)
    assert set(duties) == {"开展隐患排查", "加强燃气管理", "开展宣传"}
    first = duties["开展隐患排查"]
    assert (first.lead, first.cooperating, first.deadline) == (["区应急管理局"], ["区公安分局", "区住房城乡建设局"], "2023年底")
    second = duties["加强燃气管理"]
    assert second.lead == ["区住房城乡建设局", "各街道"] and second.responsible == ["区市场监管局"]
    assert second.section_path == ["一、重点任务"]  # a sibling of task 1, not under it
    assert duties["开展宣传"].cooperating == ["区教育局", "团区委"]


# --- city 分工表 and indicator tables (issue 27) ---------------------------------------------

def test_every_indicator_table_target_is_found_with_value_unit_and_direction(unseen):
    scores = unseen_target_scores(unseen, with_errors=True)
    assert scores["dev"]["targets"] + scores["test"]["targets"] >= 20
    assert scores["missed"] == []


def test_a_bare_department_in_a_list_of_one_level_takes_its_prefix():
    assert split_departments("市城管局、水务局、市消防救援支队") == ["市城管局", "市水务局", "市消防救援支队"]
    # a clause carries the prefix of the clause before it
    assert parse_assignment("（市应急管理局牵头，经信局、市自然资源和规划局配合）").cooperating == [
        "市经信局", "市自然资源和规划局"]
    # bodies named after their place, or managed from above, stay as written
    assert split_departments("市应急管理局、舟山海事局、市公安局")[1] == "舟山海事局"
    assert parse_assignment("（市交通运输局牵头，遵义公路管理局负责）").responsible == ["遵义公路管理局"]


def test_departments_broken_over_lines_or_spaced_apart_are_all_kept():
    rows = [["序号", "工作任务", "牵头单位", "配合单位"],
            ["1", "开展消防宣传", "市消防救援支队", "市应急局、市\n市场监管局"],
            ["2", "加强人员密集场所管理", "市消防救援支队", "市卫健委 市民政局"]]
    first, second = duties_from_table(rows, source="t.docx", doc_id="t")
    assert first.cooperating == ["市应急管理局", "市市场监管局"]
    assert second.cooperating == ["市卫生健康委", "市民政局"]


HTML_TABLE = ("<html><body><h1>某市燃气整治任务分工表</h1><table>"
              "<tr><th rowspan='2'>序号</th><th rowspan='2'>重点任务</th><th colspan='2'>责任分工</th></tr>"
              "<tr><th>牵头单位</th><th>配合单位</th></tr>"
              "<tr><td>1</td><td>排查燃气企业</td><td rowspan='2'>市建设局</td><td>市应急管理局</td></tr>"
              "<tr><td>2</td><td>更新燃气管道</td><td>市财政局</td></tr></table></body></html>")


def test_a_cell_merged_over_rows_keeps_its_column_role_in_a_web_page(tmp_path):
    duties = _duties_by_task(tmp_path, "分工表.html", HTML_TABLE)
    assert (duties["更新燃气管道"].lead, duties["更新燃气管道"].cooperating) == (["市建设局"], ["市财政局"])


def test_an_indicator_tables_attribute_column_is_not_its_task():
    rows = [["序号", "指标名称", "单位", "2020年", "2025年", "指标属性", "责任单位"],
            ["1", "城市消防站5分钟到场率", "%", "72", "≥90", "预期性", "市消防救援支队"]]
    duty = duties_from_table(rows, source="t.docx", doc_id="t")[0]
    assert duty.task == "城市消防站5分钟到场率≥90" and duty.responsible == ["市消防救援支队"]


def test_a_short_form_of_an_official_name_joins_the_full_one_in_either_order(tmp_path):
    text = ("某市打击安全生产违法行为分工方案\n一、重点任务\n"
            "1.依法审查起诉危险作业案件。（市公安局、市中院按职责分工负责）\n"
            "2.完善行刑衔接机制。（市司法局牵头，市中级人民法院、市人民检察院配合）\n"
            "3.通报典型案例。（市司法局牵头，市中级法院、市检察院配合）\n")
    registry = DepartmentRegistry()
    duties = document_duties(parse_file(_write(tmp_path, "分工方案.txt", text)), "j", registry)
    assert [d.responsible + d.cooperating for d in duties] == [
        ["市公安局", "市中级人民法院"], ["市中级人民法院", "市检察院"], ["市中级人民法院", "市检察院"]]
    assert set(registry.aliases("市中级人民法院")) == {"市中院", "市中级法院"}
    assert registry.canonical("市中院") == "市中级人民法院"
    assert not abbreviates("市公安局", "市公安局交通管理局")  # a body inside, not a long form


def test_indicator_values_in_any_column_with_their_units(tmp_path):
    from regkb.ingest.targets import TargetExtractor

    rows = [["序号", "考核指标", "目标要求", "责任单位", "备注"],
            ["1", "道路交通事故万车死亡率（人/万车）", "≤1.6", "市公安局", ""],
            ["2", "高危行业安全生产责任保险覆盖率达到100%", "全面完成", "市应急管理局", ""],
            ["3", "城区消防救援力量到场时间", "8分钟以内", "市消防救援支队", ""]]
    path = tmp_path / "指标.xlsx"
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    document = parse_file(path)
    targets = TargetExtractor(title="某市2024年安全生产目标").run(document.blocks)["targets"]
    assert [(t.indicator, t.value, t.unit, t.direction, t.deadline) for t in targets] == [
        ("道路交通事故万车死亡率", "1.6", "人/万车", "at_most", "2024"),
        ("高危行业安全生产责任保险覆盖率", "100", "%", "reach", "2024"),
        ("城区消防救援力量到场时间", "8", "分钟", "at_most", "2024")]


def test_a_responsible_column_whose_first_body_leads():
    rows = [["序号", "重点任务", "责任单位（排名第一的为牵头单位）", "完成时限"],
            ["1", "开展燃气安全排查", "市住建局、市应急局、\n市市场监管局", "2024年底"]]
    duty = duties_from_table(rows, source="t.docx", doc_id="t")[0]
    assert (duty.lead, duty.responsible) == (["市住房城乡建设局"], ["市应急管理局", "市市场监管局"])
