"""题库体检: decide a question's answer from the article it is built from.

The stem is searched; the sentences of the articles found are aligned with the question's
statement (figures compared by value, 三十日 = 30日). A statement found whole is true; one that
matches an article's sentence except for a figure, a negation, a modal or one short word is
false, and that sentence is the evidence. A choice question is answered option by option: each
option is put into the blank and judged, or, for "…包括（ ）" lists, looked up among the items
of the article. Where no article settles a question, the answer is None (``undecided``).

>>> judge = StatementJudge(kb.search, kb.store)  # doctest: +SKIP
>>> judge.solve("特种设备使用单位应当在投入使用后60日内办理使用登记", []).answer  # doctest: +SKIP
'false'
"""

from __future__ import annotations

import difflib
import re
from difflib import Match
from dataclasses import dataclass
from typing import Callable

from regkb.corpus.law_names import full_law_name, generic_names, law_names
from regkb.service.exam_corpus import ARTICLE_LABEL_RE, ITEM_RE, normalise
from regkb.service.exam_facts import MODAL_SWAPS, number_value
from regkb.service.exam_generators import LETTERS

SLOT_RE = re.compile(r"[(（]\s*[)）]|_{2,}|＿{2,}")
PREFIX_RE = re.compile(r"^(?:根据|依据|按照)《([^》]+)》(?:的)?(?:规定|要求)?[，,：:]?")
NEGATIVE_STEM_RE = re.compile(r"不属于|不包括|不正确|错误的是|不符合|不应当")
STATEMENT_OPTIONS_RE = re.compile(r"说法|表述|正确的是|错误的是")
_NUMERAL_RE = re.compile(r"(?<![第每统唯])(?:(百分之)([零〇一二两三四五六七八九十百千\d.]+)|"
                         r"([零〇一二两三四五六七八九十百千万\d.]+)(?=个|日|天|小时|分钟|月|年|周岁|人|名|元|倍|次|%|以上|以下|至))")
# How much of a statement must line up with one sentence of an article before the sentence
# may decide it; below, the statement is about something else (or rephrased beyond checking).
TRUE_COVERAGE = 0.8
FALSE_COVERAGE = 0.7
DOUBT_MARGIN = 0.05
ITEM_FOUND, ITEM_ABSENT = 0.8, 0.6
MIN_BLOCK = 2
EDGE = 12  # characters of the article next to an edge of the statement that can oppose it
SEARCH_K = 5
_NEGATIONS = ("不", "未", "非", "无")
_MODAL_RE = re.compile("|".join([*MODAL_SWAPS, "允许", "不得"]))
_TERM_KINDS = (re.compile(r"\d+(?:\.\d+)?(?:个月|小时|分钟|周岁|日|天|年|人|名|元|倍|次|%)"),
               re.compile(r"特别重大|重大|较大|一般(?=事故)"))
_GOVERNMENT_RE = re.compile(r"国务院|人民政府")
_FUNCTION_CHARS = set("的了和及等或与并对在其之")
_SELF_REFERENCE_RE = re.compile(r"本条例|本办法|本规定")
# "…有下列行为之一的，责令…罚款：" with its item "（六）未制定…预案的": banks write the item
# into the rule ("…未制定…预案的，责令…罚款"), so that reading is a candidate too.
_ONE_OF_RE = re.compile(r"有下列(?:行为|情形)之一的")


def canonical(text: str) -> str:
    """Text for comparison: no punctuation or spaces, figures as Arabic values (三十日 → 30日,
    百分之四十 → 40%, 十万元 → 100000元)."""
    def figure(match: re.Match) -> str:
        value = number_value(match.group(2) or match.group(3))
        if value is None:
            return match.group(0)
        shown = str(int(value)) if value == int(value) else str(value)
        return shown + ("%" if match.group(1) else "")

    text = _SELF_REFERENCE_RE.sub("本法", text.replace("％", "%"))
    return normalise(_NUMERAL_RE.sub(figure, text))


@dataclass
class Evidence:
    sentence: str  # verbatim
    source: str
    title: str | None
    article: str | None


@dataclass
class Finding:
    verdict: bool | None  # the article says the statement is true / false / nothing certain
    coverage: float
    evidence: Evidence | None = None


@dataclass
class Solution:
    answer: str | None  # "true"/"false" or letters; None when no article settles it
    evidence: Evidence | None = None


