"""题库体检: decide a question's answer from the article it is built from.

The stem is searched; the sentences of the articles found are aligned with the question's
statement (figures compared by value, 三十日 = 30日). A statement found whole is true; one that
matches an article's sentence except for a figure, a negation, a modal or one short word is
false, and that sentence is the evidence. A choice question is answered option by option: each
option is put into the blank and judged, or, for "…包括（ ）" lists, looked up among the items
of the article (in the clause that says the stem's lead when the lead denies: 不适用). A
statement that denies what an article requires (没必要消防演练) is false. A 填空 without options
is read from the sentence its stem aligns with (``blanks``). A law named in the stem narrows the
search to it. A question the first articles found leave open is read again against more of them
(more strictly: see ``DEEPER_K``). Where no article settles a question, the answer is None (``undecided``).

>>> judge = StatementJudge(kb.search, kb.store)  # doctest: +SKIP
>>> judge.solve("特种设备使用单位应当在投入使用后60日内办理使用登记", []).answer  # doctest: +SKIP
'false'
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field
from typing import Callable

from regkb.corpus.law_names import full_law_name, generic_names, law_names, without_state_name
from regkb.corpus.numerals import NUMERAL_CHARS
from regkb.index.regions import Gazetteer, is_national
from regkb.service.exams.align import (DENIAL_RE, MIN_BLOCK, TRUE_COVERAGE, Composite, any_order, compare, conflicts,
                                       punished, skipped)
from regkb.service.exams.blanks import (constituent, fill_slots, in_sentence_order, option_fits, same_blank_answer,
                                        slot_text)
from regkb.service.exams.corpus import ARTICLE_LABEL_RE, ITEM_RE, strip_punctuation
from regkb.service.exams.generators import LETTERS
from regkb.service.exams.grades import accident_figures, defining_line, grade_definitions, grade_of, named_grades
from regkb.service.exams.hierarchy import outranks, rank, restated_otherwise, within_subject
from regkb.service.exams.stems import (CITED_LAW_RE, EDITION_RE, JUDGE_MARK_RE, LIST_SLOT_RE, NEGATIVE_STEM_RE,
                                       PAGE_MARK_RE, PREFIX_RE, STATEMENT_OPTIONS_RE, asked_blank, combination,
                                       counted_lead, duty_item, fitted, head_last, numbered_items, slot_sentence, with_key)
from regkb.service.exams.text import CLAUSE_MARK, SLOT_RE, canonical, standard_forms

_LAW_TITLE_RE = re.compile(r"(?:法|条例|办法|规定|细则)$")
LAW_NAME_SIMILARITY = 0.8  # 《建筑工程安全生产管理条例》 names 建设工程安全生产管理条例
# How much of a statement must line up with one sentence of an article before the sentence
# may decide it; below, the statement is about something else (or rephrased beyond checking).
FALSE_COVERAGE = 0.7
# A sentence that differs from a bank's 判断 in several words and no fact (安全生产规章制度和操作规程是安全
# 生产的重要保障 against 第二十一条's 制定安全生产规章制度和操作规程，保证…) is another text, not a
# refutation, unless it says as much of the statement as a proof would
MANY_SWAPS = 2
DOUBT_MARGIN = 0.05
ITEM_FOUND, ITEM_ABSENT = 0.8, 0.6
# An option read against one clause or one sentence (not the whole article) is absent only when
# the text shares almost nothing with it: an item restated in other words stays unclear
ITEM_UNSAID = 0.3
SHORT_NAME = 4  # characters of an option that is a name (施工单位, 协议无效), not a clause
LEAD_SAID = 0.9  # of a list question's lead an article must say for its items to count
BLANK_COVERAGE = 0.6  # of a 填空 stem's text aligned with the sentence that fills its blanks
BLANK_MARGIN = 0.1
BLANK_ADJACENT = 8  # characters right beside a 填空's blanks that let a looser alignment count
SLOT_ADJACENT = 16  # characters right beside a choice's blank that the sentence shares there too
MAX_SLOT_TEXT = 80  # characters a sentence may have at a multiple choice's blank
_POINTERS = ("下列", "以下")  # a sentence whose text at the blank points to the list that follows
SEARCH_K = 5
NAMED_LAW_DEPTH = 4
# Where the first SEARCH_K articles settle nothing, the question is read again against this many: on a
# library-scale shelf another regulation on the same subject can fill the first places (ten articles of the
# 大型群众性活动安全管理条例 above 消防法第二十条), and a question they leave open costs the deeper read only.
# Among that many articles only a refutation by one fact changed counts, and no option list is guessed.
DEEPER_K = 20
_NEGATION_RE = re.compile(r"[不未无非]")
_CLAUSE_END_RE = re.compile(r"[，,；;。]")
_DENIED_BEFORE_RE = re.compile(r"[不未无非]|禁止")
MIN_DENIED = 4  # characters of the denied act, and of the rest of the statement
MIN_COUNTED_LEAD = 6  # characters of the stem beside a count blank ("负有职责" alone is said by every duty list)
DENIAL_WINDOW = 4  # characters before the act in the article that may negate it
_CLAUSE_MODAL_RE = re.compile(r"应当|必须|不得|禁止|严禁|可以")  # a clause that begins with one leaves its subject out
_CLAUSE_RE = re.compile(r"[^；;。]+[；;。]?")
# the items of a list line (（一）…；（二）…, or …、…、…): where a shortened option is looked for
_ITEM_SPLIT_RE = re.compile(r"[、；;，,：:。]|[(（][一二三四五六七八九十]+[)）]")
# the bodies a list names ("…监察机关、公安机关以及工会派人组成"): its items, split at conjunctions too
_BODY_SPLIT_RE = re.compile(rf"{_ITEM_SPLIT_RE.pattern}|以及|及|和|与|或者|或")
# the heads of a body's name: banks write 公安部门 for the statute's 公安机关 (and 部门 for 机构)
_BODY_HEAD_RE = re.compile(r"(部门|机关|机构|组织)$")
# a list that ends in 等 ("…、登高架设作业人员等特种作业人员"): it names examples, not every item
_OPEN_LIST_RE = re.compile(r"、[^、，,；;。：:]{1,30}等(?![级同于])")
_ORGANISATION = "会"  # 工会, 委员会: a name that is an organisation already; 工会组织 is 工会
# "…有下列行为之一的，责令…罚款：" with its item "（六）未制定…预案的": banks write the item
# into the rule ("…未制定…预案的，责令…罚款"), so that reading is a candidate too.
_ONE_OF_RE = re.compile(r"有下列(?:行为|情形)之一的?")
_DEFINITION_RE = re.compile(r"^(?:本(?:法|条例|办法|规定)所称)?([^，,；;。]{2,20})[，,]?是指([^。]+?)[；;。]?$")
# a question that defines a term (…是指…) is settled only by a sentence that defines one: a rule that
# uses the term ("组织上岗前、在岗期间和离岗时的职业健康检查") neither proves nor refutes what it means
_DEFINES_RE = re.compile(r"是指|所称|系指")
_LISTED_KINDS_RE = re.compile(r"([^，,；;。等]{2,60}、[^，,；;。等]{2,60})等")  # the kinds a definition lists
_OMITTED_RE = re.compile(r"(?<!尚)未")  # 未实行 (left undone), not 尚未竣工 (not yet)
# "企业取得安全生产许可证，应具备的条件之三：设置…": the list's 项 said with its place in the list (之一: one of them)
# (三分之二 is a share, not a place)
_ORDINAL_RE = re.compile(r"的?([^，,；;。：:的之]{1,8})(?<!分)之([一二三四五六七八九十]+)[：:]")
_ONE_OF = "一"
_FORBIDDEN = "不得"  # canonical text says 不得 for 禁止 and 严禁 too
_OCCASION_RE = re.compile(r"([^，,；;。]{4,20}[后时])[，,]")  # "发生生产安全事故后，": when the rest holds
# "淘汰的危及生产安全的工艺、设备经维修可以使用": the object fronted, a condition, a modal and a short verb
# A 方针 named by its items after the verb that adopts it; a bank may quote the items and part them with
# commas ("落实“预防为主,治理为辅,统筹兼顾”的安全生产方针"), a statute parts them with 、
_POLICY_RE = re.compile(r"(?:坚持|贯彻|落实|实行|执行|遵循)(?:“([^“”]{4,40})”|([^“”，。；：]{4,40}?))的[^，。、“”的]{0,8}方针")
_POLICY_SPLIT_RE = re.compile(r"[、,，\s]+")
_FRONTED_RE = re.compile(r"^(?!不得|禁止|严禁)([^，,；;。]{6,40}?)[，,]?(?:经[^，,；;。]{1,8}[，,]?)?(可以|不得|禁止|严禁)([^，,；;。]{1,4})。?$")
# a sentence's subject, before what it does; a later clause that opens with a verb or modal leaves it out
_SUBJECT_RE = re.compile(r"^([^，,；;：:、的]{2,12}?)(?:对|应当|必须|有权|可以|不得|负责)")
# a statement's subject, before when, towards whom or what it does ("从业人员在工作过程中，…")
_OPENING_SUBJECT_RE = re.compile(r"^([^，,；;：:、]{2,12}?)(?=在|对|应当|必须|有权|可以|不得|负责|[，,；;])")
_ELIDED_RE = re.compile(r"发现|有权|应当|必须|可以|不得|负责")
# a figure with its unit after it (30日, 三十日, 二百元), not the 一 of 一般
_FIGURE_PATTERN = rf"(?:\d+(?:\.\d+)?|[{NUMERAL_CHARS}]+)(?=[日天年月个小人元倍%])"
_FIGURE_RE = re.compile(f"({_FIGURE_PATTERN})")
_FIGURE_TEXT_RE = re.compile(r"\d")  # a figure in canonical text (百分之八十 reads 80%)
PARALLEL_WORDS = 4  # characters besides its figures that a later clause must share with the first's frame
_ALTERNATIVE_RE = re.compile(r"(责令|处|吊销|暂扣)[^，,；;。：:或]{2,20}或者([^，,；;。：:或]{2,20})")
_GRADED_ITEM_RE = re.compile(r"^(发生(?:特别重大|重大|较大|一般)(?:生产安全)?事故)的?[，,](处[^；;。]+)")
_OCCASION_OPENING_RE = re.compile(r"^发生[^，,；;。]{0,8}事故[，,]")
_BY_ITEMS_RE = re.compile(r"[，,]?依照下列规定处以?罚款")
_AGENT_END_RE = re.compile(r"由[^，,；;。]{2,20}$")  # "…，由应急管理部门" before 依照下列规定: who fines
_ITEM_REFERENCE = r"第[(（]?[一二三四五六七八九十]+[)）]?项"
_REFERENCE_RE = re.compile(rf"有(?:前款|本条第[一二三四五六七八九十]+款){_ITEM_REFERENCE}(?:、{_ITEM_REFERENCE})*(?:行为|情形)(?:之一)?的")


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
    matched: float = 0.0  # characters of the statement the sentence holds, less what it says in between
    decisive: bool = False  # false by one fact changed (a figure, modal, negation, government)
    reworded: bool = False  # false by words swapped or added only, no fact opposed


@dataclass
class Solution:
    answer: str | None  # "true"/"false" or letters; None when no article settles it
    evidence: Evidence | None = None
    findings: list[Finding] = field(default_factory=list)  # a choice question's, per option
    negative: bool = False  # the stem asks for what is not so (不包括, 错误的是)


def numbered(text: str, number: str) -> Composite:
    """A 项 joined to its lead-in, with the 项's number in the article (二 for （二）)."""
    composite = Composite(text)
    composite.number = number
    return composite


