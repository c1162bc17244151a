"""One statement against one article sentence, as a trainer compares them: aligned in order,
each gap between the common pieces read as a conflict (another figure, modal, negation or level
of government: hard; a short word swapped or added: soft) or a rewording; clauses written in
another order read order-free.

>>> compare(canonical("特种设备使用单位应当在投入使用后60日内办理使用登记"),
...         "特种设备使用单位应当在特种设备投入使用前或者投入使用后三十日内办理使用登记。").conflicts > 0
True
"""

from __future__ import annotations

import difflib
import re
from difflib import Match
from typing import NamedTuple

from regkb.service.exams.facts import MODAL_SWAPS
from regkb.service.exams.text import canonical

# How much of a statement must line up with a sentence before the sentence may prove it
TRUE_COVERAGE = 0.8
MIN_BLOCK = 2
EDGE = 12  # characters of the article next to an edge of the statement that can oppose it
_NEGATIONS = ("不", "未", "非", "无")
_MODAL_RE = re.compile("|".join([*MODAL_SWAPS, "允许", "不得"]))
_GOVERNMENT_RE = re.compile(r"国务院|政府")  # canonical text says 政府 for 人民政府
_FUNCTION_CHARS = set("的了和及等或与并而对在其之时都均是")
# "没必要消防演练", "不必由…承担", "无权拒绝…": words that deny a duty or a right
DENIAL_RE = re.compile(r"没有?必要|不必|无须|无需|不需要?|不用|可以不|不须|无权")
_PARTICLES = "的"
_BODY_RE = re.compile(r"(?:部门|机构|机关|单位)$")
_AGENT_RE = re.compile(r"由[^由]{1,12}(?:部门|机构|机关|单位)")  # "由施工单位": who does it
_BOUND_RE = re.compile(r"以[上下]")
# "并由应急管理部门处…罚款；对逃匿的处十五日以下拘留": who imposes a measure is said for its own clause;
# a clause after ；or 。 that names none does not take the earlier one's
_CLAUSE_BREAK_RE = re.compile(r"[；;。]")
AGENT_ACT = 4  # characters of the act right after 由…部门 that place it in a clause
_UNITS = ("单位", "生产经营单位")  # canonical text says 生产经营单位 for 企业
_OWN = "本"  # 本单位: the unit the statement speaks of
_COMPANY = "生产经营"  # what canonical text makes of 企业 in front of 单位 (施工企业: 施工生产经营单位)
MAX_KIND = 6  # characters of a kind of unit a statement may name (建筑施工, 特种设备使用)
_FIGURE_END_RE = re.compile(r"\d(?:\.\d+)?(?:个月|小时|分钟|周岁|日|天|年|人|名|元|倍|次|%|万元|万)$")
# "不得收取任何费用": 任何 after a negation in its clause stresses the ban, it does not narrow or widen it
_ANY = "任何"
_NEGATED_RE = re.compile(r"[不未无非][^不未无非]*$")
_GRADE_RE = re.compile(r"特别|重大|较大|一般")  # accident grades, and the words that make them
_SAFETY, _ACCIDENT = "生产安全", "事故"
_ACCIDENT_RE = re.compile(rf"(?:{_SAFETY})?{_ACCIDENT}")
_POINTER, _REFERRING = "下列", ("相关", "有关")
_QUESTION_RE = re.compile(r"哪[些个种项类几]|什么|多少")
# "由A、B和C共同进行验收": a list of those who act jointly names them all
_JOINT_RE = re.compile(r"共同|联合")
_CONJUNCTION_RE = re.compile(r"和|及|与|或者?")
# "应当在整改后向…报告，经检查合格，方可恢复": what comes before 方可 is all required
_ONLY_THEN_RE = re.compile(r"方可|方能|才能|才可")
# "…的，责令…", "…的，由…部门责令…", "…的，处…罚款": the act a penalty punishes ends here
_PUNISHED_RE = re.compile(r"的(?:由[^的]{0,30}?)?(?:责令|处|给予|没收|吊销|暂扣)")
MIN_CONDITION = 4  # characters of a condition a statement leaves out
_TERM_KINDS = (re.compile(r"\d+(?:\.\d+)?(?:个月|小时|分钟|周岁|日|天|年|人|名|元|倍|次|%)"),
               re.compile(r"特别重大|重大|较大|一般(?=事故)"))


