"""Structure recognition: cleaned lines and tables → a section tree and body blocks.

Every block carries the headings above it (``section_path``); a law's article label
travels with its 款 and 项; a table row carries its header so it reads on its own.

>>> sections, blocks, tables = parse_structure([Line("一、总体要求"), Line("（一）指导思想。以……为指导。")])
>>> blocks[0].section_path, blocks[0].text
(['一、总体要求', '（一）指导思想'], '以……为指导。')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regkb.corpus.models import Block, Section, Table
from regkb.ingest.headings import (ANNEX_KIND, ARTICLE, HeadingMatch, looks_like_law, match_heading,
                                   match_standard_heading)
from regkb.ingest.duty_tables import table_header
from regkb.ingest.readers import Line

_LAW_ITEM = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
_CAPTION_MAX = 40


@dataclass
class _Open:
    rank: int
    seq: int
    heading: str
    has_content: bool = False


class _Builder:
    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.blocks: list[Block] = []
        self.stack: list[_Open] = []
        self.article: str | None = None

    @property
    def path(self) -> list[str]:
        return [s.heading for s in self.stack]

    def _close(self, opened: _Open) -> None:
        # A numbered heading with nothing under it is itself content (a one-line task).
        if not opened.has_content and self.sections[opened.seq].kind in ("item", "subitem", "clause"):
            path = self.path
            self.blocks.append(Block(text=opened.heading, section_path=path[:-1], kind="paragraph"))

    def open_heading(self, match: HeadingMatch, page: int | None) -> None:
        while self.stack and self.stack[-1].rank >= match.rank:
            self._close(self.stack[-1])
            self.stack.pop()
        parent = self.stack[-1].seq if self.stack else None
        seq = len(self.sections)
        heading = match.heading
        self.sections.append(Section(seq=seq, heading=heading, kind=match.kind, depth=len(self.stack),
                                     path=self.path + [heading], parent_seq=parent))
        self.stack.append(_Open(match.rank, seq, heading))
        self.article = None
        if match.body:
            self.add(match.body, "paragraph", page)

    def add(self, text: str, kind: str, page: int | None, **extra) -> None:
        for opened in self.stack:
            opened.has_content = True
        self.blocks.append(Block(text=text, kind=kind, section_path=self.path, article=self.article,
                                 page=page, **extra))

    def finish(self) -> None:
        while self.stack:
            self._close(self.stack[-1])
            self.stack.pop()


def _row_text(header: list[str], row: list[str]) -> str:
    pairs = []
    for name, cell in zip(header, row):
        cell = cell.replace("\n", "")
        if cell:
            pairs.append(f"{name}:{cell}" if name else cell)
    return ";".join(pairs)


def _add_table(builder: _Builder, table: Table, caption: str | None) -> None:
    rows = table.rows
    width = max(len(row) for row in rows)
    if width == 1:
        # A one-column table is a box (专栏): first row its title, the rest its lines.
        title = rows[0][0].replace("\n", " ")
        path = builder.path + [title]
        for row in rows[1:]:
            for line in row[0].split("\n"):
                if line.strip():
                    builder.add(line.strip(), "paragraph", table.page)
                    builder.blocks[-1].section_path = path
        return
    header, body = table_header(rows)
    # a title row merged across the table, above its header, names the table
    spanning = [row[0].replace("\n", "") for row in rows[:body] if len({c for c in row if c}) == 1 and row[0]]
    caption = caption or (spanning[0] if spanning and spanning[0] not in header else None)
    path = builder.path + ([caption] if caption else [])
    for row in rows[body:]:
        cells = row + [""] * (len(header) - len(row))
        builder.add(_row_text(header, cells), "table_row", table.page, cells=cells, header=header)
        builder.blocks[-1].section_path = path


def _standard_title(items: list, index: int, heading: HeadingMatch, skip: set[int]) -> None:
    """A bare ``3.1`` or ``附录A`` takes its title from the short line(s) below it (a term,
    the annex's name), past an annex's ``（规范性）`` line."""
    if heading.title or heading.body or heading.label in ("前言", "引言"):
        return
    for ahead in range(index + 1, min(index + 4, len(items))):
        item = items[ahead]
        if not isinstance(item, Line) or not item.text.strip():
            continue
        text = item.text.strip()
        if ANNEX_KIND.match(text):
            skip.add(ahead)
            continue
        if len(text) <= _CAPTION_MAX and not text.endswith("。") and match_standard_heading(text) is None:
            heading.title = text
            skip.add(ahead)
        return


def parse_structure(items: list[Line | Table], standard: bool = False,
                    citation: str | None = None) -> tuple[list[Section], list[Block], list[Table]]:
    """Sections, body blocks and tables (with their section path) in reading order.

    ``standard``: read clauses (``4.1.2``) and annexes as the section tree, and give every
    block the clause it belongs to as its ``article``, prefixed with ``citation`` (the
    standard's number), so that it is cited as ``GB 30871—2022 4.1.2``.
    """
    law_style = not standard and looks_like_law([item.text for item in items if isinstance(item, Line)])
    builder = _Builder()
    tables: list[Table] = []
    skip: set[int] = set()
    for index, item in enumerate(items):
        if index in skip:
            continue
        if isinstance(item, Table):
            previous = builder.blocks[-1] if builder.blocks else None
            caption = None
            if (previous is not None and previous.kind == "paragraph" and len(previous.text) <= _CAPTION_MAX
                    and not previous.text.endswith("。") and isinstance(items[index - 1], Line)):
                caption = builder.blocks.pop().text
            tables.append(item.model_copy(update={"section_path": builder.path + ([caption] if caption else [])}))
            _add_table(builder, item, caption)
            continue
        text = item.text.strip()
        if not text:
            continue
        heading = match_standard_heading(text) if standard else match_heading(text, law_style)
        if heading:
            if standard:
                _standard_title(items, index, heading, skip)
                body, heading.body = heading.body, ""
                builder.open_heading(heading, item.page)
                if heading.label not in ("前言", "引言"):
                    builder.article = f"{citation} {heading.label}" if citation else heading.label
                if body:
                    builder.add(body, "paragraph", item.page)
            else:
                builder.open_heading(heading, item.page)
            continue
        text = text.lstrip("#").strip()
        if law_style:
            article = ARTICLE.match(text)
            if article:
                builder.article = article.group(1)
                builder.add(text, "article", item.page)
            elif builder.article:
                builder.add(text, "item" if _LAW_ITEM.match(text) else "article", item.page)
            else:
                builder.add(text, "paragraph", item.page)
        else:
            builder.add(text, "paragraph", item.page)
    builder.finish()
    return builder.sections, builder.blocks, tables