class Violation(str):
    """A 项 of a violation list ("有下列行为之一的，…："), read alone: the act the rule punishes,
    which the article does not state as done or allowed."""


class PunishedAct(Composite, Violation):
    """A violation 项 written into the rule that punishes it."""


class StatementJudge:
    """Answers questions from the articles a search finds. ``search`` is
    ``KnowledgeBase.search``; ``store`` gives the whole article around a hit."""

    def __init__(self, search: Callable, store):
        self.search = search
        self.store = store
        self.depth = SEARCH_K  # articles read per search
        self._chunks: dict[str, list] = {}
        self._names: re.Pattern | None = None
        self._places: tuple[dict, Gazetteer] | None = None
        self._by_source: dict | None = None

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

    def _hits(self, query: str, law: str | None) -> list:
        """The articles a search finds, the named law's first."""
        if law:
            # the named law's articles first, from a deeper search (another law may rank above them)
            hits = self.search(query, k=self.depth * NAMED_LAW_DEPTH).hits
            return [h for h in hits if h.title and law in h.title][:self.depth] or hits[:self.depth]
        return self.search(query, k=self.depth).hits

    def _candidates(self, query: str, law: str | None) -> list[tuple[Evidence, list[str]]]:
        """(evidence, sentences) per article found: single sentences, and each 项 under its
        lead-in (so "发生较大事故的，处…罚款" is seen with the rule that introduces it)."""
        result = []
        for hit in self._hits(query, law):
            lines = self._article_lines(hit)
            sentences, leadin, items = [], "", {}
            for line in lines:
                if ITEM_RE.match(line):
                    item = ITEM_RE.sub("", line)
                    if leadin and _ONE_OF_RE.search(leadin):
                        item = Violation(item)
                    items[ITEM_RE.match(line).group(1)] = item
                    sentences += [item, *_defined(item)]
                    if leadin and _ONE_OF_RE.search(leadin):
                        # a violation written into its rule, in the order banks write it; the lead-in
                        # and the 项 read order-free would let the rule's words stand in for the
                        # 项's (严重 of 情节特别严重 for 较大以上 of the 项)
                        sentences.append(PunishedAct(_ONE_OF_RE.sub(item.rstrip("；;。的") + "的", leadin, count=1)))
                        sentences += _duty(leadin, item)
                    elif leadin:
                        sentences.append(numbered(leadin + item, ITEM_RE.match(line).group(1)))
                        sentences += _graded_rule(leadin, item)
                    continue
                leadin = line if line.endswith(("：", ":")) else ""
                sentences += _referred(line, items)
                sentences += _defined(line)
                sentences += [s for s in re.findall(r"[^。]+。?", line) if s.strip()]
                sentences += _elided_subject(line)
                sentences += _parallel_figure(line)
                sentences += _alternatives(line)
                if len(re.findall("。", line)) > 1:
                    sentences.append(line)
            if _DEFINES_RE.search(query):
                sentences = [s for s in sentences if _DEFINES_RE.search(s)]
            result.append((Evidence("", hit.source, hit.title, hit.article), sentences))
        return result

    def _documents(self) -> dict:
        """The store's documents by source file, read once."""
        if self._by_source is None:
            self._by_source = {d.source: d for d in self.store.documents()}
        return self._by_source

    def _elsewhere(self, evidence: Evidence, statement: str) -> bool:
        """Whether the evidence is a local text of a place the statement does not name (a 山东
        regulation's article for a question on the national rule)."""
        if self._places is None:
            documents = self._documents()
            self._places = documents, Gazetteer([d.region for d in documents.values()])
        documents, places = self._places
        document = documents.get(evidence.source)
        if document is None or is_national(document) or not document.region:
            return False
        return not any(name in statement for name in places.chain(document.region))

    def _overruled(self, target: str, proof: Finding, refutations: list[Finding]) -> Finding | None:
        """The refutation by a text that outranks the one whose sentence proves the statement (canonical
        ``target``), rules its matter, and states that sentence's rule with other figures, the statement's
        among them not (上位法优先: the 特种设备安全法's fine over the 特种设备安全监察条例's for one conduct); the
        highest-ranked such text's. None where no text in force overrules the proof."""
        documents = self._documents()
        lower = documents.get(proof.evidence.source)
        if lower is None:
            return None
        said = self._canonical(proof.evidence.sentence)
        overruling = [finding for finding in refutations
                      if (higher := documents.get(finding.evidence.source)) is not None
                      and outranks(higher, lower) and within_subject(higher, lower, target)
                      and restated_otherwise(target, said, self._canonical(finding.evidence.sentence))]
        return min(overruling, key=lambda finding: (rank(documents[finding.evidence.source]), -finding.coverage),
                   default=None)

    # --- statements -------------------------------------------------------------------

    def _law_names(self) -> re.Pattern:
        """The titles of the laws in the store as a statement may name them (《特种设备安全法》, 特种设备安全法)."""
        if self._names is None:
            names = {name for title in self._titles() for name in law_names(title) if name not in generic_names()}
            pattern = "|".join(sorted(map(re.escape, names), key=len, reverse=True)) or "(?!)"
            self._names = re.compile(f"《?(?:中华人民共和国)?(?:{pattern})》?")
        return self._names

    def _titles(self) -> set[str]:
        return {without_state_name(d.title) for d in self.store.documents()
                if d.title and re.search(r"(?:法|条例|办法|规定)$", d.title)}

    def _canonical(self, text: str) -> str:
        return canonical(self._law_names().sub("本法", standard_forms(text)))

    def judge_statement(self, statement: str, law: str | None = None, candidates=None, order_free: bool = True,
                        reworded: bool = False) -> Finding:
        """Whether the articles found say ``statement``, say something else in its place, or neither
        (a statement that denies what an article requires is false). A ``reworded`` statement (a 判断
        as a bank words it, not an option written into a stem's blank) that differs from a sentence
        in several words and no fact, short of the coverage a proof needs, is another text."""
        target = self._canonical(statement)
        if len(target) < 6:
            return Finding(None, 0.0)
        ordinal = _ORDINAL_RE.search(statement)
        if ordinal:
            return self._ordinal_item(statement, ordinal, law, order_free, reworded)
        candidates = candidates if candidates is not None else self._candidates(statement, law)
        fronted = self._fronted(statement, law, candidates, order_free)
        if fronted:
            return fronted  # aligned in order, its modal would stand where the article's verb does
        best_true: Finding | None = None
        best_false: Finding | None = None
        refutations: list[Finding] = []  # every sentence that says most of the statement otherwise
        doubt = 0.0  # the best coverage of a sentence that disagrees with nothing, short of proof
        # "…未经…培训，不得从事相关工作": without its 不得, the act a rule punishes (…即从事相关工作的，责令…)
        act = target.replace(_FORBIDDEN, "", 1) if target.count(_FORBIDDEN) == 1 else None
        for evidence, sentences in candidates:
            for sentence in sentences:
                # a law's name reads as 本法 on both sides ("根据《中华人民共和国安全生产法》…，制定本条例")
                other = self._canonical(sentence)
                coverage, conflicts, inserts, decisive, soft_only = compare(target, sentence, order_free, other)
                found = Evidence(sentence, evidence.source, evidence.title, evidence.article)
                if conflicts and coverage >= FALSE_COVERAGE:
                    refutations.append(Finding(False, coverage, found, coverage * len(target), decisive=True))
                if act and (best_true is None or best_true.coverage < 1.0):
                    forbidden = self._forbidden(act, sentence, other, found)
                    if forbidden and (best_true is None or forbidden.coverage > best_true.coverage):
                        best_true = forbidden
                if conflicts == 0 and coverage >= TRUE_COVERAGE and inserts <= 1 and _punishes(target, sentence, other):
                    # the statement states an act the article punishes (a violation 项 read alone,
                    # or a rule's "…的，责令…"): the act is not allowed, the statement is not so
                    if best_false is None or coverage > best_false.coverage:
                        best_false = Finding(False, coverage, found, coverage * len(target))
                elif conflicts == 0 and coverage >= TRUE_COVERAGE and inserts <= 1:
                    if best_true is None or coverage > best_true.coverage:
                        fit = coverage * len(target) - skipped(target, other)
                        best_true = Finding(True, coverage, found, fit)
                elif conflicts and coverage >= FALSE_COVERAGE and not _forbids(target, sentence) and not (
                        reworded and soft_only and conflicts >= MANY_SWAPS and coverage < TRUE_COVERAGE) and (
                        decisive or self.depth <= SEARCH_K):
                    # among a deeper search's many articles some sentence differs from any statement in a
                    # word or two (安全生产规章制度…重要保障 against 第二十八条's 熟悉…规章制度): there only one
                    # fact changed refutes
                    if best_false is None or coverage > best_false.coverage:
                        best_false = Finding(False, coverage, found, coverage * len(target), decisive, soft_only)
                elif not conflicts:
                    doubt = max(doubt, coverage)
        # a 项 read into its rule yields to a sentence that says it in order, and a local text of a
        # place the statement does not name to a text that applies there (the national law's 每日
        # where a 山东 article, its clauses in another order, let 每周 pass as a word added)
        if best_true and not (best_false and best_false.coverage > best_true.coverage and (
                isinstance(best_true.evidence.sentence, Composite)
                or (self._elsewhere(best_true.evidence, statement)
                    and not self._elsewhere(best_false.evidence, statement)))):
            return self._overruled(target, best_true, refutations) or best_true
        # a sentence that matches about as well without any conflict may be the statement
        # reworded (a 项 written into its rule): then the article does not settle it
        if best_false and doubt < best_false.coverage - DOUBT_MARGIN:
            return best_false
        if DENIAL_RE.search(statement):
            return self._denied(statement, candidates)
        return (self._in_context(statement, law, candidates, order_free) or self._policy(statement, candidates)
                or self._elided(statement, law, candidates, order_free))

    def _ordinal_item(self, statement: str, ordinal: re.Match, law: str | None, order_free: bool,
                      reworded: bool) -> Finding:
        """A 项 said with its place in the list ("…应具备的条件之三：设置安全生产管理机构…"): the 项 read under
        the list's lead-in (…应具备下列条件：…), then its number: the 项 proven at another place is another
        fact; one proven by a sentence that is no numbered 项 leaves the place unread (undecided). 之一 says
        one of the list's 项, at no place."""
        listed = f"{statement[:ordinal.start()]}{_POINTERS[0]}{ordinal.group(1)}：{statement[ordinal.end():]}"
        finding = self.judge_statement(listed, law, None, order_free, reworded)
        if finding.verdict is not True or ordinal.group(2) == _ONE_OF:
            return finding
        number = getattr(finding.evidence.sentence, "number", None)
        if number is None:
            return Finding(None, 0.0)
        if number == ordinal.group(2):
            return finding
        return Finding(False, finding.coverage, finding.evidence, finding.matched, decisive=True)

    def _in_context(self, statement: str, law: str | None, candidates, order_free: bool) -> Finding | None:
        """A statement that opens with when it holds ("发生生产安全事故后，实行施工总承包的建设工程，由总承包单位
        负责上报事故"), where the article says the rule in one 款 and the occasion in another: true when the
        rest is proven and a sentence of the same article says the occasion with no fact opposed. None
        otherwise (a changed occasion, 发生较大事故后, is not said, and the statement stays open)."""
        match = _OCCASION_RE.match(statement)
        if not match:
            return None
        rule = self.judge_statement(statement[match.end():], law, candidates, order_free)
        if not rule.verdict:
            return None
        occasion = self._canonical(match.group(1))
        article = (rule.evidence.title, rule.evidence.article)
        said = any(_says(occasion, self._canonical(sentence)) for evidence, sentences in candidates
                   if (evidence.title, evidence.article) == article for sentence in sentences)
        return rule if said else None

    def _fronted(self, statement: str, law: str | None, candidates, order_free: bool) -> Finding | None:
        """A statement that puts the object first ("淘汰的危及生产安全的工艺、设备经维修可以使用") read in
        the article's order, as a ban ("不得使用淘汰的…设备"): where an article says the ban, a statement
        that allows the act (可以, under a condition of its own or not) is false, one that forbids it true.
        None otherwise."""
        match = _FRONTED_RE.match(statement)
        if not match:
            return None
        thing, modal, act = match.groups()
        ban = self.judge_statement(f"不得{act}{thing}。", law, candidates, order_free)
        if not ban.verdict:
            return None
        return Finding(modal != "可以", ban.coverage, ban.evidence, ban.matched, decisive=True)

    @staticmethod
    def _forbidden(act: str, sentence: str, other: str, found: Evidence) -> Finding | None:
        """A statement that forbids (不得) what an article punishes says what the rule implies: the
        statement without its 不得 (``act``) is said by a violation 项 or by a rule's "…的，责令…",
        with nothing opposed. None otherwise."""
        coverage, conflicts, inserts, *_ = compare(act, sentence, False, other)
        if conflicts or coverage < TRUE_COVERAGE or inserts > 1 or not _punishes(act, sentence, other):
            return None
        return Finding(True, coverage, found, coverage * len(act))

    @staticmethod
    def _policy(statement: str, candidates) -> Finding | None:
        """A statement that names a 方针 by its items ("落实“预防为主、治理为辅、统筹兼顾”的安全生产方针")
        where the articles found name their 方针 otherwise: false when an item of the statement is in
        no 方针 of theirs, though some 方针 found shares one of its items (the articles found are on that
        方针: 安全生产法's 安全第一、预防为主、综合治理). A statement whose items are all in some 方针 found
        (消防法's 预防为主、防消结合 said of 安全生产) is left open. None when no such 方针 is named."""
        items = _policy_items(statement)
        if len(items) < 2:
            return None
        policies = [(_policy_items(sentence), evidence, sentence)
                    for evidence, sentences in candidates for sentence in sentences]
        related = [(theirs, evidence, sentence) for theirs, evidence, sentence in policies if theirs & items]
        if not related or items <= set().union(*(theirs for theirs, *_ in related)):
            return None
        theirs, evidence, sentence = max(related, key=lambda policy: len(policy[0] & items))
        return Finding(False, len(theirs & items) / len(items),
                       Evidence(sentence, evidence.source, evidence.title, evidence.article), decisive=True)

    def _elided(self, statement: str, law: str | None, candidates, order_free: bool) -> Finding:
        """A statement of clauses after the first that begin with a modal and leave the subject out
        ("建筑施工企业不得冒用安全生产许可证，可以转让安全生产许可证"): each such clause is read with
        the first's subject. One that an article says with one fact changed (不得转让) makes the
        whole false; the whole is true where every clause is proven (two rules of one article)."""
        clauses = [c.strip() for c in _CLAUSE_END_RE.split(statement.rstrip("。")) if c.strip()]
        subject = _CLAUSE_MODAL_RE.search(clauses[0]) if len(clauses) > 1 else None
        if subject is None or subject.start() < MIN_DENIED:
            return Finding(None, 0.0)
        elided = [clauses[0][:subject.start()] + c for c in clauses[1:] if _CLAUSE_MODAL_RE.match(c)]
        findings = [self.judge_statement(c + "。", law, candidates, order_free) for c in elided]
        refuting = next((f for f in findings if f.verdict is False and f.decisive and f.coverage >= TRUE_COVERAGE), None)
        if refuting or len(elided) != len(clauses) - 1:
            return refuting or Finding(None, 0.0)
        first = self.judge_statement(clauses[0] + "。", law, candidates, order_free)
        return first if first.verdict and all(f.verdict for f in findings) else Finding(None, 0.0)

    def _denied(self, statement: str, candidates) -> Finding:
        """A statement that denies a duty or a right the article gives ("…；没必要消防演练" where
        the article lists 组织进行有针对性的消防演练) is false: the rest of the statement must be
        said by an article (in other words, but with no other figure, modal or negation), and the
        denied act stated in that article with no negation before it, or in a sentence of another
        article found that gives it to the statement's subject ("从业人员在工作过程中，应当服从管理，
        无权对…提出建议": 服从管理 is 第五十七条's, 有权对…提出建议 第五十三条's, both of the 从业人员)."""
        match = DENIAL_RE.search(statement)
        clause_end = _CLAUSE_END_RE.search(statement, match.end())
        end = clause_end.start() if clause_end else len(statement)
        denied = canonical(statement[match.end():end])
        rest = self._canonical(statement[:match.start()] + statement[end:])
        if len(denied) < MIN_DENIED or len(rest) < MIN_DENIED:
            return Finding(None, 0.0)
        saying = {(evidence.title, evidence.article) for evidence, sentences in candidates for sentence in sentences
                  if _says(rest, self._canonical(sentence))}
        opening = _OPENING_SUBJECT_RE.match(statement)
        subject = canonical(opening.group(1)) if opening and saying else None
        for evidence, sentences in candidates:
            for sentence in sentences:
                other = self._canonical(sentence)
                coverage, conflicts_, *_ = compare(denied, sentence, order_free=False, other=other)
                start = other.find(denied[:MIN_BLOCK])
                given = (evidence.title, evidence.article) in saying or bool(subject and subject in other[:max(start, 0)])
                if given and conflicts_ == 0 and coverage >= TRUE_COVERAGE and start >= 0 and not _DENIED_BEFORE_RE.search(
                        other[max(0, start - DENIAL_WINDOW):start]):
                    found = Evidence(sentence, evidence.source, evidence.title, evidence.article)
                    return Finding(False, coverage, found, coverage * len(denied), decisive=True)
        return Finding(None, 0.0)

    # --- questions --------------------------------------------------------------------

    def read_stem(self, stem: str) -> tuple[str, str | None]:
        """The stem without its 根据《…》 lead-in (a decree or edition after the title too) or a 判断's closing （ ）,
        and the law it names."""
        stem = EDITION_RE.sub("", JUDGE_MARK_RE.sub("", PAGE_MARK_RE.sub("", stem).strip()))
        # the first law named that the store holds ("违反《…应急管理办法》…，依照《生产安全事故报告和调查处理条例》")
        named = (self.law_title(name) for name in CITED_LAW_RE.findall(stem))
        return duty_item(PREFIX_RE.sub("", stem)), next((title for title in named if title), None)

    def read_choice_stem(self, stem: str) -> tuple[str, str | None]:
        """``read_stem`` for a question with options: "…由谁承担？" asks where other banks put a blank, so its
        question word is read as the blank; a stem written with its blank ("…受到哪些处理？（ ）", whose closing
        blank ``read_stem`` drops) keeps it, its question word asking for the options that fill it."""
        body, law = self.read_stem(stem)
        return (body if SLOT_RE.search(stem) else asked_blank(body)), law

    def law_title(self, name: str) -> str | None:
        """The title (without 中华人民共和国) of the law in the store that a stem's 《…》 names:
        written in full, or loosely. The one place that reads a law's name, so a table of short
        names can take over here."""
        name = without_state_name(name)
        titles = self._titles()
        named = full_law_name(name, sorted(titles))  # the title, or a short name (特设法, 危化品条例)
        if named:
            return named
        ratio, title = max(((difflib.SequenceMatcher(None, name, t).ratio(), t) for t in titles), default=(0.0, None))
        return title if ratio >= LAW_NAME_SIMILARITY else None

    def foreign(self, stem: str) -> bool:
        """Whether the stem names laws and the store holds none of them (违反《建筑法》规定…): the
        articles found are another law's, and what they say does not settle the question."""
        named = [name for name in CITED_LAW_RE.findall(stem) if _LAW_TITLE_RE.search(name)]
        if not named or any(self.law_title(name) for name in named):
            return False
        # a sentence found that names the law itself and says most of the stem ("工伤保险费的征缴按照《社会保险费
        # 征缴暂行条例》…执行"): the stem quotes that sentence, it does not ask under another law
        text = SLOT_RE.sub("", stem)
        wanted, quoted = self._canonical(text), {f"《{name}》" for name in named}
        return not any(any(name in sentence for name in quoted)
                       and conflicts(wanted, self._canonical(sentence)).coverage >= BLANK_COVERAGE
                       for _, sentences in self._candidates(text, None) for sentence in sentences)

    def _deeper_if_open(self, settle: Callable, settled: Callable):
        """``settle(judge)`` read against the first SEARCH_K articles of each search, and where
        that leaves the question open (not ``settled``), against DEEPER_K (a copy of the judge, so
        that one shared by several requests keeps its depth)."""
        result = settle(self)
        if settled(result) or self.depth >= DEEPER_K:
            return result
        deeper = copy.copy(self)
        deeper.depth = DEEPER_K
        return settle(deeper)

    def solve(self, stem: str, options: list[str], kind: str | None = None) -> Solution:
        """The answer the articles imply for one question (``kind`` judge/single/multi/blank;
        guessed from the stem and options when None)."""
        return self._deeper_if_open(lambda judge: judge._solve(stem, options, kind),
                                    lambda solution: solution.answer is not None)

    def _solve(self, stem: str, options: list[str], kind: str | None) -> Solution:
        if self.foreign(stem):
            return Solution(None)
        body, law = self.read_choice_stem(stem) if options and kind != "judge" else self.read_stem(stem)
        # a page number copied from a printed book sits in options too ("30- 25 -")
        options = [fitted(body, PAGE_MARK_RE.sub("", o)) for o in options if o and o.strip()]
        numbered = self._combined(body, options, law, kind)
        if numbered:
            return numbered
        if not options and (kind == "blank" or (kind is None and SLOT_RE.search(body))):
            return self._blank(body, law)
        if not options or kind == "judge":
            finding = self.judge_statement(SLOT_RE.sub("", body).rstrip("。") + "。", law, reworded=True)
            verdict = None if finding.verdict is None else ("true" if finding.verdict else "false")
            return Solution(verdict, finding.evidence)
        if kind in ("single", None) and SLOT_RE.match(body) and all(CITED_LAW_RE.fullmatch(o) for o in options):
            which = self._which_law(body, options)
            if which.answer:
                return which
        counted = self._counted(body, options, law) if kind in ("single", None) else None
        if counted:
            return counted
        graded = self._graded(body, options, law, kind) if kind in ("single", "multi", None) else None
        if graded:
            return graded
        findings = self._options(body, options, law, kind)
        negative = bool(NEGATIVE_STEM_RE.search(body))
        answer, evidence = _choose(findings, negative, kind, options)
        if answer is None and kind in ("single", None) and not negative and SLOT_RE.search(body):
            answer, evidence = self._slot_choice(body, options, law)
            if answer is None and head_last(body) != body:
                answer, evidence = self._slot_choice(head_last(body), options, law)
            if answer is None:
                answer, evidence = _reworded_only(findings)
        return Solution(answer, evidence, findings=findings, negative=negative)

    def _counted(self, body: str, options: list[str], law: str | None) -> Solution | None:
        """"…对本单位安全生产工作负有（ ）条的职责" with numbers for options: the option that is the number of
        项 under the lead-in that says the rest of the stem ("…负有下列职责："). None where no lead-in says
        it, lead-ins that say it differ in their number of 项, or not one option is that number."""
        read = counted_lead(body, options)
        if read is None:
            return None
        wanted = self._canonical(read[0])
        if len(wanted) < MIN_COUNTED_LEAD:
            return None
        lists = {}  # the number of 项 each lead-in that says the stem introduces, with the lead-in
        for hit in self._hits(read[0], law):
            lines = self._article_lines(hit)
            for i, line in enumerate(lines):
                if not line.endswith(("：", ":")) or not _says(wanted, self._canonical(line)):
                    continue
                items = next((n for n, later in enumerate(lines[i + 1:]) if not ITEM_RE.match(later)), len(lines) - i - 1)
                if items >= 2:
                    lists.setdefault(items, Evidence(line, hit.source, hit.title, hit.article))
        chosen = [i for i, count in enumerate(read[1]) if count in lists]
        if len(lists) != 1 or len(chosen) != 1:
            return None
        return Solution(LETTERS[chosen[0]], lists[read[1][chosen[0]]])

    def _graded(self, body: str, options: list[str], law: str | None, kind: str | None) -> Solution | None:
        """An accident's grade read from its figures by an article's grade definitions (事故条例第三条): the
        option that is the grade of the accident the stem describes ("直接经济损失1946万元…属于（ ）", options
        一般事故…特别重大事故), or the options describing accidents of the grade the stem names ("属于重大事故的有",
        "…31人死亡的事故"; not of it where the stem asks what is not). None where the question is of neither
        form or an accident's figures fall in no grade or in several."""
        stem_figures = accident_figures(body)
        option_figures = [accident_figures(o) for o in options]
        if not options or not (stem_figures or all(option_figures)):
            return None
        negative = bool(NEGATIVE_STEM_RE.search(body))
        for hit in self._hits(SLOT_RE.sub("", body), law):
            lines = self._article_lines(hit)
            definitions = grade_definitions(lines)
            if len(definitions) < 2:
                continue
            option_grades = [set(named_grades(o if o.endswith("事故") else o + "事故", definitions)) for o in options]
            if stem_figures and not negative and all(len(g) == 1 and len(o) <= len(min(g)) + 2
                                                     for g, o in zip(option_grades, options)):
                wanted = grade_of(stem_figures, definitions)
                chosen = [i for i, grades in enumerate(option_grades) if wanted in grades]
            elif all(option_figures) and len(set(named_grades(body, definitions))) == 1:
                wanted = named_grades(body, definitions)[0]
                graded = [grade_of(figures, definitions) for figures in option_figures]
                if None in graded:
                    return None
                chosen = [i for i, grade in enumerate(graded) if (grade == wanted) != negative]
            else:
                continue
            if wanted is None or not chosen or (kind != "multi" and len(chosen) != 1):
                return None
            quote = defining_line(lines, wanted)
            return Solution("".join(LETTERS[i] for i in chosen), Evidence(quote, hit.source, hit.title, hit.article))
        return None

    def _which_law(self, body: str, options: list[str]) -> Solution:
        """"（ ）规定了国家对…实行安全生产许可制度", a stem that begins with its blank and has laws for
        options: the option naming the one law among them whose article says the rest of the stem
        (reworded, but no figure, modal or negation opposed)."""
        statement = self._canonical(SLOT_RE.sub("", body))
        saying = {}
        for evidence, sentences in self._candidates(SLOT_RE.sub("", body), None):
            quote = next((s for s in sentences if _says(statement, self._canonical(s))), None)
            if quote and evidence.title:
                saying.setdefault(without_state_name(evidence.title), Evidence(quote, evidence.source, evidence.title,
                                                                               evidence.article))
        named = [self.law_title(CITED_LAW_RE.fullmatch(o).group(1)) for o in options]
        chosen = [i for i, title in enumerate(named) if title in saying]
        if len(chosen) != 1:
            return Solution(None)
        return Solution(LETTERS[chosen[0]], saying[named[chosen[0]]])

    def _combined(self, body: str, options: list[str], law: str | None, kind: str | None) -> Solution | None:
        """A stem whose options combine items it numbers (①…②…; a 填空 asks for their marks): the
        items read as the options of a 多选 under the stem's question, and the option (or the
        marks) of the items that hold. None where the stem is not of that kind."""
        numbered = numbered_items(body)
        combined = [combination(o) for o in options]
        if not numbered or not (all(combined) if options else kind == "blank"):
            return None
        lead, items = numbered
        marks = list(items)
        held = self._solve(lead, list(items.values()), "multi")
        if held.answer is None:
            return Solution(None)
        chosen = [marks[LETTERS.index(letter)] for letter in held.answer]
        if not options:
            return Solution("".join(chosen), held.evidence)
        same = [i for i, marks_named in enumerate(combined) if marks_named == frozenset(chosen)]
        return Solution(LETTERS[same[0]], held.evidence) if len(same) == 1 else Solution(None)

    def _slot_choice(self, body: str, options: list[str], law: str | None) -> tuple[str | None, Evidence | None]:
        """A single choice read as a 填空 with options: the option that is (or, where the stem
        shortens the sentence, stands right beside) the text that the sentence best aligned with
        the stem has at the blank. Settles what filling each option in cannot: options proven
        alike by words found elsewhere in the sentence (协议 and 安全生产管理协议), or all refuted by
        a difference of the stem's own (可处 where the article says 处)."""
        stem = self._law_names().sub("本法", slot_sentence(body))
        fits = []
        for found, sentences in self._candidates(SLOT_RE.sub("", body), law):
            for sentence in sentences:
                fit = option_fits(stem, sentence, options)
                if fit and fit[0] < BLANK_COVERAGE:
                    fit = (self._reordered(stem, sentence, fit[0]), *fit[1:])
                if not fit or not max(fit[2]):
                    # the stem's clauses in another order than the sentence's: read in the sentence's order
                    moved = in_sentence_order(stem, sentence)
                    fit = (option_fits(moved, sentence, options) if moved != stem else None) or fit
                # a long stem (a preamble of its own) may share little with the sentence as a
                # whole but much right beside the blank
                if fit and (fit[0] >= BLANK_COVERAGE or fit[1] >= SLOT_ADJACENT):
                    fits.append((fit, Evidence(sentence, found.source, found.title, found.article)))
        if not fits:
            return None, None
        top = max(fit[0] for fit, _ in fits)
        fitting = [(fit, evidence) for fit, evidence in fits
                   if (fit[0] >= top - BLANK_MARGIN or fit[1] >= SLOT_ADJACENT) and max(fit[2])]
        if not fitting:
            return None, None
        (_, _, scores), evidence = max(fitting, key=lambda f: f[0][:2])
        best = [i for i, score in enumerate(scores) if score == max(scores)]
        if len(best) != 1:
            return None, None
        # the sentence's text at the blank is another grade's when the stem names the grade
        # otherwise (特别重大事故 aligned with "重大事故、较大事故、一般事故，…15日内…；特别重大事故，30日内")
        filled = self._canonical(SLOT_RE.sub(options[best[0]], stem, count=1))
        return (None, None) if conflicts(filled, self._canonical(evidence.sentence)).grades else (LETTERS[best[0]], evidence)

    def _reordered(self, stem: str, sentence: str, coverage: float) -> float:
        """The share of a stem's text aligned with a sentence, read in any order where the sentence
        says nearly all of it (its clauses in another order); ``coverage`` (in order) otherwise.
        The text right beside the blank has lined up already."""
        loose = any_order(self._canonical(SLOT_RE.sub("", stem)), self._canonical(sentence))
        return loose if loose >= TRUE_COVERAGE else coverage

    def check(self, stem: str, options: list[str], kind: str | None, key: str) -> tuple[str, Solution]:
        """A bank's key against the articles: (agrees/disagrees/undecided, what they imply)."""
        return self._deeper_if_open(lambda judge: judge._check(stem, options, kind, key),
                                    lambda checked: checked[0] != "undecided")

    def _check(self, stem: str, options: list[str], kind: str | None, key: str) -> tuple[str, Solution]:
        options = [o for o in options if o and o.strip()]
        if self.foreign(stem):
            return "undecided", Solution(None)
        blank = kind == "blank" and not options
        body, law = self.read_stem(stem) if blank else ("", None)
        if blank and not numbered_items(body):
            # the key written into the blanks may be an article's sentence word for word
            filled = self.judge_statement(with_key(body, key).rstrip("。") + "。", law)
            if filled.verdict:
                return "agrees", Solution(key, filled.evidence)
            solution = self._blank(body, law)
            same = same_blank_answer(solution.answer, key) if solution.answer else None
            if same is None and filled.verdict is False and filled.decisive and filled.coverage >= TRUE_COVERAGE:
                return "disagrees", Solution(None, filled.evidence)  # the key changes one fact of a sentence
        else:
            solution = self._solve(stem, options, kind)
            same = None if solution.answer is None else solution.answer == key
            refuting = _refuting(solution, kind, key) if same is None else None
            if refuting:
                # no option is proven, but the article says the key is not the answer
                return "disagrees", Solution(None, refuting.evidence)
            unoffered = self._figure_not_offered(stem, options, key) if same is None and kind == "single" else None
            if unoffered:
                return "disagrees", Solution(None, unoffered)
        return {True: "agrees", False: "disagrees", None: "undecided"}[same], solution

    def _figure_not_offered(self, stem: str, options: list[str], key: str) -> Evidence | None:
        """A single choice whose blank the articles fill with a figure that no option gives (a key
        in the 2014 law's 60%，80% where 第九十五条 now says 百分之八十 and 百分之一百): the key is not
        the answer, whatever the other options. Each blank is filled in its own clause (the stem's
        lead-in before a list of clauses, one blank each, kept before every clause), and the
        clause with the article's figure written in must be said by an article. None where a
        blank is not filled, its fill or the key's piece holds no figure, or some option gives the
        figure found."""
        body, law = self.read_choice_stem(stem)
        if NEGATIVE_STEM_RE.search(body) or key not in LETTERS[:len(options)]:
            return None
        clauses = _slot_clauses(body)
        pieces = [fitted(body, o).split("；") for o in options]
        if not clauses or any(len(p) != len(clauses) for p in pieces):
            return None
        for i, clause in enumerate(clauses):
            found = self._blank(clause, law).answer
            if not found or not _FIGURE_TEXT_RE.search(canonical(found)):
                continue
            offered = [p[i] for p in pieces]
            if not all(_FIGURE_TEXT_RE.search(canonical(o)) and same_blank_answer(found, o) is False for o in offered):
                continue
            proof = self.judge_statement(with_key(clause, found).rstrip("。") + "。", law)
            if proof.verdict and proof.coverage >= TRUE_COVERAGE:
                return proof.evidence
        return None

    def _blank(self, body: str, law: str | None) -> Solution:
        """A 填空 without options: the text that an article sentence has at the blanks. Of the
        sentences that align about as well as the best, the one that shares the most text right
        beside the blanks decides (自事故发生之日起30日内 over 火灾事故自发生之日起7日内). A stem
        that names its 方针 before the blank is read again with the head where articles say it."""
        solution = self._fill(body, law)
        moved = head_last(body)
        return self._fill(moved, law) if solution.answer is None and moved != body else solution

    def _fill(self, body: str, law: str | None) -> Solution:
        fills = []
        # a law the stem names reads as the 本法 its articles say ("是制定《安全生产法》的目的之一")
        stem = self._law_names().sub("本法", body)
        for found, sentences in self._candidates(SLOT_RE.sub("", body), law):
            for sentence in sentences:
                fill = fill_slots(stem, sentence)
                if fill and fill.coverage < BLANK_COVERAGE:
                    fill.coverage = self._reordered(body, sentence, fill.coverage)
                if fill and all(map(constituent, fill.texts)) and fill.coverage >= BLANK_COVERAGE - BLANK_MARGIN and (
                        fill.adjacent >= MIN_BLOCK or fill.coverage >= TRUE_COVERAGE):
                    fills.append((fill, Evidence(sentence, found.source, found.title, found.article)))
        # where no sentence aligns well, a stem that words its lead its own way may still hold the
        # sentence's text on both sides of the blank ("施工单位（还）应当组织（ ）进行论证、审查")
        fills = [f for f in fills if f[0].coverage >= BLANK_COVERAGE] or [f for f in fills if f[0].adjacent >= BLANK_ADJACENT]
        if not fills:
            return Solution(None)
        top = max(fill.coverage for fill, _ in fills)
        fill, evidence = max((f for f in fills if f[0].coverage >= top - BLANK_MARGIN),
                             key=lambda f: (f[0].adjacent, f[0].coverage))
        return Solution("；".join(fill.texts), evidence)

    def _options(self, body: str, options: list[str], law: str | None, kind: str | None) -> list[Finding]:
        slot = SLOT_RE.search(body)
        tail = body[slot.end():] if slot else ""
        lead = SLOT_RE.sub("", body)
        if slot and strip_punctuation(tail) and not LIST_SLOT_RE.search(body[:slot.start()]):
            # the blank is inside the sentence: each option filled in is a statement
            if kind == "multi" and _NEGATION_RE.search(lead):
                # a list the lead denies ("（ ）的…不适用本条例"): an option filled in could borrow the
                # denial from the clause beside its affirmative twin, so the items are read in the
                # clause that says the lead
                listed = self._listed(lead, options, law, kind, lead_said=True, within_clause=True)
                if any(f.verdict is not None for f in listed):
                    return listed
            candidates = self._candidates(lead, law)
            if kind == "multi" and not NEGATIVE_STEM_RE.search(body):
                items = self._slot_items(body, options, candidates)
                if items:
                    return items
            # the stem fixes the order: an option's words found elsewhere in the sentence do not count
            findings = [self.judge_statement(with_key(body, o), law, candidates, order_free=False)
                        for o in options]
            if kind == "multi":
                findings = self._absent_beside(findings, options, candidates)
            if all(f.verdict is not None for f in findings) or any(f.verdict for f in findings):
                return findings
            # options that are the items of a list the article words its own way ("为了（ ），根据…制定"
            # over "为了规范…，防止和减少…，根据…，制定本条例")
            listed = self._listed(lead, options, law, kind, lead_said=True)
            return listed if any(f.verdict is not None for f in listed) else findings
        if STATEMENT_OPTIONS_RE.search(body):
            findings = [self.judge_statement(o, law) for o in options]
            return self._unsaid_beside(findings, options, law) if kind == "multi" else findings
        listed = self._listed(lead, options, law, kind)
        if slot and kind == "single" and all(f.verdict is None for f in listed):
            # a blank that ends the stem after its question ("…分为哪几个等级（ ）"): where no list of the
            # articles names the options, each option written in may be the sentence's own end
            return [self.judge_statement(with_key(body, o), law, order_free=False) for o in options]
        return listed

    def _slot_items(self, body: str, options: list[str], candidates) -> list[Finding] | None:
        """A multiple choice whose blank stands inside a sentence: the options are read as items
        of what the sentence best aligned with the stem says at the blank (决策机构、主要负责人或者
        个人经营的投资人 for "由生产经营单位的（ ）予以保证"): an option said there is in the key, one
        sharing almost nothing with it is not (总经理, 董事会). Where the sentence points to its
        list (对下列…工程编制专项施工方案), the article's 项 are read. None when no sentence lines up,
        an option stays unclear, or fewer than two are in."""
        stem = self._law_names().sub("本法", slot_sentence(body))
        best = None
        for found, sentences in candidates:
            for sentence in sentences:
                aligned = slot_text(stem, sentence)
                if aligned and aligned[0] >= BLANK_COVERAGE and len(aligned[1]) <= MAX_SLOT_TEXT and (
                        best is None or aligned[0] > best[0]):
                    best = (aligned[0], aligned[1], Evidence(sentence, found.source, found.title, found.article), sentences)
        if best is None:
            return None
        _, there, evidence, sentences = best
        # the text at the blank is read clause by clause ("防止生产安全事故" is said by "防止和减少生产安全事故")
        flat = there.replace(CLAUSE_MARK, "")
        text, lines = (self._canonical("".join(sentences)), sentences) if flat in _POINTERS else (flat, there.split(CLAUSE_MARK))
        findings = [_item(self._canonical(option), text, lines, evidence, ITEM_UNSAID, self._canonical) for option in options]
        if any(f.verdict is None for f in findings) or sum(bool(f.verdict) for f in findings) < 2:
            return None
        return findings

    def _listed(self, lead: str, options: list[str], law: str | None, kind: str | None,
                lead_said: bool = False, within_clause: bool = False) -> list[Finding]:
        """"…包括（ ）": each option is looked up among the lines of the articles that say the
        stem's lead (第六十七条 and 第六十八条 both speak of 安全生产监督检查人员, and an option may
        restate either); where no article says it (and ``lead_said`` does not ask for one), in the
        article where the most options are found. With ``within_clause`` the items are read in the
        clause that says the lead alone, and a list the lead introduces as 项 is not read."""
        wanted = self._canonical(lead)
        articles = []  # (share of the lead the article says, findings per option, the sentences read)
        for evidence, sentences in self._candidates(lead, law):
            text = self._canonical("".join(sentences))
            # the lead-in that introduces the list is the evidence for every option
            quote = next((s for s in sentences if s.endswith(("：", ":"))), sentences[0] if sentences else "")
            found = Evidence(quote, evidence.source, evidence.title, evidence.article)
            said = conflicts(wanted, text).coverage if wanted else 0.0
            if within_clause:
                # the list stands inside the clause that says the lead: items elsewhere in the
                # article are not the answer (不适用 names three accidents, 适用 the others)
                scope = self.lead_clause(wanted, sentences) if said >= LEAD_SAID else None
                if scope:
                    quoted = Evidence(scope, evidence.source, evidence.title, evidence.article)
                    articles.append((said, [_item(self._canonical(o), self._canonical(scope), [scope], quoted, ITEM_UNSAID,
                                                  self._canonical)
                                            for o in options], [scope]))
                continue
            articles.append((said, [_item(self._canonical(option), text, sentences, found, read=self._canonical)
                                    for option in options], sentences))
        saying = [findings for said, findings, *_ in articles if said >= LEAD_SAID]
        if saying:
            best = [max(column, key=lambda f: f.coverage) for column in zip(*saying)]
        elif (lead_said and kind != "multi") or self.depth > SEARCH_K:
            # the article naming the most options is a guess among the first few hits; among a deeper
            # search's many, some article names any short option (报废 in a 特种设备 list of 隐患 for a
            # question on cracked crane hooks)
            return [Finding(None, 0.0) for _ in options]
        else:
            best, lines = max(((findings, lines) for _, findings, lines in articles),
                              key=lambda article: sum(f.verdict is True for f in article[0]), default=([], []))
            # no article says the lead: the one naming the most options is a multiple choice's list only where
            # it names more of them than it leaves out (建设单位 and 施工单位 of 安全设施's 第三十四条 are not the
            # units of a 竣工验收 question; short names of units meet in many articles), or where no article
            # names those it leaves out (``_closed``) and one of its sentences lists those it names
            # (``_one_list``); a lead the stem words its own way around the blank ("调查组由（ ）的人员和有关专家
            # 组成" for "…由…派人组成") asks for both
            named = sum(f.verdict is True for f in best) > sum(f.verdict is False for f in best)
            closed = _closed(best, [findings for _, findings, _ in articles]) and self._one_list(best, options, lines)
            if kind == "multi" and not ((named and closed) if lead_said else (named or closed)):
                return [Finding(None, 0.0) for _ in options]
        # an option the stem itself says (提供技术、管理服务的机构 in "…提供技术、管理服务的机构，…接受委托…的
        # 情况下，…责任应由（ ）负责") is found where the article says the stem's words: no proof that it is the answer
        best = [Finding(None, 0.0) if f.verdict and self._canonical(o) in wanted else f for f, o in zip(best, options)]
        if sum(f.verdict is True for f in best) < (1 if kind == "single" else 2):
            return [Finding(None, 0.0) for _ in options]
        return best

    def _one_list(self, findings: list[Finding], options: list[str], sentences: list[str]) -> bool:
        """Whether one sentence of the article names every option found, as one list (第四十九条's 签订…协议
        and 统一协调、管理), not one here and one there (建设单位 and 施工单位 in two rules of 第三十四条, neither
        on who takes part in the 竣工验收), and whose lists do not end in 等 (…、登高架设作业人员等特种作业人员
        names examples, and leaves 电工 open)."""
        found = [self._canonical(o) for f, o in zip(findings, options) if f.verdict]
        return any(not _OPEN_LIST_RE.search(sentence) and all(self._lists_item(sentence, target) for target in found)
                   for sentence in sentences if not isinstance(sentence, Composite))

    def _lists_item(self, sentence: str, target: str) -> bool:
        """Whether a sentence names an option as one of its items. A short name is read whole, or as an item
        it shortens or names with another head: in pieces, 建设单位 is in any sentence that says 建设项目的施工单位."""
        if len(target) > SHORT_NAME:
            return bool(_item(target, self._canonical(sentence), [sentence], Evidence(sentence, None, None, None),
                              read=self._canonical).verdict)
        return target in self._canonical(sentence) or any(
            _abbreviates(target, item) or _same_body(target, self._canonical(item)) for item in _BODY_SPLIT_RE.split(sentence))

    def _absent_beside(self, findings: list[Finding], options: list[str], candidates) -> list[Finding]:
        """Options of a multiple choice that the one sentence proving two or more of the others
        does not list, nor any article found, are absent ("为了规范…，落实…，防止和减少…" has no
        加强安全生产监督管理)."""
        sentences = {f.evidence.sentence for f in findings if f.verdict}
        if sum(bool(f.verdict) for f in findings) < 2 or len(sentences) != 1:
            return findings
        proof = next(f.evidence for f in findings if f.verdict)
        texts = [(self._canonical("".join(lines)), lines) for _, lines in candidates]
        result = []
        for finding, option in zip(findings, options):
            target = self._canonical(option)
            if finding.verdict is None and all(_item(target, text, lines, proof, read=self._canonical).verdict is False
                                               for text, lines in texts):
                finding = _item(target, self._canonical(proof.sentence), [proof.sentence], proof, ITEM_UNSAID, self._canonical)
            result.append(finding)
        return result

    def _unsaid_beside(self, findings: list[Finding], options: list[str], law: str | None) -> list[Finding]:
        """Statements of a multiple choice of which two or more one article proves (第十四条 on what a
        工程监理单位 must do): an option that no sentence found says even in part (``ITEM_ABSENT`` or less
        of it in order: 发现施工组织设计存在重大缺陷的，…应当责令施工单位修改) is no rule of that article nor
        of another, and not so. An option a sentence says most of stays as judged."""
        proven = [f for f in findings if f.verdict]
        if len(proven) < 2 or len({(f.evidence.title, f.evidence.article) for f in proven}) != 1:
            return findings
        result = []
        for finding, option in zip(findings, options):
            if finding.verdict is None:
                target = self._canonical(option)
                said = max((conflicts(target, self._canonical(sentence)).coverage
                            for _, sentences in self._candidates(option, law) for sentence in sentences), default=0.0)
                if said <= ITEM_ABSENT:
                    finding = Finding(False, said, proven[0].evidence)
            result.append(finding)
        return result

    def lead_clause(self, wanted: str, sentences: list[str]) -> str | None:
        """The clause of an article that says a list question's lead and holds the list itself,
        where a twin clause says the lead the other way ("…国防科研生产事故的报告和调查处理
        不适用本条例" beside "…生产安全事故的报告和调查处理，适用本条例"); None when there is no
        such twin, the lead introduces 项 (a clause ending in ：), or no clause says it."""
        pieces = list(dict.fromkeys(c for s in sentences if not isinstance(s, Composite) for c in _CLAUSE_RE.findall(s)))
        best, clause = 0.0, None
        for piece in pieces:
            coverage, hard, *_ = conflicts(wanted, self._canonical(piece))
            if not hard and coverage > best:
                best, clause = coverage, piece
        if clause is None or best < LEAD_SAID or clause.rstrip().endswith(("：", ":")):
            return None
        unsaid = _NEGATION_RE.sub("", wanted)  # the lead with 不 and the like read away: the twin says that
        twins = [p for p in pieces if p != clause and _says(unsaid, _NEGATION_RE.sub("", self._canonical(p)))]
        return clause if twins else None


