"""Readers: a file on disk → its text lines and tables, in reading order.

Each reader knows one format and nothing about structure; cleaning and structure
recognition work on what they return, whatever the format was.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "安全生产法(2021-06-10).md"
>>> _ = path.write_text("# 中华人民共和国安全生产法\\n\\n第一条 为了加强安全生产工作……\\n", encoding="utf-8")
>>> raw = read_file(path)
>>> raw.source, raw.items[0]
('安全生产法(2021-06-10).md', Line(text='# 中华人民共和国安全生产法', page=None))
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from regkb.corpus.models import Table
from regkb.ingest.limits import (MAX_UNPACKED_BYTES, check_cells, check_grid, check_pdf_streams, check_time,
                                 check_xlsx, check_zip)

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".xlsx", ".pdf", ".html", ".htm")


class IngestError(Exception):
    """A file that cannot be ingested; the message is for the user, in Chinese."""


@dataclass
class Line:
    text: str
    page: int | None = None


@dataclass
class RawDocument:
    source: str
    content_hash: str
    items: list[Line | Table] = field(default_factory=list)


def content_hash_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(data: bytes, source: str) -> str:
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(f"{source}:无法识别文本编码(支持 UTF-8、UTF-8-BOM、GB18030)")


def _split_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("\t")]


def lines_and_tables(text: str) -> list[Line | Table]:
    """Split plain text into lines and tab-separated tables.

    Two table shapes occur in exported text: one row per line with cells joined by tabs
    (``序号\\t任务\\t牵头单位``), and the docx-export shape where every cell starts its own
    line with a tab, a cell's further lines follow without one, a blank line ends a row
    and two blank lines end the table.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    items: list[Line | Table] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("\t") and line.strip():
            rows, i = _read_cell_per_line_table(lines, i)
            items.append(Table(rows=rows))
            continue
        cells = _split_cells(line)
        if line.strip() and len([c for c in cells if c]) >= 2 and "\t" in line.strip():
            rows = []
            while i < len(lines) and "\t" in lines[i].strip():
                rows.append(_split_cells(lines[i].strip()))
                i += 1
            items.append(Table(rows=rows))
            continue
        items.append(Line(line))
        i += 1
    return items


def _read_cell_per_line_table(lines: list[str], i: int) -> tuple[list[list[str]], int]:
    rows: list[list[str]] = []
    row: list[str] = []
    blank_run = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank_run += 1
            if row:
                rows.append(row)
                row = []
            if blank_run >= 2 and i + 1 < len(lines) and not lines[i + 1].startswith("\t"):
                break
            i += 1
            continue
        if line.startswith("\t"):
            row.append(line.strip())
        elif row:
            row[-1] += "\n" + line.strip()
        else:
            break  # a plain line after a row break: the table has ended
        blank_run = 0
        i += 1
    if row:
        rows.append(row)
    return rows, i


def read_text_file(path: Path, data: bytes) -> list[Line | Table]:
    text = decode_text(data, path.name)
    if "\x00" in text:
        raise IngestError(f"{path.name}:文件含有二进制内容,不是文本文件")
    return lines_and_tables(text)


def read_docx(path: Path, data: bytes) -> list[Line | Table]:
    import io
    import zipfile

    from docx import Document as DocxDocument
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    check_zip(path.name, data)
    try:
        doc = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(f"{path.name}:无法读取 docx 文件(文件损坏或不是 docx):{exc}") from exc
    items: list[Line | Table] = []
    cells = 0
    for block in doc.element.body.iterchildren():
        check_time(path.name)
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            items.append(Line(Paragraph(block, doc).text))
        elif tag == "tbl":
            # a merged cell is repeated once per grid column it spans: count before expanding
            cells += sum(int(span) if span.isdigit() else 1 for span in block.xpath(".//w:tc/w:tcPr/w:gridSpan/@w:val"))
            cells += len(block.xpath(".//w:tc[not(w:tcPr/w:gridSpan)]"))
            check_cells(path.name, cells)
            table = DocxTable(block, doc)
            rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
            items.append(Table(rows=rows))
    return items


_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d{1,4})\s*$")


def read_pdf(path: Path, data: bytes) -> list[Line | Table]:
    import io

    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    check_pdf_streams(path.name, data)
    items: list[Line | Table] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page_number, page in enumerate(pdf.pages, start=1):
                check_time(path.name)
                tables = page.find_tables()
                outside = page
                for table in tables:
                    outside = outside.outside_bbox(table.bbox)
                    items.append(Table(rows=_fill_vertical_merges(table.extract()), page=page_number))
                for text_line in (outside.extract_text() or "").split("\n"):
                    if not _PAGE_NUMBER.match(text_line):
                        items.append(Line(text_line, page=page_number))
    except (PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"{path.name}:无法读取 PDF 文件(文件损坏或已加密):{exc}") from exc
    except Exception as exc:  # pdfminer raises a zoo of its own types on broken files
        if type(exc).__module__.startswith(("pdfminer", "pdfplumber")):
            raise IngestError(f"{path.name}:无法读取 PDF 文件(文件损坏或已加密):{exc}") from exc
        raise
    if not any(isinstance(item, Table) or item.text.strip() for item in items):
        raise IngestError(f"{path.name}:PDF 中没有可提取的文字(可能是扫描件,需要先做 OCR)")
    return items


