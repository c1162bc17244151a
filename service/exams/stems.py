"""A bank's stem and options read as text, before any article is looked up: the lead-in that
names a law (根据《安全生产法》规定，), a 判断's closing （ ）, a page number copied from a book, what
kind of answer the stem asks for (不属于…, 说法正确的是…, …包括（ ）), and the options as the blanks
take them (one piece per blank, without the unit the stem already has beside its blank).

>>> fitted("应当提前（ ）小时书面通知", "24 小时")
'24'
>>> head_last("消防工作的方针（ ）。")
'消防工作（ ）的方针。'
>>> asked_blank("职业健康检查费用由谁承担？")
'职业健康检查费用由（ ）承担。'
"""

from __future__ import annotations

import re

from regkb.corpus.numerals import NUMERAL_CHARS, numeral_value
from regkb.service.exams.text import SLOT_RE

_ARTICLE = r"(?:第[一二三四五六七八九十百零〇]+条)?"
# "根据《安全生产法》，" "依据《安全生产法》第二十条的规定，" "《消防法》规定：" "《工伤保险条例》中规定，": a
# lead-in naming the law
PREFIX_RE = re.compile(rf"^(?:(?:根据|依据|按照)《[^》]+》{_ARTICLE}中?(?:的)?(?:规定|要求)?|《[^》]+》{_ARTICLE}中?(?:的)?(?:规定|要求))[，,：:]?")
CITED_LAW_RE = re.compile(r"《([^》]+)》")
# "《危险化学品安全管理条例》（中华人民共和国国务院令第591号）", "《安全生产法》（2021年修正）": the decree or
# edition a bank writes after a law's title names the text, it is no figure of the rule the stem states
EDITION_RE = re.compile(r"(?<=》)\s*[（(](?:[^（）()]{0,20}令\s*)?第?\s*\d+\s*号\s*[）)]"
                        r"|(?<=》)\s*[（(]\s*\d{4}\s*年[^（）()]{0,12}[）)]")
# "…产品合格证。（ ）": the bracket a 判断 stem ends with, where the trainee writes √ or ×
JUDGE_MARK_RE = re.compile(r"(?<=[。.！!？?])\s*[(（]\s*[)）]\s*$")
# "应当提供建- 154 -设工程有关…": a page number a bank copied from a printed book into the stem
PAGE_MARK_RE = re.compile(r"\s*-\s+\d{1,4}\s+-\s*")
NEGATIVE_STEM_RE = re.compile(r"不属于|不包括|不正确|错误的(?:是|有)|不符合|不应当")
LIST_SLOT_RE = re.compile(r"(?:下列|包括|以下)\s*$")  # "有下列（ ）行为之一的": the options are the list's items
STATEMENT_OPTIONS_RE = re.compile(r"说法|表述|叙述|描述|(?:正确|错误)的(?:是|有)")
# "…工作方针是：（ ）": the head before the blank, where the article says it after the list
HEAD_FIRST_RE = re.compile(r"的?(方针|原则|罚款)(?:是|为)?[：:，,]?\s*(?=[(（]\s*[)）]|_{2,}|＿{2,})")
_FIGURE_END_RE = re.compile(rf"[\d{NUMERAL_CHARS}个]$")
# "（《安全生产法》规定）了生产经营单位主要负责人…所负的职责，其中有…": a textbook's frame for one item of a duty list
_DUTY_FRAME_RE = re.compile(r"^(?:规定)?了?([^，,；;。]{2,40}?)所(?:负|承担|履行)的(职责|义务)[，,]\s*其中(?:有|包括)[：:]?")
# "…负有（ ）条的职责" "事故一般分为（ ）等级": a blank with a counter after it asks how many items a list has
# (not 个月 or 个小时, a duration)
_COUNT_SLOT_RE = re.compile(r"(?:[(（]\s*[)）]|_{2,}|＿{2,})\s*(?:个(?!月|小时|工作日)|条|项|大?类|种|等级|级|方面)的?")
_COUNTER_RE = re.compile(r"(?:个|条|项|大?类|种|等级|级|方面)$")


# "…可以行使下列哪些职权？（）①进入现场…；②查阅…" with options "①②③④", "②③④": items numbered in
# the stem, and options that name a combination of them
_MARKS = "①②③④⑤⑥⑦⑧⑨⑩"
_NUMBERED_RE = re.compile(rf"([{_MARKS}])\s*([^{_MARKS}]+)")
_COMBINATION_RE = re.compile(rf"[{_MARKS}、，,\s]+")


def numbered_items(body: str) -> tuple[str, dict[str, str]] | None:
    """A stem that lists numbered items after its question: (the stem without the list, the items
    by their mark), or None."""
    first = next((i for i, c in enumerate(body) if c in _MARKS), -1)
    items = _NUMBERED_RE.findall(body[first:]) if first > 0 else []
    if len(items) < 2 or len({mark for mark, _ in items}) != len(items):
        return None
    return body[:first].strip(), {mark: text.strip().rstrip("；;。，,、") for mark, text in items}


def combination(option: str) -> frozenset[str] | None:
    """The marks an option names when it names nothing else ("①②③", "①、③"), or None."""
    return frozenset(c for c in option if c in _MARKS) if _COMBINATION_RE.fullmatch(option.strip()) else None