def _policy_items(text: str) -> set[str]:
    """The items of the 方针 a text names ("坚持安全第一、预防为主、综合治理的方针" → 安全第一, 预防为主, 综合治理)."""
    match = _POLICY_RE.search(text)
    return {item for item in _POLICY_SPLIT_RE.split(match.group(1) or match.group(2)) if item} if match else set()


def _forbids(statement: str, sentence: str) -> bool:
    """Whether ``sentence`` is a violation that cannot refute ``statement``: a 项 read alone names
    an act, not what is so; one written into its rule punishes the act, so a statement that
    forbids it (不得…从事 where the 项 says 未经…即从事…的) says what the rule implies."""
    if not isinstance(sentence, Violation):
        return False
    return not isinstance(sentence, Composite) or "不得" in statement


def _punishes(statement: str, sentence: str, other: str) -> bool:
    """Whether a sentence that says the statement says it only as an act it punishes: a violation
    项 read alone, or the statement ending where the rule goes on "…的，责令…" (``punished``). A 项
    written into its rule (``PunishedAct``) states the penalty as well and proves a statement of it."""
    if isinstance(sentence, Violation) and not isinstance(sentence, Composite):
        return True
    return punished(statement, other)


def _says(statement: str, sentence: str) -> bool:
    """Whether a sentence says most of a statement with no hard conflict (a figure, modal or
    negation); a subject or word reworded is allowed."""
    coverage, hard, *_ = conflicts(statement, sentence)
    return not hard and coverage >= TRUE_COVERAGE


