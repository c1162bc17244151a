"""Hostile files made on the spot: decompression bombs, oversized grids and cut-off files of
each accepted format. Each is a few kilobytes or megabytes on disk and would expand to
gigabytes or billions of cells if read naively."""

from __future__ import annotations

import io
import zipfile
import zlib

import openpyxl
from docx import Document as DocxDocument

BOMB_BYTES = 120 << 20  # past the 100 MB cap on what a file may unpack to


def workbook_bytes(**cells: str) -> bytes:
    book = openpyxl.Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezipped(data: bytes, replace: dict[str, bytes | None] = {}, insert: tuple[str, bytes, bytes] | None = None,
              stream: tuple[str, bytes, int] | None = None) -> bytes:
    """A zip with members replaced; ``insert``: (member, before, text) puts text before a marker;
    ``stream``: (member, unit, size) writes ``unit`` repeated to about ``size`` bytes where the
    member's first ``<!--s-->`` marker stands (or as the whole member), never all in memory."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.namelist():
            if stream and member == stream[0]:
                continue
            content = replace.get(member, source.read(member))
            if insert and member == insert[0]:
                content = content.replace(insert[1], insert[2] + insert[1], 1)
            target.writestr(member, content)
        if stream:
            head, _, tail = replace.get(stream[0], b"<!--s-->").partition(b"<!--s-->")
            block = stream[1] * max(1, (1 << 20) // len(stream[1]))
            with target.open(stream[0], "w", force_zip64=True) as member:
                member.write(head)
                for _ in range(stream[2] // len(block)):
                    member.write(block)
                member.write(tail)
    return out.getvalue()


def xlsx_far_cell() -> bytes:
    """1.6 KB: A1 and XFD1048576, a grid of 17 billion cells."""
    return workbook_bytes(A1="序号", XFD1048576="x")


def xlsx_merged_bomb() -> bytes:
    """One merged range over the whole sheet: openpyxl makes an object per covered cell."""
    return _rezipped(workbook_bytes(A1="序号"), insert=(
        "xl/worksheets/sheet1.xml", b"<pageMargins", b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'))


def xlsx_shared_strings_bomb() -> bytes:
    """A shared-strings table of millions of empty entries, deflated to a few hundred KB."""
    return _rezipped(workbook_bytes(A1="序号"), stream=("xl/sharedStrings.xml", b"<si><t></t></si>", BOMB_BYTES))


def docx_bytes(paragraph: str = "第一条 为了加强安全生产工作,制定本规定。") -> bytes:
    document = DocxDocument()
    document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_inflating() -> bytes:
    """A docx whose body inflates past the cap: millions of empty paragraphs."""
    data = docx_bytes()
    body = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").replace(b"<w:body>", b"<w:body><!--s-->", 1)
    return _rezipped(data, replace={"word/document.xml": body}, stream=("word/document.xml", b"<w:p/>", BOMB_BYTES))


def docx_wide_cell() -> bytes:
    """One table cell spanning a hundred million grid columns."""
    document = DocxDocument()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "牵头单位"
    out = io.BytesIO()
    document.save(out)
    return _rezipped(out.getvalue(), insert=("word/document.xml", b"</w:tcPr>", b'<w:gridSpan w:val="100000000"/>'))


def pdf_with_stream(content: bytes) -> bytes:
    """A one-page PDF whose page content is ``content`` deflated (xref offsets computed)."""
    deflate = zlib.compressobj(9)
    stream = b"".join(deflate.compress(content[at:at + (1 << 20)]) for at in range(0, len(content), 1 << 20))
    stream += deflate.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_bomb() -> bytes:
    """A page content stream of zeros that inflates a thousandfold, past the cap."""
    return pdf_with_stream(b"\x00" * BOMB_BYTES)


def pdf_with_text(line: str) -> bytes:
    """A small real PDF with one line of Chinese text (reportlab's built-in CID font)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont("STSong-Light", 12)
    page.drawString(72, 720, line)
    page.save()
    return out.getvalue()