def _conflicts(statement: str, sentence: str) -> tuple[float, int, int, int]:
    """Align two canonical texts in order; returns the share of the statement matched, the
    hard conflicts (a different figure, negation or modal), the soft ones (a short word swapped
    or added: 出租/承租, 每半年/每年) and the rewordings the statement adds."""
    matcher = difflib.SequenceMatcher(None, statement, sentence, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= MIN_BLOCK]
    if not blocks:
        return 0.0, 0, 0, 0
    matched = sum(b.size for b in blocks)
    hard = soft = inserts = 0
    # the text before the first and after the last common piece counts as a gap too: a
    # statement that begins with another subject (国务院 for 县级以上地方各级人民政府) differs there
    start, end = Match(0, 0, 0), Match(len(statement), len(sentence), 0)
    for left, right in zip([start, *blocks], [*blocks, end]):
        ours = statement[left.a + left.size:right.a]
        theirs = sentence[left.b + left.size:right.b]
        if not ours:
            hard += theirs in _NEGATIONS  # the article says 不 where the statement does not
            continue  # otherwise the article says more here, and a statement may leave it out
        if left is start:
            theirs = theirs[-EDGE:]  # only what comes right before the common text opposes it
        elif right is end:
            theirs = theirs[:EDGE]
        if theirs:
            if (re.search(r"\d", ours + theirs) or _modals(ours) != _modals(theirs)
                    or (_GOVERNMENT_RE.search(ours) and _GOVERNMENT_RE.search(theirs))):
                hard += 1  # another figure, modal or level of government
            elif len(ours) <= 8 and len(theirs) <= 12:
                soft += 1
            else:
                inserts += 1
        elif ours in _NEGATIONS or _modals(ours):
            hard += 1
        elif _qualifier(ours):
            soft += 1
        else:
            inserts += 1
    return matched / max(1, len(statement)), hard, soft, inserts


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


def _compare(statement: str, sentence: str) -> tuple[float, int, int]:
    """(coverage, conflicts, rewordings) of a statement against a candidate sentence. Against a
    composite whose only conflicts come from word order, the order is not held against it."""
    other = canonical(sentence)
    coverage, hard, soft, inserts = _conflicts(statement, other)
    clashes = _clashes(statement, other)
    if isinstance(sentence, Composite) and soft and not hard and not clashes:
        loose, leftover = _loose(statement, other)
        if loose >= TRUE_COVERAGE and not any(_qualifier(piece) for piece in leftover):
            return loose, 0, 0
    return coverage, hard + soft + clashes, inserts


def _clashes(statement: str, sentence: str) -> int:
    """Terms of one kind that both texts name but differently: figures (30日 and 60日), accident
    grades (较大 and 一般). Alignment alone can pair a statement with a sibling 项."""
    count = 0
    for pattern in _TERM_KINDS:
        ours, theirs = set(pattern.findall(statement)), set(pattern.findall(sentence))
        count += bool(ours and theirs and not ours <= theirs)
    return count


def _qualifier(inserted: str) -> bool:
    """One or two characters the statement adds inside a matched phrase change what it says
    (每半年 for 每年, 特别重大 for 重大); a longer insertion is a rewording (特种设备单位)."""
    return len(inserted) <= 2 and not set(inserted) <= _FUNCTION_CHARS


def _modals(text: str) -> set[str]:
    return set(_MODAL_RE.findall(text))