def _item(target: str, text: str, sentences: list[str], evidence: Evidence, absent: float = ITEM_ABSENT,
          read: Callable[[str], str] = canonical) -> Finding:
    """Whether an article lists ``option``: found (whole, or most of it in order and saying
    nothing else), absent (``absent`` or less of it said, or a sentence that covers it opposes
    it: 可随时发布 where 不得擅自发布), or unclear (also where a sentence says nearly all of it
    with a word swapped or added but no figure, modal or negation opposed: a slip such as
    安全卷生产). ``target`` is the option's canonical text, ``read`` what made it so (the judge's,
    which reads law names as 本法): each sentence is read the same way, or a name inside a word
    (安全生产法律、法规) reads as 本法 on one side only."""
    if target and target in text:
        return Finding(True, 1.0, evidence)
    coverage = reworded = 0.0
    for sentence in sentences:
        other = read(sentence)
        covered, clashing, *_ = compare(target, sentence, order_free=False, other=other)
        if not clashing:
            coverage = max(coverage, covered)
        elif not conflicts(target, other).hard:
            reworded = max(reworded, covered)  # a word swapped or a slip (安全卷生产), no fact opposed
    if coverage < ITEM_FOUND and any(_abbreviates(target, item) for s in sentences for item in _ITEM_SPLIT_RE.split(s)):
        coverage = ITEM_FOUND
    if coverage < ITEM_FOUND and any(_same_body(target, read(item)) for s in sentences for item in _BODY_SPLIT_RE.split(s)):
        coverage = ITEM_FOUND
    verdict = True if coverage >= ITEM_FOUND else False if coverage <= absent and reworded < ITEM_FOUND else None
    return Finding(verdict, coverage, evidence)  # no ranking: a list names every item alike


