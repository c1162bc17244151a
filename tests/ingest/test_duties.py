"""Duties: the 分工方案 parenthesis parser, division-of-labour tables, prose duties.

Real text is read from ../shared/corpus at test time, never copied into the repo.
"""

import re

import pytest

from conftest import DIVISION_PLAN, EVAL_DATA, SEEDS
from regkb.corpus.departments import DepartmentRegistry
from regkb.corpus.models import Block, Table
from regkb.eval.metrics.duties import score_duties
from regkb.ingest.duties import (DivisionOfLabourParser, extract_duties, extract_duties_from_text,
                                 parse_assignment, segment_text)
from regkb.ingest.duty_tables import DutyTableParser, duties_from_table, read_table_rows
from regkb.ingest.prose_duties import extract_prose_duties, extract_prose_duties_from_text

DOC_003 = SEEDS / "003_0f9e83a570ba6e47.txt"
DOC_004 = DIVISION_PLAN
GOLD_004 = EVAL_DATA / "duties_gold_004.json"
YJ = "省应急管理厅"
ZZ = "省、中直负有安全生产监管职责的部门"

_HEADING_RE = re.compile(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．])")


def blocks_from_text(text: str) -> list[Block]:
    """Blocks the way a structure parser gives them: one paragraph each (split on blank
    lines), short ``一、`` / ``(一)`` / ``1.`` lines moved into ``section_path``. Unlike
    ``segment_text`` it does not re-join a parenthesis split by a blank line."""
    stack: list[tuple[int, str]] = []
    blocks = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        m = _HEADING_RE.match(para)
        if m and len(para) <= 40 and "(省" not in para and "。" not in para:
            level = 2 if para[0] in "(（" else (1 if para[len(m.group(0)) - 1] == "、" else 3)
            stack = [(lv, h) for lv, h in stack if lv < level] + [(level, para)]
            continue
        blocks.append(Block(text=para, section_path=[h for _, h in stack]))
    return blocks


def _by_key(duties, key):
    found = [d for d in duties if d.task.startswith(key)]
    assert len(found) == 1, (key, [d.task[:20] for d in duties])
    return found[0]


# -- the 004 document against the hand-labelled gold ----------------------------------------

@pytest.mark.quality
def test_004_from_text_matches_gold():
    duties = extract_duties_from_text(DOC_004.read_text(encoding="utf-8"), DOC_004.name, "d4",
                                      level="provincial", region="辽宁")
    score = score_duties(duties, GOLD_004)
    assert score["f1"] >= 0.98, score["errors"][:10]
    assert len(duties) == 49
    assert all(not d.inferred and d.source == DOC_004.name and d.evidence.startswith("(") for d in duties)


@pytest.mark.quality
def test_004_from_paragraph_blocks_matches_gold():
    blocks = blocks_from_text(DOC_004.read_text(encoding="utf-8"))
    # the 危险化学品安全 parenthesis is split over two paragraphs in the source
    assert any(b.text.endswith("生态环境厅、") for b in blocks)
    duties = DivisionOfLabourParser(level="provincial", region="辽宁").run(
        blocks, source=DOC_004.name, doc_id="d4")["duties"]
    score = score_duties(duties, GOLD_004)
    assert score["f1"] >= 0.98, score["errors"][:10]
    hazchem = _by_key(duties, "科学规划产业空间布局")
    assert hazchem.section_path[-1] == "1.危险化学品安全"
    assert "省教育厅" in hazchem.responsible and "民航东北地区管理局" in hazchem.responsible
    assert "\n" not in hazchem.evidence and hazchem.evidence.endswith("按职责分工负责)")