class StatementJudge:
    """Answers questions from the articles a search finds. ``search`` is
    ``KnowledgeBase.search``; ``store`` gives the whole article around a hit."""

    def __init__(self, search: Callable, store):
        self.search = search
        self.store = store
        self._chunks: dict[str, list] = {}
        self._names: re.Pattern | None = None

    # --- the corpus around a hit ------------------------------------------------------

    def _document_chunks(self, doc_id: str) -> list:
        if doc_id not in self._chunks:
            self._chunks[doc_id] = self.store.chunks(doc_id)
        return self._chunks[doc_id]

    def _article_lines(self, hit) -> list[str]:
        """The article's lines (款 and 项) without the article label; a plan chunk's lines."""
        if not hit.article:
            texts = [hit.text]
        else:
            texts = [c.text for c in self._document_chunks(hit.doc_id) if c.article == hit.article]
        return [ARTICLE_LABEL_RE.sub("", line).strip() for text in texts for line in text.split("\n") if line.strip()]

    def _candidates(self, query: str, law: str | None) -> list[tuple[Evidence, list[str]]]:
        """(evidence, sentences) per article found: single sentences, and each 项 under its
        lead-in (so "发生较大事故的，处…罚款" is seen with the rule that introduces it)."""
        hits = self.search(query, k=SEARCH_K).hits
        if law:
            named = [h for h in hits if h.title and law in h.title]
            hits = named or hits
        result = []
        for hit in hits:
            lines = self._article_lines(hit)
            sentences, leadin = [], ""
            for line in lines:
                if ITEM_RE.match(line):
                    item = ITEM_RE.sub("", line)
                    sentences += [item, Composite(leadin + item)] if leadin else [item]
                    if leadin and _ONE_OF_RE.search(leadin):
                        sentences.append(Composite(_ONE_OF_RE.sub(item.rstrip("；;。的") + "的", leadin, count=1)))
                    continue
                leadin = line if line.endswith(("：", ":")) else ""
                sentences += [s for s in re.findall(r"[^。]+。?", line) if s.strip()]
                if len(re.findall("。", line)) > 1:
                    sentences.append(line)
            result.append((Evidence("", hit.source, hit.title, hit.article), sentences))
        return result

    # --- statements -------------------------------------------------------------------

    def _law_names(self) -> re.Pattern:
        """The titles of the laws in the store as a statement may name them (《特种设备安全法》, 特种设备安全法)."""
        if self._names is None:
            titles = {name for d in self.store.documents()
                      if d.title and re.search(r"(?:法|条例|办法|规定)$", d.title)
                      for name in law_names(d.title) if name not in generic_names()}
            pattern = "|".join(sorted(map(re.escape, titles), key=len, reverse=True)) or "(?!)"
            self._names = re.compile(f"《?(?:中华人民共和国)?(?:{pattern})》?")
        return self._names

    def judge_statement(self, statement: str, law: str | None = None, candidates=None) -> Finding:
        """Whether the articles found say ``statement``, say something else in its place, or neither."""
        target = canonical(self._law_names().sub("本法", statement))
        if len(target) < 6:
            return Finding(None, 0.0)
        candidates = candidates if candidates is not None else self._candidates(statement, law)
        best_true: Finding | None = None
        best_false: Finding | None = None
        doubt = 0.0  # the best coverage of a sentence that disagrees with nothing, short of proof
        for evidence, sentences in candidates:
            for sentence in sentences:
                coverage, conflicts, inserts = _compare(target, sentence)
                found = Evidence(sentence, evidence.source, evidence.title, evidence.article)
                if conflicts == 0 and coverage >= TRUE_COVERAGE and inserts <= 1:
                    if best_true is None or coverage > best_true.coverage:
                        best_true = Finding(True, coverage, found)
                elif conflicts and coverage >= FALSE_COVERAGE:
                    if best_false is None or coverage > best_false.coverage:
                        best_false = Finding(False, coverage, found)
                elif not conflicts:
                    doubt = max(doubt, coverage)
        if best_true:
            return best_true
        # a sentence that matches about as well without any conflict may be the statement
        # reworded (a 项 written into its rule): then the article does not settle it
        if best_false and doubt < best_false.coverage - DOUBT_MARGIN:
            return best_false
        return Finding(None, 0.0)

    # --- questions --------------------------------------------------------------------

    def solve(self, stem: str, options: list[str], kind: str | None = None) -> Solution:
        """The answer the articles imply for one question (``kind`` judge/single/multi; guessed
        from the options when None)."""
        law_match = PREFIX_RE.match(stem.strip())
        named = law_match.group(1) if law_match else None
        law = (full_law_name(named) or named.removeprefix("中华人民共和国")) if named else None
        body = PREFIX_RE.sub("", stem.strip())
        options = [o for o in options if o and o.strip()]
        if not options or kind == "judge":
            finding = self.judge_statement(SLOT_RE.sub("", body).rstrip("。") + "。", law)
            verdict = None if finding.verdict is None else ("true" if finding.verdict else "false")
            return Solution(verdict, finding.evidence)
        findings = self._options(body, options, law)
        negative = bool(NEGATIVE_STEM_RE.search(body))
        proven = [i for i, f in enumerate(findings) if f.verdict is (not negative)]
        if kind in ("single", None) and len(proven) == 1:
            # one option the article proves is the key of a single choice, whatever the others
            return Solution(LETTERS[proven[0]], findings[proven[0]].evidence)
        if any(f.verdict is None for f in findings):
            return Solution(None)
        chosen = [LETTERS[i] for i, f in enumerate(findings) if f.verdict != negative]
        if not chosen or (kind == "single" and len(chosen) != 1) or (kind == "multi" and len(chosen) < 2):
            return Solution(None)
        evidence = next((f.evidence for f in findings if f.verdict and f.evidence), None)
        return Solution("".join(chosen), evidence)

    def _options(self, body: str, options: list[str], law: str | None) -> list[Finding]:
        slot = SLOT_RE.search(body)
        tail = body[slot.end():] if slot else ""
        if slot and normalise(tail):
            # the blank is inside the sentence: each option filled in is a statement
            query = SLOT_RE.sub("", body)
            candidates = self._candidates(query, law)
            return [self.judge_statement(body[:slot.start()] + o + tail, law, candidates) for o in options]
        if STATEMENT_OPTIONS_RE.search(body):
            return [self.judge_statement(o, law) for o in options]
        return self._listed(SLOT_RE.sub("", body), options, law)

    def _listed(self, lead: str, options: list[str], law: str | None) -> list[Finding]:
        """"…包括（ ）": each option is looked up among the lines of the article that the stem
        finds (the article where the most options are found)."""
        best: list[Finding] = []
        for evidence, sentences in self._candidates(lead, law):
            text = canonical("".join(sentences))
            # the lead-in that introduces the list is the evidence for every option
            quote = next((s for s in sentences if s.endswith(("：", ":"))), sentences[0] if sentences else "")
            findings = []
            for option in options:
                target = canonical(option)
                coverage = 1.0 if target and target in text else max(
                    (_conflicts(target, canonical(s))[0] for s in sentences), default=0.0)
                verdict = True if coverage >= ITEM_FOUND else False if coverage <= ITEM_ABSENT else None
                findings.append(Finding(verdict, coverage, Evidence(quote, evidence.source, evidence.title,
                                                                    evidence.article)))
            if sum(f.verdict is True for f in findings) > sum(f.verdict is True for f in best):
                best = findings
        if sum(f.verdict is True for f in best) < 2:
            return [Finding(None, 0.0) for _ in options]
        return best