def _closed(best: list[Finding], articles: list[list[Finding]]) -> bool:
    """Whether the options an article leaves out of its list are named by no article found either
    (与员工订立劳动合同, 支付安全生产管理费用 beside 第四十九条's 签订安全生产管理协议 and 统一协调、管理): the
    list the article names is the whole answer, however many options a wrong key adds. Where another
    article names a left-out option, the answer may be spread over both, and the list is no proof."""
    return all(all(findings[i].verdict is False for findings in articles)
               for i, finding in enumerate(best) if finding.verdict is False)


def _abbreviates(target: str, item: str) -> bool:
    """Whether ``target`` is a list item shortened the way Chinese shortens a name (起吊工程 for
    起重吊装工程): it begins and ends as the item does, its characters stand in the item in order,
    and the item is at most twice as long; an added or swapped character (起重安装工程) is no
    shortening."""
    item = canonical(item)
    if len(target) < 3 or not len(target) < len(item) <= 2 * len(target):
        return False
    if target[0] != item[0] or target[-2:] != item[-2:]:
        return False
    rest = iter(item)
    return all(char in rest for char in target)


def _same_body(target: str, item: str) -> bool:
    """Whether ``target`` names the body a list item names, with another head (公安部门 for 公安机关,
    监督管理部门 for 监督管理机构), or adds 组织 to an organisation's name (工会组织 for 工会): the name
    before the head is the item's whole, so 人事部门 is not 公安机关, nor 监督管理部门 the list's
    安全生产监督管理部门."""
    head = _BODY_HEAD_RE.search(target)
    name = target[:head.start()] if head else ""
    if len(name) < MIN_BLOCK or not item.startswith(name):
        return False
    rest = item[len(name):]
    if head.group(1) == "组织" and name.endswith(_ORGANISATION):
        return not _BODY_HEAD_RE.match(rest)  # 工会 itself, not 工会组织部门
    return rest.startswith(("部门", "机关", "机构")) and not rest.startswith(head.group(1))