def test_004_targets_and_special_entities():
    duties = extract_duties_from_text(DOC_004.read_text(encoding="utf-8"), DOC_004.name, "d4")
    first = duties[0]
    assert first.task == "生产安全事故死亡人数下降15%"
    assert first.section_path == ["一、规划目标"]
    assert first.lead == [YJ] and first.responsible == [ZZ] and first.cooperating == []
    assert first.evidence == "(省应急厅牵头,省、中直负有安全生产监管职责的部门按职责分工负责)"
    # 负责 without 牵头, a national body kept verbatim
    coal = _by_key(duties, "煤矿百万吨死亡率")
    assert coal.lead == [] and coal.responsible == ["国家矿山安全监察局辽宁局", "省煤矿安监局"]
    # two lead departments
    roads = _by_key(duties, "深入实施公路安全生命防护工程")
    assert roads.lead == ["省公安厅", "省交通运输厅"]
    # a clause without a verb joins the next clause's role
    reform = _by_key(duties, "严格落实企业主要负责人")
    assert reform.responsible == ["省发展改革委", "省工业和信息化厅", "省人力资源社会保障厅", ZZ]
    # 交通厅 is merged into 省交通运输厅; 相关市政府 is kept as written
    fire = _by_key(duties, "开展消防安全治理工程")
    assert "省交通运输厅" in fire.responsible and "省直相关部门" in fire.responsible
    assert _by_key(duties, "依托沈阳、大连、葫芦岛市").responsible == [YJ, "相关市政府"]


def test_numbered_tasks_as_paragraphs_or_headings():
    path = ["二、主要任务", "(四)深化重点行业领域治本攻坚(省应急厅牵头)"]
    blocks = [
        # a numbered task as a heading with its own parenthesis, sub-paragraphs below it
        Block(text="落实企业主体责任,开展隐患排查。(省应急厅负责,省公安厅配合)",
              section_path=path + ["1.危险化学品安全(省工业和信息化厅牵头)"]),
        Block(text="强化运输全链条监管。(省交通运输厅负责)",
              section_path=path + ["1.危险化学品安全(省工业和信息化厅牵头)"]),
        # a numbered task as a paragraph that still starts with its number
        Block(text="2.煤矿安全整治(国家矿山安全监察局辽宁局、省煤矿安监局负责)。", section_path=path),
    ]
    duties = extract_duties(blocks, "x.txt", "x")
    tasks = [d.task for d in duties]
    assert tasks == ["深化重点行业领域治本攻坚", "危险化学品安全", "落实企业主体责任,开展隐患排查",
                     "强化运输全链条监管", "煤矿安全整治"]
    assert duties[0].lead == [YJ] and duties[0].section_path == ["二、主要任务"]
    assert duties[1].lead == ["省工业和信息化厅"] and duties[1].section_path == path
    assert duties[2].responsible == [YJ] and duties[2].cooperating == ["省公安厅"]
    assert duties[4].responsible == ["国家矿山安全监察局辽宁局", "省煤矿安监局"]


def test_split_and_standalone_parentheses():
    blocks = [
        Block(text="加强园区安全管控。(省工业和信息化厅、\n  自然资源厅、", section_path=["(八)"]),
        Block(text="商务厅等按职责分工负责)", section_path=["(八)"]),
        Block(text="完善应急预案管理与演练制度,强化演练。", section_path=["(七)"]),
        Block(text="(省应急厅牵头,各市政府、沈抚示范区管委会负责,2022年底前完成)", section_path=["(七)"]),
    ]
    duties = extract_duties(blocks, "x.txt", "x")
    assert [d.task for d in duties] == ["加强园区安全管控", "完善应急预案管理与演练制度,强化演练"]
    assert duties[0].responsible == ["省工业和信息化厅", "省自然资源厅", "省商务厅"]
    assert duties[0].evidence == "(省工业和信息化厅、自然资源厅、商务厅等按职责分工负责)"
    assert duties[1].lead == [YJ]
    assert duties[1].responsible == ["各市政府", "沈抚示范区管委会"]
    assert duties[1].deadline == "2022年底前完成"


def test_non_assignments_are_ignored():
    assert parse_assignment("(以下简称《规划》)") is None
    assert parse_assignment("(深井铸造)") is None
    text = "为贯彻落实《辽宁省规划》(以下简称《规划》),作如下分工。\n\n一、规划目标\n\n铝加工(深井铸造)\n"
    assert extract_duties_from_text(text, "x.txt", "x") == []


def test_segment_text_keeps_headings_in_the_path():
    text = "一、主要任务\n(一)健全责任体系\n1.危险化学品安全\n加强监管。(省应急厅负责)\n二、重点工程\n建设平台。(省应急厅负责)"
    blocks = segment_text(text)
    assert [b.section_path for b in blocks] == [["一、主要任务", "(一)健全责任体系", "1.危险化学品安全"],
                                               ["二、重点工程"]]