class Alignment(NamedTuple):
    """Two canonical texts aligned in order (``conflicts``)."""

    coverage: float  # the share of the statement matched
    hard: int  # a different figure, negation or modal
    soft: int  # a short word swapped or added: 出租/承租, 每半年/每年
    inserts: int  # rewordings the statement adds
    # soft conflicts that are swaps: the statement says nowhere what the sentence says there
    # (边施工边整改 where 限期改正, 严重突发事件 where 较大以上突发事件), so no reading in another
    # order can explain them
    swaps: int
    # accident grades the statement changes by a word added (特别重大事故 where 重大事故), among the hard
    grades: int


def conflicts(statement: str, sentence: str) -> Alignment:
    """Align two canonical texts in order and count how they differ (``Alignment``)."""
    matcher = difflib.SequenceMatcher(None, statement, sentence, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= MIN_BLOCK]
    if not blocks:
        return Alignment(0.0, 0, 0, 0, 0, 0)
    matched = sum(b.size for b in blocks)
    hard = soft = inserts = swaps = grades = 0
    # the text before the first and after the last common piece counts as a gap too: a
    # statement that begins with another subject (国务院 for 县级以上地方各级人民政府) differs there
    start, end = Match(0, 0, 0), Match(len(statement), len(sentence), 0)
    for left, right in zip([start, *blocks], [*blocks, end]):
        ours = statement[left.a + left.size:right.a]
        theirs = sentence[left.b + left.size:right.b]
        if not ours or (right is end and not ours.strip(_PARTICLES)):  # "…制定的" for "…制定本条例"
            # the article says 不 (or 不得) where the statement does not, also at the end of what it says
            # more ("…核设施事故、国防科研生产事故的报告和调查处理不适用" where the statement says 核设施事故
            # 适用), or bounds the figure the statement gives as it stands (3人以下 for 3人: the statement's
            # figure is another fact)
            hard += theirs in _NEGATIONS or theirs == "不得" or (right is not end and theirs[-1:] in _NEGATIONS) or bool(
                _BOUND_RE.match(theirs) and _FIGURE_END_RE.search(statement[:right.a]))
            soft += not ours and right is not end and (_left_out_of_joint(theirs, sentence[right.b:right.b + EDGE])
                                                       or _condition_left_out(theirs, sentence[right.b:right.b + 2]))
            continue  # otherwise the article says more here, and a statement may leave it out
        if left is start and _specializes(ours, theirs, statement[right.a:]):
            # the rule for any 单位 stated for one kind (施工企业的主要负责人 for 单位的…, 施工单位 for
            # 生产经营单位): the kind narrows the subject, it is said, not left over
            inserts += 1
            matched += len(ours)
            continue
        if left is start:
            theirs = theirs[-EDGE:]  # only what comes right before the common text opposes it
        elif right is end:
            theirs = theirs[:EDGE]
        if theirs and _QUESTION_RE.search(ours):
            inserts += 1  # the stem asks here (提供…的哪些相关资料（ ）): a question, not another fact
        elif theirs == _POINTER and ours in _REFERRING:
            inserts += 1  # "将相关资料报送…" for "将下列资料报送…：": the things the list names, without the list
        elif theirs:
            if (re.search(r"\d", ours + theirs) or _modal_changed(ours, theirs)
                    or (_GOVERNMENT_RE.search(ours) and _GOVERNMENT_RE.search(theirs))):
                hard += 1  # another figure, modal or level of government
            elif _fewer_items(ours, theirs, sentence[right.b:right.b + EDGE]):
                continue  # the statement names fewer of the list's items (供电、供热 of 供电、供气、供热)
            elif _item_grade(ours, theirs, statement[right.a:], sentence[right.b:]):
                inserts += 1
                continue
            elif (len(ours) <= 8 and len(theirs) <= 12) or _other_body(ours, theirs, statement[right.a:right.a + 2]):
                soft += 1
                swaps += len(ours) >= MIN_BLOCK and theirs not in statement
            else:
                inserts += 1
        elif ours in _NEGATIONS or _modals(ours) or DENIAL_RE.search(ours):
            hard += 1  # the statement adds 不, a modal or a denial (没必要 inserted before the duty)
        elif _AGENT_RE.fullmatch(ours) and ours[1:] not in sentence:
            # the statement names who does it where the sentence leaves it to its own subject ("并由施工单位
            # 对检测结果负责" where 检验检测机构…并对检测结果负责): another body does it
            soft += 1
            swaps += 1
        elif re.search(r"\d", ours):
            soft += 1  # a figure the sentence does not give is a fact of the statement's own, not a rewording
        elif ours == _ANY and _NEGATED_RE.search(statement[max(0, right.a - len(ours) - EDGE):right.a - len(ours)]):
            inserts += 1  # 不得收取任何费用 for 不得收取费用: 任何 under a negation says the same ban
        elif _qualifier(ours) and right is not end and not _restated(ours, sentence):
            # a word added inside (每半年 for 每年); one added at the end rewords ("…罚款处罚"); one
            # that makes a grade another (特别 before 重大) is another fact, as a figure is
            graded = bool(_GRADE_RE.search(ours) and _GRADE_RE.match(statement[right.a:right.a + 2]))
            if _narrowed_to_grade(ours, statement[right.a:], sentence) or _item_grade(
                    ours, theirs, statement[right.a:], sentence[right.b:]):
                inserts += 1
                continue
            grades += graded
            hard += graded
            soft += not graded
        elif not set(ours) <= _FUNCTION_CHARS:  # a function word added (而制定) says nothing new
            inserts += 1
    hard += _negation_moved(statement, sentence, blocks)
    return Alignment(matched / max(1, len(statement)), hard, soft, inserts, swaps, grades)


