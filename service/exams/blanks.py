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
PREAMBLE_ANCHOR = 8  # characters right after a blank that place it when the stem's text before it is its own
MAX_FILL = 40
MAX_MOVED = 4
MIN_SHARED = 4  # characters a stem's clause shares with a sentence that place it there
AGREE_SHARE = 0.6  # of the shorter answer's characters found, in order, in the longer
_SLOT_MARK = "\x00"
_TEN_THOUSAND = "万"
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_NUMERAL_RE = re.compile(rf"[{NUMERAL_CHARS}]+")
_KEY_SEPARATORS_RE = re.compile(r"[；;]|\s{2,}")
_FUNCTION_CHARS = set("的和及与或并、等")
_JOINING = "的和及与或"  # a particle or conjunction: the text at a blank does not begin with one
_MODALS = {*MODAL_SWAPS, *MODAL_SWAPS.values(), "允许", "不得", "应", "须", "得"}
_ONE_CHARACTER = {*_MODALS, "可", "不", "未", "无"}  # the answers a blank of one character may have


@dataclass
class Fill:
    texts: list[str]  # what the sentence says at each blank, in order
    coverage: float  # share of the stem's other text aligned with the sentence
    adjacent: int  # characters right beside the blanks that the sentence has beside them too


def fill_slots(stem: str, sentence: str) -> Fill | None:
    """The sentence's text at each blank of ``stem``, or None when the text right beside a blank
    does not line up with the sentence. Ranges are read both as one span (处（ ）的罚款 over
    十万元以上三十万元以下) and as two ends (处（ ）以上五万元以下的罚款). A blank the stem follows
    with 万 (处（ ）万元以上) is answered in 万: the sentence's 5万元 (50000元) gives 5."""
    stem, scales = _in_ten_thousands(stem)
    fills = [fill for fill in (_fill(stem, sentence, ranges) for ranges in (True, False)) if fill]
    fill = max(fills, key=lambda fill: fill.coverage, default=None)
    if fill and any(scales):
        fill.texts = [_scaled(text, scale) for text, scale in zip(fill.texts, scales)]
    return fill


def _in_ten_thousands(stem: str) -> tuple[str, list[bool]]:
    """The stem without the 万 right after its blanks, and which blanks had one."""
    pieces = SLOT_RE.split(stem)
    slots = SLOT_RE.findall(stem)
    scales = [piece.startswith(_TEN_THOUSAND) for piece in pieces[1:]]
    rest = [piece.removeprefix(_TEN_THOUSAND) for piece in pieces[1:]]
    return pieces[0] + "".join(slot + piece for slot, piece in zip(slots, rest)), scales


def _scaled(text: str, scale: bool) -> str:
    """A figure read in 万 (50000 → 5); any other text as it stands."""
    if not scale or not _NUMBER_RE.fullmatch(text):
        return text
    value = float(text) / 10000
    return str(int(value)) if value == int(value) else str(value)


@dataclass
class _Span:
    start: int  # where the blank stands in the sentence (its marked text)
    end: int
    left: bool  # the stem's text left of the blank lines up with the sentence
    right: bool
    adjacent: int
    moved: str  # a word the stem moved away from the blank (``_moved``)
    inside: bool = False  # the stem's text lines up on both sides of the blank, and has no clause mark beside it