def _defined(line: str) -> list[str]:
    """A definition read from the defined side: "重大事故，是指造成10人以上30人以下死亡…的事故"
    says that such an accident 属于重大事故, and banks ask it that way ("造成（ ）死亡的事故属于
    重大事故"); one that lists its kinds before 等 ("危险物品，是指易燃易爆物品、危险化学品、放射性
    物品等能够危及…的物品") says what the term 包括, as banks ask it ("危险物品包括（ ）")."""
    match = _DEFINITION_RE.match(line)
    if not match:
        return []
    listed = _LISTED_KINDS_RE.match(match.group(2))
    return [f"{match.group(2)}属于{match.group(1)}", *([f"{match.group(1)}包括{listed.group(1)}。"] if listed else [])]


def _duty(leadin: str, item: str) -> list[str]:
    """The duty a penalty's 项 implies: "施工单位有下列行为之一的，责令…：(二)未根据…采取…措施，
    或者…未实行封闭围挡的" punishes leaving undone what 施工单位应当 do, and banks state it so
    ("施工单位必须根据…采取…措施；…必须实行封闭围挡"). Only a 项 that is an omission (it begins
    with 未) says a duty; 尚未 describes a state, not the act left undone."""
    if not item.startswith("未"):
        return []
    subject = re.split(r"[，,；;：:]", _ONE_OF_RE.split(leadin, maxsplit=1)[0])[-1]
    return [subject + _OMITTED_RE.sub("应当", item.rstrip("；;。").removesuffix("的"))]