def _negation_moved(statement: str, sentence: str, blocks: list[Match]) -> int:
    """1 where the sentence negates, outside the text both share, a word the statement says outside it
    with no negation ("本法适用于抢险救灾…的安全生产管理" against "抢险救灾…的安全生产管理，不适用本法"): the
    clauses stand in another order, and the sentence denies what the statement asserts."""
    ours = _unmatched(statement, [(b.a, b.size) for b in blocks])
    theirs = _unmatched(sentence, [(b.b, b.size) for b in blocks])
    for piece in theirs:
        for at, char in enumerate(piece):
            word = piece[at + 1:at + 3]
            if char not in _NEGATIONS or len(word) < MIN_BLOCK or _modals(char + word) or set(word) & _FUNCTION_CHARS:
                continue
            if any(word in mine and mine[mine.find(word) - 1:mine.find(word)] not in _NEGATIONS for mine in ours):
                return 1
    return 0


def _unmatched(text: str, pieces: list[tuple[int, int]]) -> list[str]:
    """The text outside the aligned pieces (start, size), as the runs between them."""
    runs, at = [], 0
    for start, size in pieces:
        runs.append(text[at:start])
        at = start + size
    return [run for run in [*runs, text[at:]] if run]


def punished(statement: str, sentence: str) -> bool:
    """Whether the sentence says the statement only as what a penalty punishes: the statement
    ends where the sentence goes on "…的，责令…/处…" ("…出租给不具备…条件的单位或者个人的，责令限期
    改正"), so the article forbids what the statement says, it does not state it."""
    blocks = [b for b in difflib.SequenceMatcher(None, statement, sentence, autojunk=False).get_matching_blocks()
              if b.size >= MIN_BLOCK]
    if not blocks or blocks[-1].a + blocks[-1].size < len(statement):
        return False
    end = blocks[-1].b + blocks[-1].size
    return bool(_PUNISHED_RE.match(sentence, end - statement.endswith("的")))


