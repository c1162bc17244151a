"""填空 read the way a trainer reads it: the stem's text around each blank is aligned with an
article's sentence, and what the sentence says where the blank stands is the missing text.
A bank's key is then compared with it as a trainer would: 30 = 三十日, 合格 within 考核合格,
a different number or modal is another answer.

>>> fill_slots("事故发生之日起（ ）日内伤亡人数发生变化的，应当及时补报。",
...            "自事故发生之日起30日内，事故造成的伤亡人数发生变化的，应当及时补报。").texts
['30']
>>> fill_slots("对建筑消防设施至少（ ）进行一次全面检测。", "对建筑消防设施每年至少进行一次全面检测，确保完好有效。").texts
['每年']
>>> same_blank_answer("30", "三十"), same_blank_answer("40%至80%", "40%至60%")
(True, False)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from regkb.corpus.numerals import NUMERAL_CHARS
from regkb.service.exams.facts import MODAL_SWAPS, number_value
from regkb.service.exams.text import CLAUSE_MARK, SLOT_RE, canonical, marked

MIN_BLOCK = 2
MAX_CONTEXT_GAP = 2  # stem characters between a blank and the aligned text beside it
MAX_FILL = 40
MAX_MOVED = 4
AGREE_SHARE = 0.6  # of the shorter answer's characters found, in order, in the longer
_SLOT_MARK = "\x00"
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_NUMERAL_RE = re.compile(rf"[{NUMERAL_CHARS}]+")
_KEY_SEPARATORS_RE = re.compile(r"[；;]|\s{2,}")
_FUNCTION_CHARS = set("的和及与或并、等")
_MODALS = {*MODAL_SWAPS, *MODAL_SWAPS.values(), "允许", "不得", "应", "须", "得"}


@dataclass
class Fill:
    texts: list[str]  # what the sentence says at each blank, in order
    coverage: float  # share of the stem's other text aligned with the sentence
    adjacent: int  # characters right beside the blanks that the sentence has beside them too


def fill_slots(stem: str, sentence: str) -> Fill | None:
    """The sentence's text at each blank of ``stem``, or None when the text right beside a blank
    does not line up with the sentence. Ranges are read both as one span (处（ ）的罚款 over
    十万元以上三十万元以下) and as two ends (处（ ）以上五万元以下的罚款)."""
    fills = [fill for fill in (_fill(stem, sentence, ranges) for ranges in (True, False)) if fill]
    return max(fills, key=lambda fill: fill.coverage, default=None)


def _fill(stem: str, sentence: str, ranges: bool) -> Fill | None:
    parts = [marked(p, ranges) for p in SLOT_RE.split(stem)]
    if len(parts) < 2:
        return None
    ours, theirs = _SLOT_MARK.join(parts), marked(sentence, ranges)
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks()
              if b.size >= MIN_BLOCK and ours[b.a:b.a + b.size].strip(CLAUSE_MARK)]
    context = sum(len(p.replace(CLAUSE_MARK, "")) for p in parts)
    matched = sum(len(ours[b.a:b.a + b.size].replace(CLAUSE_MARK, "")) for b in blocks)
    texts, adjacent = [], 0
    for slot in (i for i, ch in enumerate(ours) if ch == _SLOT_MARK):
        left = next((b for b in reversed(blocks) if b.a + b.size <= slot), None)
        right = next((b for b in blocks if b.a > slot), None)
        before = ours[left.a + left.size if left else ours.rfind(_SLOT_MARK, 0, slot) + 1:slot]
        after_end = ours.find(_SLOT_MARK, slot + 1)
        after = ours[slot + 1:right.a if right else (after_end if after_end >= 0 else len(ours))]
        if left is None and right is None:
            return None
        if (left and _gap(before) > MAX_CONTEXT_GAP) or (right and _gap(after) > MAX_CONTEXT_GAP):
            return None
        if (left is None and _gap(before)) or (right is None and _gap(after)):
            return None  # the stem says more at the clause's edge than the sentence holds
        start = left.b + left.size if left else theirs.rfind(CLAUSE_MARK, 0, right.b) + 1
        end = right.b if right else _clause_end(theirs, start)
        text = theirs[start:end].strip(CLAUSE_MARK)
        if not text and left and right:
            text = _moved(blocks, blocks.index(left), theirs)
        if end < start or len(text) > MAX_FILL:
            return None
        texts.append(text.replace(CLAUSE_MARK, "，"))
        adjacent += _common_edge(ours[:slot], theirs[:start], reverse=True) + _common_edge(ours[slot + 1:], theirs[end:])
    return Fill(texts, matched / max(1, context), adjacent)


def _common_edge(ours: str, theirs: str, reverse: bool = False) -> int:
    """How many characters two texts share from their start (from their end with ``reverse``)."""
    ours, theirs = ours.replace(CLAUSE_MARK, ""), theirs.replace(CLAUSE_MARK, "")
    if reverse:
        ours, theirs = ours[::-1], theirs[::-1]
    return next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))


def _moved(blocks: list, index: int, theirs: str) -> str:
    """Nothing of the sentence stands at the blank because the stem moved the word away: the
    sentence's short text that the stem skips right before the text left of the blank
    (每年 of "对建筑消防设施每年至少进行" for "对建筑消防设施至少（ ）进行")."""
    if index == 0:
        return ""
    previous, left = blocks[index - 1], blocks[index]
    if previous.a + previous.size != left.a:
        return ""  # the stem has text of its own there: not a moved word
    moved = theirs[previous.b + previous.size:left.b].strip(CLAUSE_MARK)
    return moved if len(moved) <= MAX_MOVED and CLAUSE_MARK not in moved else ""


def _gap(text: str) -> int:
    return len(text.replace(CLAUSE_MARK, ""))


def _clause_end(text: str, start: int) -> int:
    end = text.find(CLAUSE_MARK, start)
    return len(text) if end < 0 else end


def same_blank_answer(found: str, key: str) -> bool | None:
    """Whether a bank's key says what the article says at the blanks (``found``, pieces joined
    by ；): True, False (another figure, modal or term), or None (too different to tell)."""
    founds, keys = _KEY_SEPARATORS_RE.split(found), [k for k in _KEY_SEPARATORS_RE.split(key) if k.strip()]
    if len(founds) != len(keys):
        founds, keys = [found], [key]
    verdicts = [_same_piece(_bare_number(canonical(f)), _bare_number(canonical(k))) for f, k in zip(founds, keys)]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _same_piece(found: str, key: str) -> bool | None:
    if not found or not key:
        return None
    if found == key:
        return True
    numbers = set(_NUMBER_RE.findall(found)), set(_NUMBER_RE.findall(key))
    if all(numbers):
        return {float(n) for n in numbers[0]} == {float(n) for n in numbers[1]}
    if any(numbers):
        return None  # a figure on one side only: the unit or the wording took the other's place
    if found in _MODALS and key in _MODALS:
        return False
    shorter, longer = sorted((_content(found), _content(key)), key=len)
    if not shorter:
        return None
    common = sum(b.size for b in difflib.SequenceMatcher(None, shorter, longer, autojunk=False).get_matching_blocks())
    if common / len(shorter) >= AGREE_SHARE:
        return True
    return False if common == 0 and len(longer) <= 8 else None


def _bare_number(text: str) -> str:
    """A key that is a numeral alone (三十, 一百) as its Arabic value; a stem keeps the unit."""
    value = number_value(text) if _NUMERAL_RE.fullmatch(text) else None
    return text if value is None else (str(int(value)) if value == int(value) else str(value))


def _content(text: str) -> str:
    return "".join(ch for ch in text if ch not in _FUNCTION_CHARS)