def duty_item(body: str) -> str:
    """A textbook's frame for one item of a duty list, as the article words the list: "规定了生产经营单位
    主要负责人对本单位安全生产工作所负的职责，其中有组织制定…" reads "生产经营单位主要负责人对本单位安全
    生产工作负有下列职责：组织制定…" (a lead-in and its 项)."""
    return _DUTY_FRAME_RE.sub(r"\1负有下列\2：", body, count=1)


def counted_lead(body: str, options: list[str]) -> tuple[str, list[int]] | None:
    """A stem that asks how many items a list has ("…对本单位安全生产工作负有（ ）条的职责", options 5, 6,
    7): the stem without its blank and counter, as the article's lead-in words the list ("…负有职责"
    for "…负有下列职责："), and each option's number. None where an option is not a number of items
    or the blank is not the stem's only one."""
    match = _COUNT_SLOT_RE.search(body)
    if not match or len(SLOT_RE.findall(body)) != 1:
        return None
    counts = [numeral_value(_COUNTER_RE.sub("", re.sub(r"\s+", "", o))) for o in options]
    if len(counts) < 2 or None in counts:
        return None
    return body[:match.start()] + body[match.end():], counts


def slot_sentence(body: str) -> str:
    """The sentence of a stem that holds its blank ("事故报告后出现新情况的，应当及时补报。自事故发生
    之日起（ ）日内…": the first sentence is context, and a sentence holding both would align the
    blank with the wrong figure)."""
    return next((s for s in re.findall(r"[^。]+。?", body) if SLOT_RE.search(s)), body)


def fitted(body: str, option: str) -> str:
    """An option as the stem's blanks take it: one piece per blank where it fills several ("60
    日，60 日" for "…（ ）内…；…最长不超过（ ）"), joined by ；, and without the words the stem
    already has right beside its blank ("24 小时" for "提前（ ）小时", "六个月" for "（ ）月内"; one
    character only after a figure, so that a word's last character is not taken for a unit)."""
    slots = list(SLOT_RE.finditer(body))
    if not slots:
        return option
    pieces = [p.strip() for p in re.split(r"[；;，,]", option)]
    if len(slots) == 1 or len(pieces) != len(slots):
        pieces = [option.strip()]
    ends = [0, *(m.end() for m in slots)]
    starts = [m.start() for m in slots] + [len(body)]
    for i, piece in enumerate(pieces):
        before, after = body[ends[i]:slots[i].start()].rstrip(), body[slots[i].end():starts[i + 1]].lstrip()
        piece = re.sub(r"\s+", "", piece)
        cut = next((n for n in range(len(piece) - 1, 0, -1) if after.startswith(piece[-n:])
                    and (n > 1 or _FIGURE_END_RE.search(piece[:-1]))), 0)
        piece = piece[:len(piece) - cut]
        cut = next((n for n in range(len(piece) - 1, 1, -1) if before.endswith(piece[:n])), 0)
        pieces[i] = piece[cut:]
    return "；".join(pieces)


def head_last(body: str) -> str:
    """A stem that names the 方针 or 原则 before its blank, as the article words it after the
    list: "职业病防治工作方针是：（ ）为主，防治结合" reads "职业病防治工作（ ）为主，防治结合的方针"
    (the article: 坚持预防为主、防治结合的方针)."""
    match = HEAD_FIRST_RE.search(body)
    if not match:
        return body
    rest = body[match.end():]
    end = re.search(r"[。；;]", rest)
    end = end.start() if end else len(rest.rstrip())
    return body[:match.start()] + rest[:end] + "的" + match.group(1) + rest[end:]


# "…费用由谁承担？" "…不得担任…的是多少年？" "…应当与主体工程如何进行？": a stem that asks with a question word
# where other banks put the blank. 如何/怎样 take the verb they ask about with them (如何处理: the option is the
# handling), 什么时候/何时 are a time, 几/多少 a figure before its counter
_ASKED_RE = re.compile(r"(?:如何|怎样|怎么)(?:进行|处理|确定|对待|做)?|什么时候|何时|什么|谁|多少|哪一?[些个种项类]"
                       r"|几(?=[个年月日天周次人名项种类级倍小时学时])")
_ASKED_END_RE = re.compile(r"[？?]\s*$")


def asked_blank(body: str) -> str:
    """A stem that asks with one question word and ends with its question mark, the word read as
    the blank ("职业健康检查费用由谁承担？" reads "职业健康检查费用由（ ）承担。"), so that each option is
    read into the sentence as a blank's would be; two words are two blanks ("…初次…不得少于多少学时，
    每年…不得少于多少学时？"). The stem as it is where it has a blank already, does not end with ？, or
    asks with no word the pattern knows."""
    if SLOT_RE.search(body) or not _ASKED_END_RE.search(body):
        return body
    asked = _ASKED_RE.sub("（ ）", _ASKED_END_RE.sub("。", body))
    return asked if SLOT_RE.search(asked) else body


def with_key(body: str, key: str) -> str:
    """The stem with the key written into its blanks (a key for two blanks is split at ；)."""
    pieces = re.split(r"[；;]", key)
    if len(pieces) != len(SLOT_RE.findall(body)):
        pieces = [key]
    for piece in pieces:
        body = SLOT_RE.sub(piece.strip(), body, count=1)
    return body