def skipped(statement: str, sentence: str) -> int:
    """Characters of the sentence between the pieces it shares with the statement that the
    statement leaves out ("处5万元至10万元" read across "处2万元至5万元的罚款；逾期未改正的，")."""
    blocks = [b for b in difflib.SequenceMatcher(None, statement, sentence, autojunk=False).get_matching_blocks()
              if b.size >= MIN_BLOCK]
    return sum(right.b - left.b - left.size for left, right in zip(blocks, blocks[1:]) if right.a == left.a + left.size)


class Composite(str):
    """A 项 joined to its lead-in: a sentence the article implies but never writes in one
    order (a bank writes "发生较大事故，对…单位处…罚款" for the rule and its 项)."""


def _loose(statement: str, sentence: str) -> tuple[float, list[str]]:
    """Order-free comparison: the share of the statement covered by common pieces of two or
    more characters, taken longest first, and the pieces of the statement left over."""
    ours, theirs, matched = statement, sentence, 0
    while True:
        match = difflib.SequenceMatcher(None, ours, theirs, autojunk=False).find_longest_match(0, len(ours), 0, len(theirs))
        if match.size < MIN_BLOCK:
            break
        matched += match.size
        ours = ours[:match.a] + "\x00" * match.size + ours[match.a + match.size:]
        theirs = theirs[:match.b] + "\x01" * match.size + theirs[match.b + match.size:]
    return matched / max(1, len(statement)), [piece for piece in ours.split("\x00") if piece]


def any_order(statement: str, sentence: str) -> float:
    """The share of a statement a sentence says in pieces of two or more characters, in any order
    (a stem that puts the sentence's clauses in another order: "除有…外，…部门采取…措施，应当提前"
    for "…部门…采取…措施，除有…外，应当提前")."""
    return _loose(statement, sentence)[0]


class Comparison(NamedTuple):
    coverage: float
    conflicts: int
    inserts: int  # rewordings
    decisive: bool = False  # one hard conflict and nothing else: one fact changed
    soft_only: bool = False  # every conflict a word swapped or added: no figure, modal or negation opposed


def compare(statement: str, sentence: str, order_free: bool = True, other: str | None = None) -> Comparison:
    """A statement against a candidate sentence (``other``: the sentence already canonical).
    Against a composite whose only conflicts come from word order, the order is not held against it."""
    other = canonical(sentence) if other is None else other
    coverage, hard, soft, inserts, swaps, _ = conflicts(statement, other)
    clashes = _clashes(statement, other) + _agent_left_behind(statement, sentence)
    # a composite's conflicts may come from its order alone, unless a word was swapped for one
    # said nowhere else (责令边施工边整改 for 责令限期改正); a sentence read in order that already
    # opposes the statement somewhere (项目负责人 where 专职安全生产管理人员) stays opposed
    reordered = order_free and not soft and coverage < TRUE_COVERAGE
    if isinstance(sentence, Composite):
        reordered = not swaps and (soft or reordered)
    if reordered and not hard and not clashes:
        # clauses in another order ("应当具有…许可证，并在进入现场前查验" written as "应当在进入现场前
        # 查验其…许可证"): read order-free, what the statement adds must be a function word
        loose, leftover = _loose(statement, other)
        if loose >= TRUE_COVERAGE:
            # as read in order: a word the sentence says elsewhere, or 本 of the statement's own unit, changes nothing
            qualifiers = [piece for piece in leftover if _qualifier(piece) and not _restated(piece, other)
                          and not (piece == _OWN and _names_own_unit(statement))
                          and not _kind_of_unit(piece, statement, other)]
            return Comparison(loose, len(qualifiers), 0 if qualifiers else sum(len(p) > 2 for p in leftover))
    return Comparison(coverage, hard + soft + clashes, inserts, hard == 1 and not soft, not hard and not clashes)