def test_shared_registry_collects_aliases():
    reg = DepartmentRegistry()
    extract_duties([Block(text="任务一(省应急厅牵头,交通厅配合)")], "a", "a", registry=reg,
                   level="provincial", region="辽宁")
    assert reg.canonical("应急厅") == YJ
    assert reg.aliases(YJ) == ["省应急厅"]
    assert reg.canonical("省交通运输厅") == "省交通运输厅"  # 交通厅 inherited 省 from the list


# -- tables ---------------------------------------------------------------------------------

GRID = [
    ["序号", "重点任务", "责任分工", "责任分工", "完成时限"],
    ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
    ["一、危险化学品安全"] * 5,
    ["1", "开展化工园区安全风险评估", "省应急厅", "省工业和信\n息化厅、公安厅", "2022年底前"],
    ["2", "建立危险化学品全链条监管平台", "省应急厅", "省交通运输厅\n省公安厅", "2023年"],
    ["3", "推进城镇燃气安全整治", "省住建厅", "省市场监管局、商务厅", "持续推进"],
    ["3", "推进城镇燃气安全整治", "", "省公安厅", ""],
]
# merged ranges (row1, col1, row2, col2), inclusive
MERGES = [(0, 2, 0, 3), (0, 0, 1, 0), (0, 1, 1, 1), (0, 4, 1, 4), (2, 0, 2, 4), (3, 2, 4, 2),
          (5, 0, 6, 0), (5, 1, 6, 1), (5, 4, 6, 4)]
COVERED = {(r, c) for (r1, c1, r2, c2) in MERGES for r in range(r1, r2 + 1)
           for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}


def _write_docx(path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    table = document.add_table(rows=len(GRID), cols=5)
    table.style = "Table Grid"
    for r1, c1, r2, c2 in MERGES:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    for r, row in enumerate(GRID):
        for c, value in enumerate(row):
            if (r, c) not in COVERED:
                table.cell(r, c).text = value
    document.save(path)


def _write_xlsx(path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate(GRID):
        for c, value in enumerate(row):
            if (r, c) not in COVERED:
                ws.cell(r + 1, c + 1, value)
    for r1, c1, r2, c2 in MERGES:
        ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    wb.save(path)


def _write_pdf(path):
    pytest.importorskip("reportlab")
    pytest.importorskip("pdfplumber")
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import SimpleDocTemplate, TableStyle
    from reportlab.platypus import Table as RLTable

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    data = [["" if (r, c) in COVERED else v for c, v in enumerate(row)] for r, row in enumerate(GRID)]
    table = RLTable(data)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                               ("FONTSIZE", (0, 0), (-1, -1), 9),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
                              + [("SPAN", (c1, r1), (c2, r2)) for r1, c1, r2, c2 in MERGES]))
    SimpleDocTemplate(str(path), pagesize=landscape(A4)).build([table])


