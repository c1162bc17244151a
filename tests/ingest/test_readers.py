"""Each reader on small files the tests generate: docx with a table, pdf with a ruled
table, html with page chrome, text in three encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from regkb.corpus.models import Table
from regkb.ingest.clean import clean_items
from regkb.ingest.readers import IngestError, Line, read_file


def _lines(raw) -> list[str]:
    return [item.text for item in clean_items(raw.items) if isinstance(item, Line) and item.text]


def _tables(raw) -> list[Table]:
    return [item for item in raw.items if isinstance(item, Table)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_text_encodings(tmp_path: Path, encoding: str):
    path = tmp_path / "plan.txt"
    path.write_bytes("一、总体要求\n安全生产工作坚持人民至上。\n".encode(encoding))
    assert _lines(read_file(path)) == ["一、总体要求", "安全生产工作坚持人民至上。"]


def test_docx_paragraphs_and_table(tmp_path: Path):
    from docx import Document

    doc = Document()
    doc.add_paragraph("第一条 为了加强安全生产工作,制定本办法。")
    table = doc.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["序号", "重点任务", "牵头单位"]):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["1", "尾矿库综合治理", "省应急管理厅"]):
        cell.text = text
    doc.add_paragraph("第二条 本办法自发布之日起施行。")
    path = tmp_path / "办法.docx"
    doc.save(path)

    raw = read_file(path)
    assert _lines(raw) == ["第一条 为了加强安全生产工作,制定本办法。", "第二条 本办法自发布之日起施行。"]
    [parsed_table] = _tables(raw)
    assert parsed_table.rows == [["序号", "重点任务", "牵头单位"], ["1", "尾矿库综合治理", "省应急管理厅"]]
    # the table sits between the two paragraphs, in reading order
    kinds = [type(item).__name__ for item in raw.items if not isinstance(item, Line) or item.text]
    assert kinds == ["Line", "Table", "Line"]


def _chinese_pdf(path: Path, rows: list[list[str]], lines: list[str]) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table as PdfTable, TableStyle
    from reportlab.lib.styles import ParagraphStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16)
    table = PdfTable(rows)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                               ("GRID", (0, 0), (-1, -1), 0.8, colors.black)]))
    story = [Paragraph(line, style) for line in lines] + [table]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def test_pdf_text_ruled_table_and_pages(tmp_path: Path):
    path = tmp_path / "分工.pdf"
    rows = [["序号", "重点任务", "牵头单位"], ["1", "危险化学品安全治理", "省应急管理厅"], ["2", "道路运输安全", "省交通运输厅"]]
    _chinese_pdf(path, rows, ["一、主要任务", "各部门要按照职责分工抓好落实。"])
    raw = read_file(path)
    assert "各部门要按照职责分工抓好落实。" in _lines(raw)
    [table] = _tables(raw)
    assert table.rows == rows
    assert table.page == 1
    assert all(item.page == 1 for item in raw.items if isinstance(item, Line))


def test_html_chrome_removed(tmp_path: Path):
    path = tmp_path / "notice.html"
    path.write_text(
        "<html><head><title>x</title><script>var a=1;</script></head><body>"
        "<div>首页->规划科技</div><h1>关于加强燃气安全的通知</h1>"
        "<p>餐饮场所使用燃气应当安装可燃气体报警装置。</p>"
        "<table><tr><th>任务</th><th>牵头单位</th></tr><tr><td>燃气整治</td><td>市住房城乡建设局</td></tr></table>"
        "<div>【关闭窗口】</div><div>【打印】</div></body></html>", encoding="utf-8")
    raw = read_file(path)
    assert _lines(raw) == ["关于加强燃气安全的通知", "餐饮场所使用燃气应当安装可燃气体报警装置。"]
    assert _tables(raw)[0].rows == [["任务", "牵头单位"], ["燃气整治", "市住房城乡建设局"]]


def test_bad_files_raise_clear_errors(tmp_path: Path):
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01\x02")
    unknown = tmp_path / "table.xyz"
    unknown.write_text("内容", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    bad_docx = tmp_path / "fake.docx"
    bad_docx.write_text("not a zip", encoding="utf-8")
    for path, expected in [(corrupt, "PDF"), (unknown, "不支持的文件格式"), (empty, "文件为空"), (bad_docx, "docx")]:
        with pytest.raises(IngestError, match=expected):
            read_file(path)