def _graded_rule(leadin: str, item: str) -> list[Composite]:
    """A penalty 项 of one grade written as banks write the rule: the grade first, then the rule's
    subject and act, then the 项's measure ("发生较大事故的，对事故发生负有责任的单位的主要负责人未依法履行
    职责…的，处上一年年收入百分之四十的罚款" for 第九十一条's lead-in "…的，依照下列规定处以罚款…：" and its
    "（二）发生较大事故，处上一年年收入百分之四十的罚款"). The lead-in's own tail (属于国家工作人员的…) is left out."""
    graded = _GRADED_ITEM_RE.match(item)
    rule = _BY_ITEMS_RE.split(leadin, maxsplit=1)
    # a lead-in that opens with the accident ungraded ("发生事故，对负有责任的单位…") has the grade in its place
    subject = _OCCASION_OPENING_RE.sub("", rule[0]).rstrip("，,") if len(rule) == 2 else ""
    if not graded or not subject:
        return []
    # the agent the lead-in names (由应急管理部门) stays with the measure: a bank that swaps it says another fact
    joint = "" if _AGENT_END_RE.search(subject) else "，"
    return [Composite(f"{graded.group(1)}的，{subject}{joint}{graded.group(2)}")]


def _elided_subject(line: str) -> list[Composite]:
    """The clauses after ；that leave the sentence's subject out, each with it ("工会对…有权要求纠正；
    发现危及从业人员生命安全的情况时，有权向生产经营单位建议…": 工会发现危及…时，有权…): banks state one
    clause with its subject, and read against the whole sentence its words align with the first clause's."""
    subject = _SUBJECT_RE.match(line)
    if not subject or "；" not in line:
        return []
    clauses = line.rstrip("。").split("；")[1:]
    return [Composite(subject.group(1) + clause) for clause in clauses if _ELIDED_RE.match(clause)]