def _spans(stem: str, sentence: str, ranges: bool) -> tuple[str, list[_Span], float] | None:
    """The sentence's marked text, where each blank of the stem stands in it, and the share of
    the stem's other text aligned; None when the text beside a blank does not line up."""
    parts = [marked(p, ranges) for p in SLOT_RE.split(stem)]
    if len(parts) < 2:
        return None
    ours, theirs = _SLOT_MARK.join(parts), marked(sentence, ranges)
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks()
              if b.size >= MIN_BLOCK and ours[b.a:b.a + b.size].strip(CLAUSE_MARK)]
    context = sum(len(p.replace(CLAUSE_MARK, "")) for p in parts)
    matched = sum(len(ours[b.a:b.a + b.size].replace(CLAUSE_MARK, "")) for b in blocks)
    spans = []
    for slot in (i for i, ch in enumerate(ours) if ch == _SLOT_MARK):
        left = next((b for b in reversed(blocks) if b.a + b.size <= slot), None)
        right = next((b for b in blocks if b.a > slot), None)
        before = ours[left.a + left.size if left else ours.rfind(_SLOT_MARK, 0, slot) + 1:slot]
        after_end = ours.find(_SLOT_MARK, slot + 1)
        after = ours[slot + 1:right.a if right else (after_end if after_end >= 0 else len(ours))]
        if left is None and right is None:
            return None
        if left and _gap(before) > MAX_CONTEXT_GAP and right and not _gap(after) and _common_edge(
                ours[slot + 1:], theirs[right.b:]) >= PREAMBLE_ANCHOR:
            # a preamble in the stem's own words before the blank ("…明确了三大目标，即（ ），保障人民群众…")
            # where the text after the blank lines up for a stretch: the blank stands at the clause's start
            left, before = None, ""
        if (left and _gap(before) > MAX_CONTEXT_GAP) or (right and _gap(after) > MAX_CONTEXT_GAP):
            return None
        if (left is None and _gap(before)) or (right is None and _gap(after)):
            return None  # the stem says more at the clause's edge than the sentence holds
        start = left.b + left.size if left else theirs.rfind(CLAUSE_MARK, 0, right.b) + 1
        end = right.b if right else _clause_end(theirs, start)
        empty = not theirs[start:end].strip(CLAUSE_MARK)
        moved = _moved(blocks, blocks.index(left), theirs) if empty and left and right else ""
        adjacent = _common_edge(ours[:slot], theirs[:start], reverse=True) + _common_edge(ours[slot + 1:], theirs[end:])
        inside = bool(left and right) and CLAUSE_MARK not in ours[slot - 1:slot] + ours[slot + 1:slot + 2]
        spans.append(_Span(start, end, left is not None, right is not None, adjacent, moved, inside))
    return theirs, spans, matched / max(1, context)


def _fill(stem: str, sentence: str, ranges: bool) -> Fill | None:
    aligned = _spans(stem, sentence, ranges)
    if aligned is None:
        return None
    theirs, spans, coverage = aligned
    texts = []
    for span in spans:
        text = theirs[span.start:span.end].strip(CLAUSE_MARK) or span.moved
        if span.inside:
            # a blank inside one clause of the stem ("方案经（ ）审批签字后") where the sentence has clauses
            # between the same words ("方案，并附具安全验算结果，经…签字后"): the stem skipped those, the
            # blank is in the clause that goes on with the text after it
            text = text.rsplit(CLAUSE_MARK, 1)[-1]
        if span.end < span.start or len(text) > MAX_FILL:
            return None
        texts.append(text.replace(CLAUSE_MARK, "，"))
    return Fill(texts, coverage, sum(span.adjacent for span in spans))


def constituent(text: str) -> bool:
    """Whether a sentence's text at a blank can be the answer: not empty, not one character other
    than a figure, modal or negation, and not begun with a particle or conjunction, nor ended with a
    pointer (的主要, 和操作规程, 采取下列: the stem's text beside the blank stops inside a phrase of the
    sentence, so the blank is not where it stands)."""
    # any other one character is a preposition left at a clause's start (经 of "经施工单位技术负责人…
    # 签字后实施"): the blank is not where it stands
    single = len(text) == 1 and not text.isdigit() and text not in _ONE_CHARACTER
    return bool(text) and text[0] not in _JOINING and not text.endswith("下列") and not single


def slot_text(stem: str, sentence: str, ranges: bool = True) -> tuple[float, str, _Span] | None:
    """For a stem with one blank: the share of its other text aligned with the sentence, the
    sentence's text where the blank stands (``marked``; it may be long: the stem may skip a
    clause, 逃匿的，可处（ ）以下拘留 over 逃匿的，给予…；对逃匿的处十五日以下拘留), and the span;
    None when the text beside the blank does not line up."""
    aligned = _spans(stem, sentence, ranges)
    if aligned is None or len(aligned[1]) != 1 or aligned[1][0].end < aligned[1][0].start:
        return None
    theirs, (span,), coverage = aligned
    return coverage, theirs[span.start:span.end].strip(CLAUSE_MARK) or span.moved, span