def _fill_vertical_merges(raw: list[list[str | None]]) -> list[list[str]]:
    """pdfplumber gives None for a cell covered by a merge: repeat the cell above, unless the
    row is a heading spanning the table (only its first cell is set)."""
    rows: list[list[str]] = []
    for raw_row in raw:
        row = []
        for column, cell in enumerate(raw_row):
            covered = cell is None and rows and column < len(rows[-1]) and any(c is not None for c in raw_row[1:])
            row.append(rows[-1][column] if covered else (cell or "").strip())
        rows.append(row)
    return rows


def read_xlsx(path: Path, data: bytes) -> list[Line | Table]:
    """Each non-empty sheet is a table; a merged range repeats its top-left value in every cell."""
    import io
    import zipfile

    import openpyxl

    check_xlsx(path.name, data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"{path.name}:无法读取 xlsx 文件(文件损坏或不是 xlsx):{exc}") from exc
    items: list[Line | Table] = []
    for sheet in workbook.worksheets:
        check_time(path.name)
        grid = [["" if value is None else str(value).strip() for value in row] for row in sheet_rows(sheet, path.name)]
        for merged in sheet.merged_cells.ranges:
            top = sheet.cell(merged.min_row, merged.min_col).value
            for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(grid[r]))):
                    grid[r][c] = "" if top is None else str(top).strip()
        rows = [row for row in grid if any(row)]
        if rows:
            items.append(Table(rows=rows))
    return items


def sheet_rows(sheet, name: str) -> list[tuple]:
    """A worksheet's values row by row, once its grid (A1 to its farthest cell) is known to fit
    the caps: one cell at XFD1048576 makes a grid of 17 billion cells."""
    check_grid(name, sheet.max_row, sheet.max_column)
    return list(sheet.iter_rows(values_only=True))


def _span(cell, name: str) -> int:
    value = str(cell.get(name, "1")).strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _html_grid(table, name: str) -> list[list[str]]:
    """The table's cells on their grid: a cell merged over rows or columns (rowspan,
    colspan) repeats its text in every position it covers, as the xlsx reader does, so
    each column keeps its own role (a 牵头单位 cell spanning two tasks stays 牵头)."""
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, column) -> text of a cell from above
    covered = 0  # grid positions filled so far
    for r, tr in enumerate(table.find_all("tr")):
        row: list[str] = []
        cells = iter(tr.find_all(["td", "th"]))
        column = 0
        while True:
            if (r, column) in pending:
                row.append(pending.pop((r, column)))
                column += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            text = "\n".join(s.strip() for s in cell.get_text("\n").split("\n") if s.strip())
            columns, rows = _span(cell, "colspan"), _span(cell, "rowspan")
            covered += columns * rows
            check_cells(name, covered)  # before a colspan of 10⁸ is spelled out
            for c in range(column, column + columns):
                row.append(text)
                for below in range(r + 1, r + rows):
                    pending[(below, c)] = text
            column += columns
        grid.append(row)
    return grid


_HTML_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "tr", "pre", "section", "article")


def read_html(path: Path, data: bytes) -> list[Line | Table]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data, path.name), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "iframe", "form"]):
        tag.decompose()
    items: list[Line | Table] = []
    body = soup.body or soup
    for table in body.find_all("table"):
        rows = _html_grid(table, path.name)
        placeholder = soup.new_tag("p")
        placeholder.string = f"\x00table{len(items)}"
        items.append(Table(rows=[row for row in rows if any(row)]))
        table.replace_with(placeholder)
    tables = items
    result: list[Line | Table] = []
    for line in _text_with_breaks(body).split("\n"):
        if line.startswith("\x00table"):
            result.append(tables[int(line[len("\x00table"):])])
        else:
            result.append(Line(line))
    return result


def _text_with_breaks(root) -> str:
    """The text under ``root`` with a line break after each block element, in one pass (an
    ``insert_after`` per block walks the tree again each time: quadratic in a deep page)."""
    from bs4 import CData, NavigableString, Tag

    parts: list[str] = []
    stack: list[tuple[object, bool]] = [(child, False) for child in reversed(root.contents)]
    while stack:
        node, closed = stack.pop()
        if closed:
            parts.append("\n")
        elif isinstance(node, Tag):
            if node.name in _HTML_BLOCKS:
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes, declarations
            parts.append(str(node))
    return "".join(parts)


_READERS = {
    ".txt": read_text_file,
    ".md": read_text_file,
    ".docx": read_docx,
    ".xlsx": read_xlsx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
}


def read_file(path: Path) -> RawDocument:
    """Read one file; raises IngestError with a Chinese message for anything unreadable."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise IngestError(f"{path.name}:不支持的文件格式 {suffix or '(无扩展名)'},支持 {'、'.join(SUPPORTED_SUFFIXES)}")
    try:
        if path.stat().st_size > MAX_UNPACKED_BYTES:
            raise IngestError(f"{path.name}:文件太大({path.stat().st_size >> 20} MB),上限 {MAX_UNPACKED_BYTES >> 20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}:无法读取文件:{exc.strerror}") from exc
    if not data.strip():
        raise IngestError(f"{path.name}:文件为空")
    items = reader(path, data)
    if not any(isinstance(item, Table) or item.text.strip() for item in items):
        raise IngestError(f"{path.name}:文件中没有文字内容")
    return RawDocument(source=path.name, content_hash=content_hash_of(data), items=items)