def _clashes(statement: str, sentence: str) -> int:
    """Terms of one kind that both texts name but differently: figures (30日 and 60日), accident
    grades (较大 and 一般). Alignment alone can pair a statement with a sibling 项."""
    count = 0
    for pattern in _TERM_KINDS:
        ours, theirs = set(pattern.findall(statement)), set(pattern.findall(sentence))
        count += bool(ours and theirs and not ours <= theirs)
    return count


def _kind_of_unit(piece: str, statement: str, other: str) -> bool:
    """Whether the piece names a kind of the 生产经营单位 a sentence read order-free binds (施工企业 for
    生产经营单位: canonical 施工生产经营单位): a rule every unit follows binds that kind too."""
    unit = _UNITS[1]
    return piece + unit in statement and unit in other and piece + unit not in other


def _names_own_unit(statement: str) -> bool:
    """Whether the statement says 本单位 after naming the 生产经营单位 it speaks of (建筑施工企业工会…有权
    向本企业建议: canonical text reads 本企业 as 本单位, 企业 as 生产经营单位): 本单位 is that unit."""
    own = statement.find(_OWN + _UNITS[0])
    return 0 <= statement.find(_UNITS[1]) < own


def _agent_left_behind(statement: str, sentence: str) -> int:
    """1 where the statement has a body do an act (由应急管理部门处十五日以下拘留) that the sentence
    says in another clause than the one naming that body ("并由应急管理部门处…的罚款；对逃匿的处十五
    日以下拘留"): the sentence does not say that body does it. ``statement`` is canonical."""
    clauses = [canonical(clause) for clause in _CLAUSE_BREAK_RE.split(sentence)]
    for match in _AGENT_RE.finditer(statement):
        agent, act = match.group(0)[1:], statement[match.end():match.end() + AGENT_ACT]
        if len(act) < AGENT_ACT or any(agent in clause and act in clause for clause in clauses):
            continue
        if any(agent in clause for clause in clauses) and any(act in clause for clause in clauses):
            return 1
    return 0


def _specializes(ours: str, theirs: str, following: str) -> bool:
    """A statement that begins with a kind of unit where the sentence begins with 单位 (or 企业, or
    生产经营单位) alone: 施工企业 or 施工单位 for the 单位 of a rule every unit follows. Canonical
    text reads 企业 as 生产经营单位, so 施工企业 is 施工生产经营单位: the kind is what comes before."""
    kind = ours.removesuffix(_COMPANY)
    # the statement says something of the unit: a unit named alone (a list's item, 交通运输企业) is
    # no rule for it
    said = any(following.startswith(unit) and len(following) > len(unit) for unit in _UNITS)
    if theirs == _COMPANY:
        return said and following.startswith(_UNITS[0]) and 0 < len(kind) <= MAX_KIND  # 施工单位 for 生产经营单位
    if theirs:
        return theirs in _UNITS and ours.endswith(_UNITS) and len(ours) > len(theirs)
    return said and 0 < len(kind) <= MAX_KIND


def _other_body(ours: str, theirs: str, following: str) -> bool:
    """Two names of a body, however long, in the same place (the gap and the common text after
    it): another body does it (向安全生产综合监督管理部门报告 where the article says 向有关主管部门报告)."""
    return any(_BODY_RE.search(ours + tail) and _BODY_RE.search(theirs + tail) for tail in ("", following))


def _qualifier(inserted: str) -> bool:
    """One or two characters the statement adds inside a matched phrase change what it says
    (每半年 for 每年, 特别重大 for 重大); a longer insertion is a rewording (特种设备单位)."""
    return len(inserted) <= 2 and not set(inserted) <= _FUNCTION_CHARS


