"""Heading patterns of Chinese legal and policy documents, ranked by nesting depth.

Laws: ``第X编`` ⊃ ``第X章`` ⊃ ``第X节`` ⊃ ``第X条`` (an article; its 款 are paragraphs and
its 项 are ``（一）`` items). Plans and opinions: ``一、`` ⊃ ``（一）`` ⊃ ``1.`` ⊃ ``（1）``,
with ``专栏N`` boxes. Standards (``match_standard_heading``): ``1 范围`` ⊃ ``4.1`` ⊃ ``4.1.2``
clauses, a clause's text often on its own line (``4.1.2 作业前，应…``), and ``附录A`` annexes
with their ``A.1`` clauses.

>>> match_heading("（二）强化安全风险防控", law_style=False).rank
11
>>> match_heading("第二章 生产经营单位的安全生产保障", law_style=True).kind
'chapter'
>>> match_heading("第二十一条 生产经营单位的主要负责人…", law_style=True) is None  # articles: ARTICLE
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百千零〇两"
_CN = f"[{CN_NUM}]+"

ARTICLE = re.compile(rf"^(第{_CN}条(?:之{_CN})?)[\s　]*(.*)$")
_LAW_DIVISIONS = [
    ("part", 1, re.compile(rf"^(第{_CN}编)[\s　]*(.*)$")),
    ("chapter", 2, re.compile(rf"^(第{_CN}章)[\s　]*(.*)$")),
    ("section", 3, re.compile(rf"^(第{_CN}节)[\s　]*(.*)$")),
]
_PLAN_LEVELS = [
    ("part", 10, re.compile(rf"^({_CN}、)\s*(.*)$")),
    ("subpart", 11, re.compile(rf"^([(（]{_CN}[)）])\s*(.*)$")),
    ("item", 12, re.compile(r"^(\d{1,2}[.．、](?!\d))\s*(.*)$")),
    ("subitem", 13, re.compile(r"^([(（]\d{1,2}[)）])\s*(.*)$")),
]
COLUMN = re.compile(r"^(专栏\s*\d+)\s*(.*)$")
_CLAUSE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,4})(?!\d)\s+(\S.{0,40})$")

_STANDARD_CLAUSE = re.compile(r"^((?:\d{1,2}|[A-Z])(?:\.\d{1,2}){1,4}|\d{1,2})(?![.．\d])(?:\s+(\S.*))?$")
_ANNEX = re.compile(r"^附\s*录\s*([A-Z])(?:\s*[(（](?:规范性|资料性)(?:附录)?[)）])?\s*(.*)$")
ANNEX_KIND = re.compile(r"^[(（](?:规范性|资料性)(?:附录)?[)）]$")
_STANDARD_FRONT = ("前言", "引言")

# A numbered line is a heading when its title is at most this long; longer ones are
# numbered paragraphs (a task with its text, a 项 of an article).
MAX_HEADING_TITLE = 32
# a role parenthesis, which may hold one level of brackets: (…，各县（市、区）人民政府负责)
_INNER = r"(?:[^()（）]|[(（][^()（）]*[)）])*"
_TASK_PARENTHESIS = re.compile(rf"[(（]{_INNER}(牵头|负责|配合){_INNER}[)）]")


@dataclass
class HeadingMatch:
    kind: str  # part, chapter, section, subpart, item, subitem, column, clause
    rank: int  # smaller is higher in the tree
    label: str  # 第一章, 一、, （二）, 1., 专栏3, 4.1.2
    title: str  # the heading's own words
    body: str = ""  # text that followed the heading's lead sentence on the same line

    @property
    def heading(self) -> str:
        return f"{self.label}{self.title}" if self.kind in ("part", "subpart", "item", "subitem") \
            else f"{self.label} {self.title}".strip()


def _split_lead_sentence(rest: str) -> tuple[str, str]:
    """``安全生产形势持续稳定。“十三五”时期…`` → (title, body)."""
    for mark in ("。", "．"):
        position = rest.find(mark)
        if 0 < position <= MAX_HEADING_TITLE:
            return rest[:position], rest[position + 1 :].strip()
    return rest, ""


def match_heading(text: str, law_style: bool) -> HeadingMatch | None:
    """The heading at the start of ``text``, or None for body text (and for articles)."""
    text = text.lstrip("#").strip()
    if law_style:
        for kind, rank, pattern in _LAW_DIVISIONS:
            m = pattern.match(text)
            if m and len(m.group(2)) <= MAX_HEADING_TITLE:
                return HeadingMatch(kind, rank, m.group(1), m.group(2).strip())
        # inside a law, （一） and 1. are items of an article, not headings
        return None
    m = COLUMN.match(text)
    if m:
        return HeadingMatch("column", 14, m.group(1).replace(" ", ""), m.group(2).strip())
    for kind, rank, pattern in _PLAN_LEVELS:
        m = pattern.match(text)
        if not m:
            continue
        rest = m.group(2).strip()
        if not rest or _TASK_PARENTHESIS.search(rest):
            return None
        title, body = _split_lead_sentence(rest)
        if len(title) > MAX_HEADING_TITLE or title.endswith(("；", ";", "，", ",")):
            return None
        return HeadingMatch(kind, rank, m.group(1), title.rstrip("。.．"), body)
    m = _CLAUSE.match(text)
    if m:
        return HeadingMatch("clause", 20 + m.group(1).count("."), m.group(1), m.group(2).strip())
    return None


def match_standard_heading(text: str) -> HeadingMatch | None:
    """A standard's clause (``4.1.2``, rank 20 + its dots), annex (``附录A``, rank 19, above
    every clause) or 前言; a clause's own text after its number becomes the body."""
    text = text.lstrip("#").strip()
    compact = text.replace(" ", "")
    if compact in _STANDARD_FRONT:
        return HeadingMatch("clause", 20, compact, "")
    m = _ANNEX.match(text)
    if m:
        return HeadingMatch("annex", 19, f"附录{m.group(1)}", m.group(2).strip())
    m = _STANDARD_CLAUSE.match(text)
    if not m:
        return None
    number, rest = m.group(1), (m.group(2) or "").strip()
    top = "." not in number
    if top and (not rest or len(rest) > MAX_HEADING_TITLE or rest.endswith("。")):
        return None  # "3 …" with a sentence, or a lone number (a page number), is body text
    if len(rest) > MAX_HEADING_TITLE or rest.endswith(("。", "：", ":", "；")) or "，" in rest:
        return HeadingMatch("clause", 20 + number.count("."), number, "", rest)
    return HeadingMatch("clause", 20 + number.count("."), number, rest)


def is_heading_line(text: str) -> bool:
    """True for anything that starts a new unit: a heading of either style or an article."""
    text = text.lstrip("#").strip()
    return bool(
        ARTICLE.match(text)
        or match_heading(text, law_style=True)
        or any(p.match(text) for _, _, p in _PLAN_LEVELS)
        or COLUMN.match(text)
    )


def looks_like_law(lines: list[str]) -> bool:
    return sum(1 for line in lines if ARTICLE.match(line.lstrip("#").strip())) >= 3