def _parallel_figure(line: str) -> list[str]:
    """A clause after ；that names another grade and gives its own figure, leaving out the frame the
    first clause says ("重大事故、较大事故、一般事故，负责事故调查的人民政府应当自收到事故调查报告之日起15日内
    做出批复；特别重大事故，30日内做出批复"): the clause with the first's frame around its figure
    ("特别重大事故，负责事故调查的人民政府应当自收到…之日起30日内做出批复"), as banks ask the second grade.
    The frame is one clause: where the first says more (…，责令限期改正，处…罚款；逾期未改正的，处…罚款),
    which of it the later clause keeps is not said."""
    result = []
    for sentence in re.findall(r"[^。]+", line):
        clauses = sentence.split("；")
        first = re.fullmatch(r"([^，,]{2,30})[，,]([^，,]+)", clauses[0])
        if first is None:
            continue
        frame = first.group(2)
        for clause in clauses[1:]:
            parallel = re.match(r"([^，,]{2,30})[，,]([^，,]+)", clause)
            if parallel is None or not _FIGURE_RE.search(parallel.group(2)):
                continue
            # the clause's words around its figures, read where the first clause says them with a figure of its own
            pieces = _FIGURE_RE.split(parallel.group(2))  # the words, the figures at odd places
            said = "".join(_FIGURE_PATTERN if i % 2 else re.escape(piece) for i, piece in enumerate(pieces))
            match = re.search(said, frame)
            if match and match.group(0) != parallel.group(2) and len(_FIGURE_RE.sub("", parallel.group(2))) >= PARALLEL_WORDS:
                result.append(f"{parallel.group(1)}，{frame[:match.start()]}{parallel.group(2)}{frame[match.end():]}。")
    return result


def _alternatives(line: str) -> list[str]:
    """The second of two measures a penalty joins with 或者 under one verb ("责令停止使用有关特种设备或者
    停产停业整顿"), with the verb: banks list it alone (责令停产停业整顿)."""
    return [verb + second for verb, second in _ALTERNATIVE_RE.findall(line)]


def _referred(line: str, items: dict[str, str]) -> list[Composite]:
    """"个人有前款第二项、第三项…行为之一的，处警告或者五百元以下罚款": the 款 once per 项 it
    refers to, with the 项's words in place of the reference (banks write "个人损坏…器材的，处…")."""
    match = _REFERENCE_RE.search(line)
    if not match:
        return []
    numbers = re.findall(r"第[(（]?([一二三四五六七八九十]+)[)）]?项", match.group(0))
    return [Composite(line[:match.start()] + items[n].rstrip("；;。的") + "的" + line[match.end():])
            for n in numbers if n in items]


def _slot_clauses(body: str) -> list[str]:
    """One statement per blank: the stem itself where it has one blank; where it has several, each in
    a clause of its own (…处以罚款：发生重大事故的，处（ ）的罚款；发生特别重大事故的，处（ ）的罚款), each
    clause after the lead-in that introduces them (the first clause's text up to its ：). Empty where a
    clause holds two blanks."""
    slots = len(SLOT_RE.findall(body))
    if slots <= 1:
        return [body] if slots else []
    clauses = [c for c in _CLAUSE_RE.findall(body) if SLOT_RE.search(c)]
    if len(clauses) != slots:
        return []
    first = clauses[0]
    lead = first[:max(first.rfind("："), first.rfind(":")) + 1]
    start = body.index(first)
    return [(body[:start] + c if k == 0 else body[:start] + lead + c).rstrip("；;") for k, c in enumerate(clauses)]


def _choose(findings: list[Finding], negative: bool, kind: str | None,
            options: list[str]) -> tuple[str | None, Evidence | None]:
    """The letters the options' findings imply, and the sentence that shows it."""
    proven = [i for i, f in enumerate(findings) if f.verdict is (not negative)]
    if kind in ("single", None) and proven:
        # the option the article proves is the key of a single choice, whatever the others. Of
        # two proven, one written inside the other is the shorter reading (停业 in 停产停业整顿),
        # and the one that says more of the sentence wins (国务院和县级以上地方各级人民政府 over
        # 国务院和地方各级人民政府, which leaves out a qualifier)
        texts = [canonical(o) for o in options]
        # an option the proving sentence says word for word wins over one proven only as a
        # rewording, with words of its own (有权 over 特殊情况下有权, 主要负责人 over 管理者代表)
        said = [i for i in proven if texts[i] in canonical(findings[i].evidence.sentence)]
        if said and not negative:
            proven = [i for i in proven if i in said or findings[i].coverage >= 1.0]
        # Two options that read the same (工伤社会保险 is 工伤保险 to the thesaurus) are not one inside
        # the other: the one the sentence says as written wins, else neither is dropped
        as_written = {i for i in proven if strip_punctuation(options[i]) in strip_punctuation(findings[i].evidence.sentence)}
        proven = [i for i in proven if not any(i != j and texts[i] in texts[j] and (
            texts[i] != texts[j] or (j in as_written and i not in as_written)) for j in proven)]
        ranked = sorted(proven, key=lambda i: findings[i].matched, reverse=True)
        if len(ranked) == 1 or findings[ranked[0]].matched >= findings[ranked[1]].matched + MIN_BLOCK:
            return LETTERS[ranked[0]], findings[ranked[0]].evidence
    if any(f.verdict is None for f in findings):
        return None, None
    chosen = [LETTERS[i] for i, f in enumerate(findings) if f.verdict != negative]
    if not chosen or (kind == "single" and len(chosen) != 1) or (kind == "multi" and len(chosen) < 2):
        return None, None
    return "".join(chosen), next((f.evidence for f in findings if f.verdict and f.evidence), None)


def _reworded_only(findings: list[Finding]) -> tuple[str | None, Evidence | None]:
    """A single choice whose every option a sentence refutes, one of them by words only (the stem's
    own: 延长时限 where the article says 延长的期限) and every other by a fact as well (60日 where
    the article says 90日): the stem's wording is no fact, the option with no fact opposed is the key."""
    if len(findings) < 2 or not all(f.verdict is False for f in findings):
        return None, None
    reworded = [i for i, f in enumerate(findings) if f.reworded]
    if len(reworded) != 1:
        return None, None
    return LETTERS[reworded[0]], findings[reworded[0]].evidence


def _refuting(solution: Solution, kind: str | None, key: str) -> Finding | None:
    """The finding that shows a single choice's key wrong when no option is proven: the keyed
    option read into the stem differs from a sentence in one fact (a figure, a modal …)."""
    findings = solution.findings
    if kind != "single" or len(key) != 1 or key not in LETTERS[:len(findings)] or solution.negative:
        return None
    # every option refuted alike: the stem differs from the sentence outside the blank (应 for 应当
    # in another clause, 重大事故 for any accident), and that says nothing about the key
    if any(f.verdict for f in findings) or all(f.verdict is False for f in findings):
        return None
    keyed = findings[LETTERS.index(key)]
    return keyed if keyed.verdict is False and keyed.decisive and keyed.coverage >= TRUE_COVERAGE else None