def _write_tsv(path):
    lines = ["分工表", "序号\t工作任务\t牵头单位\t配合单位\t完成时限",
             "1\t开展化工园区安全风险评估\t省应急厅\t省工业和信息化厅、公安厅\t2022年底前",
             "2\t建立危险化学品全链条监管平台\t省应急厅\t省交通运输厅、省公安厅\t2023年",
             "3\t推进城镇燃气安全整治\t省住建厅\t省市场监管局、商务厅、公安厅\t持续推进"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("suffix,writer", [(".docx", _write_docx), (".xlsx", _write_xlsx),
                                           (".pdf", _write_pdf), (".txt", _write_tsv)])
def test_division_of_labour_tables(tmp_path, suffix, writer):
    path = tmp_path / f"分工表{suffix}"
    writer(path)
    tables = read_table_rows(path)
    assert len(tables) == 1
    duties = DutyTableParser(level="provincial", region="辽宁").run(
        [Table(rows=tables[0])], source=path.name, doc_id="t")["duties"]
    assert [d.task for d in duties] == ["开展化工园区安全风险评估", "建立危险化学品全链条监管平台",
                                        "推进城镇燃气安全整治"]
    assert [d.lead for d in duties] == [[YJ], [YJ], ["省住房城乡建设厅"]]
    assert [d.cooperating for d in duties] == [["省工业和信息化厅", "省公安厅"],
                                               ["省交通运输厅", "省公安厅"],
                                               ["省市场监管局", "省商务厅", "省公安厅"]]
    assert [d.deadline for d in duties] == ["2022年底前", "2023年", "持续推进"]
    assert all(d.responsible == [] and not d.inferred and d.source == path.name for d in duties)
    if suffix != ".txt":
        assert all(d.section_path == ["一、危险化学品安全"] for d in duties)
    assert "牵头单位:省应急厅" in duties[0].evidence


def test_table_lead_marks_and_non_duty_tables():
    rows = [["序号", "任务", "责任单位"],
            ["1", "建立风险监测预警平台", "省应急厅(牵头)\n省工业和信息化厅、\n交通厅"],
            ["", "完善化工园区认定办法", "省工业和信息化厅（牵头）、应急厅"]]
    duties = duties_from_table(rows, source="x", doc_id="x", section_path=["附件"])
    assert duties[0].lead == [YJ] and duties[0].responsible == ["省工业和信息化厅", "省交通运输厅"]
    assert duties[1].lead == ["省工业和信息化厅"] and duties[1].responsible == [YJ]
    assert duties[1].section_path == ["附件"]
    # a table of targets or figures has no department column: no duties
    assert duties_from_table([["指标", "目标值"], ["死亡人数", "下降15%"]], "x", "x") == []


# -- prose ----------------------------------------------------------------------------------

def test_prose_duties_from_003():
    duties = extract_prose_duties_from_text(DOC_003.read_text(encoding="utf-8"), DOC_003.name, "d3")
    assert duties and all(d.inferred for d in duties)
    building = [d for d in duties if d.lead == ["建设部门"]]
    assert len(building) == 1
    assert building[0].task.startswith("建立实施城市安全评价制度")
    assert building[0].evidence.startswith("建设部门要牵头建立实施城市安全评价制度")
    everyone = {n for d in duties for r in ("lead", "responsible", "cooperating") for n in getattr(d, r)}
    assert not any(n.startswith(("各", "有关", "相关", "负有")) for n in everyone)


def test_prose_patterns():
    text = ("由市应急管理局负责危险化学品安全监管工作。"
            "市住房城乡建设局会同市交通运输局、市公安局开展燃气管道排查,建立整治台账。"
            "市消防救援支队要配合市应急管理局做好应急演练。"
            "各地各有关部门按照职责分工抓好落实。"
            "负有安全生产监督管理职责的部门负责本行业领域的执法工作。"
            "企业主要负责人对本单位安全生产工作全面负责。")
    duties = extract_prose_duties([Block(text=text, section_path=["五、保障措施"])], "p.txt", "p")
    assert [(d.lead, d.responsible, d.cooperating) for d in duties] == [
        ([], ["市应急管理局"], []),
        (["市住房城乡建设局"], [], ["市交通运输局", "市公安局"]),
        (["市应急管理局"], [], ["市消防救援支队"]),
    ]
    assert duties[0].task == "危险化学品安全监管工作"
    assert duties[1].task == "开展燃气管道排查,建立整治台账"
    assert duties[1].evidence == "市住房城乡建设局会同市交通运输局、市公安局开展燃气管道排查,建立整治台账。"
    assert all(d.inferred and d.section_path == ["五、保障措施"] for d in duties)


def test_prose_duties_are_few_and_specific_in_plans():
    total = 0
    for path in sorted(SEEDS.glob("00[0-3]_*.txt")):
        duties = extract_prose_duties_from_text(path.read_text(encoding="utf-8"), path.name, "d")
        total += len(duties)
        for d in duties:
            assert d.inferred and d.evidence and (d.lead or d.responsible or d.cooperating)
    assert 3 <= total <= 20


def test_segment_text_heading_with_its_own_parenthesis():
    text = ("二、主要任务\n\n(四)深化治本攻坚(省应急厅牵头,各市政府负责)\n\n1.危险化学品安全(省工业和信息化厅牵头)\n\n"
            "加强监管。(省应急厅负责)\n\n2.煤矿安全整治(国家矿山安全监察局辽宁局负责)\n")
    duties = extract_duties_from_text(text, "x.txt", "x")
    assert [(d.task, len(d.section_path)) for d in duties] == [
        ("深化治本攻坚", 1), ("危险化学品安全", 2), ("加强监管", 3), ("煤矿安全整治", 2)]
    assert duties[0].responsible == ["各市政府"]