def option_fits(stem: str, sentence: str, options: list[str]) -> tuple[float, int, list[int]] | None:
    """How each option of a one-blank choice stem fits the sentence where the blank stands: 2 when
    it is the sentence's text there, 1 when it is what the sentence says right beside the text
    that lines up with the stem on one side (the stem shortened the rest: 防火性能 where the
    sentence reads 建筑材料和室内装修、装饰材料的防火性能), 0 otherwise; with the share of the
    stem's other text aligned and the characters right beside the blank the sentence shares."""
    best = None
    for ranges in (True, False):
        found = slot_text(stem, sentence, ranges)
        if found is None:
            continue
        coverage, there, span = found
        there = there.replace(CLAUSE_MARK, "")
        listed = _listed_at(sentence, there)
        after = SLOT_RE.split(stem, maxsplit=1)[-1]
        fits = []
        for option in options:
            mine = marked(option, ranges).replace(CLAUSE_MARK, "")
            if not mine:
                fits.append(0)
            elif mine == there:
                fits.append(2)
            else:
                beside = (span.right and there.endswith(mine) and not _splits_number(there[:-len(mine)], mine)) or (
                    span.left and there.startswith(mine) and not _splits_number(mine, there[len(mine):]))
                fits.append(1 if beside else _items_named(option, listed, after))
        if best is None or coverage > best[0]:
            best = (coverage, span.adjacent, fits)
    return best


def in_sentence_order(stem: str, sentence: str) -> str:
    """The stem's clauses put in the order the sentence says them ("《…条例》是根据（ ）的有关规定制定的，为了严格
    规范…" for "为了严格规范…，根据…的有关规定，制定本条例"), so that the text beside its blank can line up;
    each clause is placed where its longest piece shared with the sentence stands (one shared with
    nothing keeps its place after the clause before it)."""
    clauses = [c for c in re.split(r"(?<=[，,；;])", stem) if c.strip()]
    theirs = canonical(sentence)
    placed, at = [], -1
    for index, clause in enumerate(clauses):
        ours = canonical(SLOT_RE.sub("", clause))
        match = difflib.SequenceMatcher(None, ours, theirs, autojunk=False).find_longest_match(0, len(ours), 0, len(theirs))
        at = match.b if match.size >= MIN_SHARED else at
        placed.append((at, index, clause.rstrip("，,；;。")))
    return "，".join(clause for _, _, clause in sorted(placed)) + "。"


def _listed_at(sentence: str, there: str) -> list[str]:
    """The items of a list that the sentence has at the blank (爆破、吊装、动火、临时用电), as it writes
    them; [] when the text there is no list of two or more."""
    if len(there) < 2 * MIN_BLOCK:
        return []
    found = re.search("、?".join(map(re.escape, there)), sentence)
    items = found.group(0).split("、") if found else []
    return items if len(items) > 1 else []


def _items_named(option: str, listed: list[str], after: str) -> float:
    """How an option that names several items (爆破、吊装作业) fits a list at the blank: between 1 and 2
    by the share of the list it names, when each of its items is one of the list's; 0 otherwise. The
    last item may carry a word the stem says after the blank (作业 of 其他危险作业), which the list's
    items share."""
    items = [item for item in re.split(r"[、，,]|和|及", option) if item]
    if not listed or not items:
        return 0
    last = items[-1]
    for size in range(len(last) - 1, 1, -1):
        if last[-size:] in after and last[:-size] in listed:
            items[-1] = last[:-size]
            break
    if any(item not in listed for item in items) or len(set(items)) != len(items):
        return 0
    return 1 + len(items) / len(listed)


def _splits_number(before: str, after: str) -> bool:
    """Whether the two texts meet inside a figure (5日 at the end of 15日)."""
    return bool(before and after and before[-1] in "0123456789." and after[0] in "0123456789.")


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
