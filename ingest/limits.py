"""What one file may expand to when it is read, and how long reading it may take.

A few kilobytes of xlsx can name cell XFD1048576 (17 billion cells when read as a grid), a
docx or a PDF stream can inflate a thousandfold: each is refused with a Chinese error before
it is expanded, and a file whose reading runs past its time is stopped between steps.

>>> check_grid("表.xlsx", rows=1_048_576, columns=16_384)
Traceback (most recent call last):
...
regkb.ingest.readers.IngestError: 表.xlsx:表格太大(1048576 行 × 16384 列),上限 100000 行、1000 列、共 1000000 个单元格;请删去多余的空行空列后再导入
"""

from __future__ import annotations

import io
import re
import time
import zipfile
import zlib
from contextlib import contextmanager
from contextvars import ContextVar

MAX_UNPACKED_BYTES = 100 << 20  # a file's content once unzipped or inflated
MAX_ROWS = 100_000
MAX_COLUMNS = 1_000
MAX_CELLS = 1_000_000  # a sheet's grid, and a docx's table cells in all
MAX_PARSE_SECONDS = 120.0  # per file
_INFLATE_INPUT = 16 << 10  # deflate gives at most ~1,000 times its input: ≤ 16 MB out per piece
# a PDF stream's data, found without parsing the file: only to bound what inflating it yields
_PDF_STREAM = re.compile(rb"stream\r?\n")

# an xlsx sheet's cells and merged ranges, read from its XML before openpyxl expands them (it
# makes one object per cell of a merged range: A1:XFD1048576 in 200 bytes is 17 billion)
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_MERGED = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?\bref=\"([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})\"")

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("regkb_parse_deadline", default=None)


def _error(message: str) -> Exception:
    from regkb.ingest.readers import IngestError  # readers imports this module

    return IngestError(message)


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.0f} MB"


def check_zip(name: str, data: bytes) -> None:
    """A zip (docx, xlsx) whose members add up to more than the cap is refused unopened. The
    sizes are the archive's own claims; Python's zip reader never yields more than a member claims."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable zip: the format's reader says so in its own words
    if unpacked > MAX_UNPACKED_BYTES:
        raise _error(f"{name}:解压后内容太大({_megabytes(unpacked)}),上限 {_megabytes(MAX_UNPACKED_BYTES)};"
                     "文件可能是压缩炸弹,或请拆分后再导入")


def check_pdf_streams(name: str, data: bytes) -> None:
    """The compressed streams of a PDF, inflated piece by piece and counted, never held: more
    than the cap in all is refused before the PDF reader inflates each one whole."""
    view, position, unpacked = memoryview(data), 0, 0
    while unpacked <= MAX_UNPACKED_BYTES and (start := _PDF_STREAM.search(data, position)):
        end = data.find(b"endstream", start.end())
        end = len(data) if end < 0 else end
        inflater = zlib.decompressobj()
        try:
            for at in range(start.end(), end, _INFLATE_INPUT):
                unpacked += len(inflater.decompress(view[at:min(end, at + _INFLATE_INPUT)]))
                if inflater.eof or unpacked > MAX_UNPACKED_BYTES:
                    break
        except zlib.error:
            pass  # not deflate data: the PDF reader decides what it is
        position = end + len(b"endstream")
    if unpacked > MAX_UNPACKED_BYTES:
        raise _error(f"{name}:PDF 解压后内容太大(超过 {_megabytes(MAX_UNPACKED_BYTES)});"
                     "文件可能是压缩炸弹,或请拆分后再导入")


def check_xlsx(name: str, data: bytes) -> None:
    """An xlsx within the caps in unzipped size, in each sheet's grid and cells, and in the
    cells its merged ranges cover, checked on the XML before the workbook is loaded."""
    check_zip(name, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = [archive.read(member) for member in archive.namelist() if _SHEET.fullmatch(member)]
    except (zipfile.BadZipFile, ValueError, OSError, KeyError):
        return  # openpyxl says what is wrong with it
    for xml in sheets:
        check_cells(name, len(_CELL.findall(xml)))
        rows = columns = 0
        for column, row in _CELL_REF.findall(xml):
            rows, columns = max(rows, int(row)), max(columns, _column_number(column))
        check_grid(name, rows, columns)
        check_cells(name, sum((int(r2) - int(r1) + 1) * (_column_number(c2) - _column_number(c1) + 1)
                              for c1, r1, c2, r2 in _MERGED.findall(xml)))


def _column_number(letters: bytes) -> int:
    """b"A" → 1, b"XFD" → 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_grid(name: str, rows: int, columns: int) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise _error(f"{name}:表格太大({rows} 行 × {columns} 列),上限 {MAX_ROWS} 行、{MAX_COLUMNS} 列、"
                     f"共 {MAX_CELLS} 个单元格;请删去多余的空行空列后再导入")


def check_cells(name: str, cells: int) -> None:
    if cells > MAX_CELLS:
        raise _error(f"{name}:表格单元格太多({cells} 个),上限 {MAX_CELLS} 个;请拆分后再导入")


@contextmanager
def parse_deadline(seconds: float = MAX_PARSE_SECONDS):
    """Reading a file inside this block may take ``seconds``; ``check_time`` enforces it."""
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_time(name: str) -> None:
    """Called between the steps of reading a file (a page, a row, a stage of the pipeline)."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline[0]:
        raise _error(f"{name}:解析超时(上限 {deadline[1]:g} 秒),已停止;文件可能过大或结构异常,请拆分后再导入")