def _left_out_of_joint(theirs: str, following: str) -> bool:
    """An item the statement leaves out of a list the sentence says acts jointly (施工总承包单位、
    分包单位和出租单位 where 施工总承包单位、分包单位、出租单位和安装单位共同进行验收): such a list
    names everyone who must take part, so a shorter one says another thing."""
    return len(theirs) > MIN_BLOCK and bool(_CONJUNCTION_RE.search(theirs)) and bool(_JOINT_RE.search(following))


def _fewer_items(ours: str, theirs: str, following: str) -> bool:
    """The statement's text in the gap is said by the sentence there, among more (热 where the
    sentence reads 气、供热、通信、广播电视: the list's 、 is read away, so the pieces around an item
    left out do not line up): an item left out, unless the rest negates, gives a figure, a modal
    or an accident grade, or the list acts jointly (``_left_out_of_joint``)."""
    at = theirs.find(ours)
    if at < 0:
        return False
    rest = theirs[:at] + theirs[at + len(ours):]
    return (len(rest) >= MIN_BLOCK and not set(rest) & set(_NEGATIONS) and not re.search(r"\d", rest)
            and not _GRADE_RE.search(rest) and not _modals(rest) and not _JOINT_RE.search(following))


def _condition_left_out(theirs: str, following: str) -> bool:
    """A condition the statement leaves out right before 方可 (应当在整改后，方可恢复 where the article
    says 应当在整改后向…报告，经检查合格，方可恢复): each condition is required, so a statement with
    fewer allows what the article does not."""
    return len(theirs) >= MIN_CONDITION and bool(_ONLY_THEN_RE.match(following))


def _narrowed_to_grade(inserted: str, following: str, sentence: str) -> bool:
    """A grade the statement puts before the accidents of a rule that names no grade (在本单位发生重大生产安全
    事故时…逃匿的 where 第一百一十条 says 发生生产安全事故时): the rule holds for every grade, so the statement
    says one case of it, as 施工单位 says one kind of the 单位 a rule binds. Where the sentence names grades,
    another grade is another fact (a 项's 较大事故 for 重大事故)."""
    return bool(_GRADE_RE.fullmatch(inserted) and _ACCIDENT_RE.match(following) and not _GRADE_RE.search(sentence))


def _item_grade(ours: str, theirs: str, following: str, rest: str) -> bool:
    """The grade of a 项 put where its lead-in says any accident (发生一般事故，对负有责任的生产经营单位…处三十万元…
    for "发生生产安全事故，对负有责任的生产经营单位…依照下列规定处以罚款：发生一般事故的，处三十万元…"): the
    statement says the 项's case of the rule, which the sentence states after the gap. A grade the sentence's 项
    does not name there (较大 against the 一般事故 项) stays another fact."""
    return bool(_GRADE_RE.fullmatch(ours) and theirs in ("", _SAFETY) and _ACCIDENT_RE.match(following)
                and ours + _ACCIDENT in rest)


def _restated(inserted: str, sentence: str) -> bool:
    """A two-character word the statement adds that the sentence itself says elsewhere spells out
    what the sentence implies (接到事故报告 for 接到报告 after 事故发生后…报告); an accident grade
    added (特别重大 for 重大) still changes the fact."""
    return len(inserted) == 2 and inserted in sentence and not _GRADE_RE.search(inserted)


def _modal_changed(ours: str, theirs: str) -> bool:
    """Whether the statement says another modal where the sentence has one. A clause reworded
    without its 应当 (实行专款专用 where the article says 应当用于…) states the same duty; a
    statement without the sentence's 不得 or 可以, or with a negation of its own where the sentence
    says 应当 (不经检验可继续使用 where 应当办理变更登记，方可继续使用), says another thing."""
    mine, its = _modals(ours), _modals(theirs)
    return mine != its and not (not mine and its == {"应当"} and not set(ours) & set(_NEGATIONS))


def _modals(text: str) -> set[str]:
    return set(_MODAL_RE.findall(text))
