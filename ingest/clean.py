"""Cleaning: remove export noise and rejoin lines broken inside a sentence.

Noise seen in real exports: docx bookmarks (``[bookmark: _Toc…]``), web-page chrome
(``首页->规划科技``, ``【关闭窗口】``, ``【打印】``), a table of contents repeating the
headings, spaces between Chinese characters, and paragraphs broken mid-sentence
(sometimes with a blank line inside the break).

>>> [l.text for l in clean_items([Line("[bookmark: _Toc1]一、总则"), Line("【关闭窗口】")])]
['一、总则']
"""

from __future__ import annotations

import re

from regkb.corpus.departments import spaced_names_apart
from regkb.corpus.models import Table
from regkb.ingest.headings import is_heading_line, match_standard_heading
from regkb.ingest.readers import Line

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_CHROME_LINE = re.compile(
    r"^(.{0,12}首页\s*(->|>|»|＞|/).*|.{0,4}当前(?:的)?位置[:：].*|【[^】]{1,12}】(\s*【[^】]{1,12}】)*|"
    r"(发布时间|发布日期|信息来源|来源|作者|浏览次数|点击数|访问量|阅读次数|阅读|字号|字体|时间)[:：].{0,80}|分享到[:：]?.*|打印本页|关闭窗口|"
    r"上一篇[:：].*|下一篇[:：].*|扫一扫.*|.*版权所有.*|.*ICP备.*|.*(?:无障碍|长者模式|适老化)(?:浏览|阅读|服务)?\s*[|｜].*)$"
)
_TOC_MARKER = re.compile(r"^目\s*录$")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}“”《》（）()、，。：；])[ \u3000\t]+(?=[{_CJK}“”《》（）()、，。：；])")
_SENTENCE_END = re.compile(r"[。！？；;：:!?）)”」》…]$|^\s*$")

# Lines shorter than this are titles, signatures or dates, not a broken paragraph; a break
# across a blank line must be longer still (a wrapped paragraph, not a title).
_MIN_BROKEN_LINE = 28
_MIN_BROKEN_ACROSS_BLANK = 60
# A line that must stay whole: a notice's title (关于印发…的通知) or what follows a title
# (a document number, a date line, a plan's period), which a rejoin would otherwise glue to it.
_WHOLE_TITLE = re.compile(r"^关于.{2,80}(?:通知|通报|决定|意见|批复|函)$")
_NUMBER_OR_DATE = re.compile(r"^(?:[\u4e00-\u9fa5]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号|\d{4}年\d{1,2}月\d{1,2}日"
                             r"|[(（]\d{4}\s*[—\-–－~至]\s*\d{4}年?[)）])$")
_LABEL = re.compile(r"^#*\s*第[一二三四五六七八九十百千零〇]+[条章节编](?:之[一二三四五六七八九十]+)? ")
_MULTI_SPACE = re.compile(r"[ \t]{2,}")


def normalise_spaces(text: str) -> str:
    text = _BOOKMARK.sub("", text).replace("\u00a0", " ").replace("\u3000", " ").strip()
    # keep the space after an article or chapter label: "第二十一条 生产经营单位…"
    label = _LABEL.match(text)
    head, rest = (label.group(0), text[label.end():]) if label else ("", text)
    return head + _MULTI_SPACE.sub(" ", _SPACE_BETWEEN_CJK.sub("", rest)).strip()


def is_chrome(text: str) -> bool:
    return bool(_CHROME_LINE.match(text))


def _drop_table_of_contents(lines: list[Line]) -> list[Line]:
    """Drop a 目录 block: the heading lines after the marker that appear again later."""
    for start, line in enumerate(lines):
        if not _TOC_MARKER.match(line.text):
            continue
        end = start + 1
        while end < len(lines) and (not lines[end].text or is_heading_line(lines[end].text)):
            end += 1
        entries = [l.text for l in lines[start + 1 : end] if l.text]
        # A real TOC's entries reappear as headings in the body.
        body = [l.text for l in lines[end:]]
        if entries and sum(1 for e in entries if e in body) >= max(1, len(entries) // 2):
            return lines[:start] + lines[end:]
    return lines


def _open_bracket(text: str) -> bool:
    return sum(text.count(c) for c in "(（") > sum(text.count(c) for c in ")）")


def _rejoin_broken_lines(lines: list[Line]) -> list[Line]:
    """Join a line that stops mid-sentence with the next non-empty line, across blanks."""
    out: list[Line] = []
    pending_blank = False
    for line in lines:
        if not line.text:
            pending_blank = True
            continue
        previous = out[-1] if out else None
        if previous is not None and not pending_blank and _open_bracket(previous.text) and not is_heading_line(line.text):
            # a line that stops inside a parenthesis (a pdf wrapping "…建设。（市应急局、市消防救援"):
            # its rest follows, even when the line itself looks like a numbered heading
            previous.text += line.text
        elif (
            previous is not None
            and len(previous.text) >= (_MIN_BROKEN_ACROSS_BLANK if pending_blank else _MIN_BROKEN_LINE)
            and not _SENTENCE_END.search(previous.text)
            and not is_heading_line(previous.text)
            and not is_heading_line(line.text)
            and not line.text.startswith(("#", "<!--"))
            and not _WHOLE_TITLE.match(previous.text)
            and not _NUMBER_OR_DATE.match(line.text)
            and re.search(f"[{_CJK}]", previous.text)  # an English title line is whole
            and match_standard_heading(line.text) is None  # a standard's 3 术语和定义, 4.1.2, 附录A
        ):
            previous.text += line.text
        else:
            if pending_blank and out:
                out.append(Line("", line.page))
            out.append(line)
        pending_blank = False
    return out


def clean_items(items: list[Line | Table]) -> list[Line | Table]:
    """Clean the text lines; tables pass through with their cells normalised."""
    cleaned: list[Line | Table] = []
    run: list[Line] = []

    def flush() -> None:
        if run:
            cleaned.extend(_rejoin_broken_lines(_drop_table_of_contents(run)))
            run.clear()

    for item in items:
        if isinstance(item, Table):
            flush()
            rows = [[normalise_spaces(spaced_names_apart(cell)) for cell in row] for row in item.rows]
            rows = [row for row in rows if any(row)]
            if rows:
                cleaned.append(item.model_copy(update={"rows": rows}))
            continue
        text = normalise_spaces(item.text)
        if is_chrome(text):
            continue
        run.append(Line(text, item.page))
    flush()
    return cleaned
