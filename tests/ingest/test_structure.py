"""Cleaning and structure recognition on real excerpts of the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DIVISION_PLAN, SAFETY_LAW, SEEDS
from regkb.ingest.pipeline import build_ingest_pipeline, parse_file
from regkb.index.chunker import StructureChunker

PIPELINE = build_ingest_pipeline()


def _parse(path: Path):
    return parse_file(path, pipeline=PIPELINE)


def test_division_plan_numbered_tasks_and_metadata():
    doc = _parse(DIVISION_PLAN)
    meta = doc.meta
    assert meta.doc_number == "辽安委办〔2021〕101号"
    assert meta.doc_type == "division_of_labour"
    assert meta.region == "辽宁省" and meta.level == "provincial"
    assert meta.date == "2021-12-28"  # the signature date, not the web page's publishing date
    assert "分工方案" in meta.title
    tailings = [b for b in doc.blocks if "尾矿库总量控制" in b.text]
    assert len(tailings) == 1
    assert tailings[0].text.endswith("按职责分工负责)"), "the task keeps its department parenthesis"
    assert tailings[0].section_path[0].startswith("二、") and tailings[0].section_path[-1] == "3.非煤矿山安全"
    assert not any("首页" in b.text or "关闭窗口" in b.text for b in doc.blocks)


def test_law_articles_paragraphs_and_items():
    doc = _parse(SAFETY_LAW)
    assert doc.meta.title == "中华人民共和国安全生产法"
    assert doc.meta.doc_type == "law" and doc.meta.level == "national"
    assert doc.meta.issuer == "全国人民代表大会常务委员会"
    article = [b for b in doc.blocks if b.article == "第二十一条"]
    assert article[0].text.startswith("第二十一条 生产经营单位的主要负责人")
    assert [b.kind for b in article[1:]] == ["item"] * (len(article) - 1)
    assert len(article) == 8  # the article sentence and its seven 项
    assert article[0].section_path == ["第二章 生产经营单位的安全生产保障"]
    # 款: an article with several paragraphs keeps them under the same label
    assert len([b for b in doc.blocks if b.article == "第九十四条"]) == 3


def test_law_article_is_one_chunk_with_its_label():
    doc = _parse(SAFETY_LAW)
    chunks = StructureChunker().split("law", doc.blocks)
    [chunk] = [c for c in chunks if c.article == "第二十一条"]
    assert chunk.text.startswith("第二十一条") and "（七）" in chunk.text
    assert chunk.section_path == ["第二章 生产经营单位的安全生产保障"]
    for c in chunks:
        assert len(c.text) <= 500 or c.text.count("。") <= 1
    # no chunk mixes two articles
    assert all(c.text.count("第二十一条") <= 1 for c in chunks)


def test_docx_export_bookmarks_tables_and_columns():
    doc = _parse(SEEDS / "002_eb27f3ebc715db50.txt")
    assert not any("bookmark" in b.text for b in doc.blocks)
    assert not any("bookmark" in s.heading for s in doc.sections)
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    first = next(r for r in rows if "生产安全事故起数" in r.text)
    assert first.header == ["序号", "指标内容", "预期值"]
    assert "预期值:下降16%" in first.text
    assert first.section_path[-1] == "连云区“十四五”时期安全生产规划主要指标"  # the table's caption
    column = next(b for b in doc.blocks if "远程提醒监控系统" in b.text)
    assert column.section_path[-1] == "专栏2 交通安全"


def test_table_of_contents_is_dropped():
    doc = _parse(SEEDS / "001_d581b906447e9fb7.txt")
    headings = [s.heading for s in doc.sections]
    assert headings.count("一、成效与形势") == 1
    assert not any(b.text in ("目录", "目 录") for b in doc.blocks)
    first_task = next(s for s in doc.sections if s.heading.startswith("1.安全生产形势持续稳定"))
    assert first_task.path[:2] == ["一、成效与形势", "(一)“十三五”时期工作成效"]


def test_broken_lines_are_rejoined():
    doc = _parse(SEEDS / "000_854d6079aa698d1e.txt")
    joined = [b.text for b in doc.blocks if "健全事故现场" in b.text]
    assert joined and "健全事故现场救援" in joined[0] or "事故现场处置能力" in joined[0]
    assert all(not b.text.startswith("置能力") for b in doc.blocks)


def test_standard_clauses_nest_by_number(tmp_path):
    path = tmp_path / "企业安全生产标准化基本规范.txt"
    path.write_text(
        "企业安全生产标准化基本规范\n"
        "5.1 目标职责\n"
        "5.1.1 目标\n"
        "企业应根据自身安全生产实际，制定文件化的总体和年度安全生产与职业卫生目标。\n"
        "5.1.2 机构和职责\n"
        "企业应落实安全生产组织领导机构，成立安全生产委员会。\n"
        "5.2 制度化管理\n"
        "企业应建立安全生产和职业卫生法律法规、标准规范的管理制度。\n", encoding="utf-8")
    doc = _parse(path)
    assert doc.meta.doc_type == "standard"
    paths = {b.text[:8]: b.section_path for b in doc.blocks}
    assert paths["企业应根据自身安"] == ["5.1 目标职责", "5.1.1 目标"]
    assert paths["企业应落实安全生"] == ["5.1 目标职责", "5.1.2 机构和职责"]
    assert paths["企业应建立安全生"] == ["5.2 制度化管理"]


def test_authority_follows_type_issuer_and_level():
    from regkb.ingest.metadata import extract_metadata

    cases = {
        ("中华人民共和国安全生产法", "2021年6月10日第十三届全国人民代表大会常务委员会第二十九次会议通过"): "law",
        ("生产安全事故应急条例", "2019年2月17日中华人民共和国国务院令第708号公布"): "administrative_regulation",
        ("浙江省安全生产条例", "2016年7月29日浙江省第十二届人民代表大会常务委员会第三十一次会议通过"): "local_regulation",
        ("关于印发《辽宁省安全生产规划》的通知", "辽安委办〔2021〕101号"): "plan",
        ("关于推进安全生产领域改革发展的实施意见", "湖州市安全生产监督管理局"): "normative",
    }
    for lines, authority in cases.items():
        assert extract_metadata("x.txt", list(lines)).authority == authority, lines


@pytest.mark.parametrize("title, region", [
    ("河南省建筑市场管理条例", "河南省"),  # 建筑市场 is the subject, not a city of 河南
    ("河南省劳动力市场条例", "河南省"),
    ("南阳市居民住宅区消防安全管理条例", "南阳市"),  # 居民住宅区 is not a county
    ("杭州市历史文化街区和历史建筑保护条例", "杭州市"),
    ("浙江省湖州市安全生产条例", "浙江省湖州市"),
    ("包头市九原区“十四五”应急管理体系规划", "包头市九原区"),
])
def test_region_is_a_place_not_the_title_subject(title, region):
    from regkb.ingest.metadata import infer_region_and_level

    assert infer_region_and_level(title)[0] == region


@pytest.mark.parametrize("title, region, authority", [
    ("煤矿安全生产条例", "全国", "administrative_regulation"),  # a file without its history lines
    ("道路交通安全违法行为记分管理办法", "全国", "departmental_rule"),
    ("彭水苗族土家族自治县矿产资源管理条例", None, "local_regulation"),  # a place the gazetteer lacks: not national
])
def test_a_rule_whose_title_names_no_place_is_national(title, region, authority):
    from regkb.ingest.metadata import extract_metadata

    meta = extract_metadata("x.md", [title, "第一条 为了加强管理，制定本条例。"])
    assert (meta.region, meta.authority) == (region, authority)
