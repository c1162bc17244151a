"""The corpus as an exam writer sees it: statute sentences that stand on their own, the
enumerations of articles (款 with their 项), division-of-labour duties, plan targets with the
span of their quote that states them, and pools of facts of each kind from which substitutes
and distractors are drawn.

>>> corpus = ExamCorpus.from_store(kb.store, kb.departments_registry())  # doctest: +SKIP
>>> corpus.sentences[0].place.short_title  # doctest: +SKIP
'危险化学品安全管理条例'
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from regkb.corpus.law_names import without_state_name
from regkb.corpus.models import Duty, Target
from regkb.service.exams.facts import Fact, find_facts, number_value

ARTICLE_LABEL_RE = re.compile(r"^第[一二三四五六七八九十百零〇]+条(?:之[一二三四五六七八九十])?\s*")
ITEM_RE = re.compile(r"^[(（]([一二三四五六七八九十]+)[)）]\s*")
# Sentences that lean on their neighbours (前款, 上述, 下列) or on another article's number
# cannot be judged alone; nor can the purpose clause or the commencement date.
_DEPENDENT_RE = re.compile(
    r"前款|前两款|前三款|本条|上述|下列|以下|第[一二三四五六七八九十百零〇]+(?:条|款|项)|以下统称|以下简称|：|:|施行|废止|附则"
    r"|接到(?:报告|举报|通知|投诉)")  # "接到报告后" of a report the previous 款 describes
_DEPENDENT_START_RE = re.compile(r"^(?:其|该|但|并|同时|前|上|此|这|对于|为了|为)")
# Boilerplate every law ends with teaches nothing ("违反本法规定，构成犯罪的，依法追究刑事责任。").
_BOILERPLATE_RE = re.compile(r"^违反本(?:法|条例)规定，构成犯罪的|^构成犯罪的")
_REFERENCE_RE = re.compile(r"第[一二三四五六七八九十百零〇]+条")
_SPECIFIC_DEPARTMENT_RE = re.compile(r"有关|负有|各|中直|等|其他|相关")
# A target's statement runs from its deadline ("到2025年") or its sentence's start to the end of
# its value's clause; an item marker ("2.") is no part of it, and a 分工 parenthesis ends it.
_ITEM_MARKER_RE = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[)）.、．]\s*)?")
_TARGET_DEADLINE_RE = re.compile(r"(?:到|至)?20\d\d年(?:底|末)?(?:前)?")
_CLAUSE_END_RE = re.compile(r"[，,；;。（(]")
MAX_TARGET_STATEMENT = 100
MIN_PAIR_JACCARD = 0.6  # 营运车辆万车死亡率 and 运营车辆万车死亡率 are one indicator
MIN_SENTENCE, MAX_SENTENCE = 16, 100
MAX_ITEM = 40
UMBRELLA_MENTIONS = 8


@dataclass(frozen=True)
class Place:
    """Where a text comes from: the document and the article."""

    doc_id: str
    source: str
    title: str
    section_path: tuple[str, ...]
    article: str | None

    @property
    def short_title(self) -> str:
        return without_state_name(self.title)

    @property
    def citation(self) -> str:
        return f"《{self.short_title}》{self.article or ' › '.join(self.section_path)}"


@dataclass(frozen=True)
class Sentence:
    text: str  # verbatim, ending with 。
    place: Place

    @cached_property
    def facts(self) -> list[Fact]:
        return find_facts(self.text)

    @property
    def key(self) -> str:
        return f"{self.place.source}|{self.text}"


@dataclass(frozen=True)
class Enumeration:
    """A 款 that introduces 项: "生产经营单位的主要负责人…负有下列职责：" and its items."""

    leadin: str  # the lead-in without its article label and colon, e.g. "…负有下列职责"
    items: tuple[str, ...]  # each item without its marker and closing punctuation
    quote: str  # the lead-in and all items, verbatim
    place: Place

    @property
    def key(self) -> str:
        return f"{self.place.source}|{self.place.article}|{self.leadin}"


@dataclass(frozen=True)
class TargetStatement:
    """A plan target as a question sees it: ``text``, the verbatim span of the target's quote
    that states it, and where its value (``15%``, ``3个月``) stands in that span. A table row's
    span is the whole row, and its question is written from the row's cells."""

    target: Target
    text: str
    value_start: int
    value_end: int
    place: Place

    @property
    def key(self) -> str:
        return f"{self.place.source}|{self.target.quote}"  # one question per sentence or row

    @property
    def value_text(self) -> str:
        return self.text[self.value_start:self.value_end]

    @property
    def table(self) -> bool:
        return self.target.kind == "table"

    def with_value(self, value: str) -> str:
        """The value as this statement writes it (its unit, ％ or %) for another number."""
        return value + self.value_text[len(self.target.value or ""):]


@dataclass
class ExamCorpus:
    sentences: list[Sentence]
    enumerations: list[Enumeration]
    duties: list[Duty]
    duty_titles: dict[str, str]  # source → title, for duty questions
    texts: dict[str, str]  # source → the document's text (chunks joined), for the quote check
    departments: list[str]  # specific department names (no 有关部门, no umbrella names)
    targets: list[TargetStatement] = field(default_factory=list)
    facts_by_kind: dict[str, list[tuple[Fact, str]]] = field(default_factory=dict)  # kind → (fact, source)

    @classmethod
    def from_store(cls, store, registry=None) -> "ExamCorpus":
        documents = {d.doc_id: d for d in store.documents()}
        by_doc: dict[str, list] = defaultdict(list)
        for chunk in store.chunks():
            by_doc[chunk.doc_id].append(chunk)
        sentences, enumerations, texts = [], [], {}
        facts_by_kind: dict[str, list[tuple[Fact, str]]] = defaultdict(list)
        for doc_id, chunks in by_doc.items():
            document = documents[doc_id]
            texts[document.source] = "\n".join(c.text for c in chunks)
            if not any(c.article for c in chunks):
                continue  # plans and opinions feed duty questions, not statute questions
            for article, article_chunks in _by_article(chunks):
                place = Place(doc_id, document.source, document.title or document.source,
                              tuple(article_chunks[0].section_path), article)
                lines = [ARTICLE_LABEL_RE.sub("", line).strip() for c in article_chunks for line in c.text.split("\n")]
                lines = [line for line in lines if line]
                enumerations.extend(_enumerations(lines, place))
                for line in lines:
                    for position, sentence in enumerate(_split_sentences(line)):
                        for fact in find_facts(sentence):
                            facts_by_kind[fact.kind].append((fact, document.source))
                        # a later sentence of a 款 leans on the first ("通知应当采用书面形式")
                        if position == 0 and _standalone(sentence, line):
                            sentences.append(Sentence(sentence, place))
        duties = [d for d in store.duties() if not d.inferred]
        duty_titles = {d.source: documents[d.doc_id].title or d.source for d in duties}
        names = set(registry.names()) if registry is not None else set()
        names |= {n for d in duties for n in d.lead + d.responsible + d.cooperating}
        departments = sorted(n for n in names if not _SPECIFIC_DEPARTMENT_RE.search(n))
        targets = [statement for target in store.targets() if target.doc_id in documents
                   for statement in [_target_statement(target, documents[target.doc_id])] if statement]
        return cls(sentences, enumerations, duties, duty_titles, texts, departments, targets, dict(facts_by_kind))

    # --- pools ------------------------------------------------------------------------

    def same_kind(self, fact: Fact, source: str) -> list[str]:
        """Texts of other facts of the same kind (numbers: same unit and numeral script),
        those of the same document first, without repeats."""
        arabic = bool(re.match(r"\d", fact.text))
        near, far = [], []
        for other, other_source in self.facts_by_kind.get(fact.kind, []):
            if fact.kind == "number" and (other.unit != fact.unit or bool(re.match(r"\d", other.text)) != arabic):
                continue
            (near if other_source == source else far).append(other.text)
        return list(dict.fromkeys(near + far))

    def close_numbers(self, fact: Fact, source: str, limit: int = 8) -> list[str]:
        """Numbers of the same unit nearest in size to ``fact`` (plausible distractors)."""
        value = fact.value or 1.0
        candidates = [t for t in self.same_kind(fact, source) if number_value(t) not in (None, fact.value)]
        distance = {t: abs(math.log((number_value(t) or 1.0) / value)) if number_value(t) else 99.0 for t in candidates}
        unique = {}
        for text in sorted(candidates, key=lambda t: distance[t]):
            unique.setdefault(number_value(text), text)
        return list(unique.values())[:limit]

    def target_values(self, statement: TargetStatement) -> list[str]:
        """Values of other targets with the same unit and direction, written as ``statement``
        writes its value, nearest in size first; never the true value, nor the value of a
        target of the same indicator in any plan (another region's 死亡人数 target, the same
        plan's 降幅 row)."""
        target = statement.target
        true = float(target.value)
        taken = {true} | {float(t.target.value) for t in self.targets if same_indicator(t.target, target)}
        values = {float(t.target.value): t.target.value for t in self.targets
                  if t.target.unit == target.unit and t.target.direction == target.direction}
        ranked = sorted((v for v in values if v not in taken and v > 0),
                        key=lambda v: abs(math.log(v / true)) if true > 0 else v)
        return [statement.with_value(values[v]) for v in ranked]

    def target_deadlines(self, statement: TargetStatement) -> list[str]:
        """Deadlines of other targets, never one the plan sets for the same indicator."""
        target = statement.target
        taken = {t.target.deadline for t in self.targets
                 if t.target.doc_id == target.doc_id and same_indicator(t.target, target)}
        return sorted({t.target.deadline for t in self.targets if t.target.deadline} - taken - {None})

    def target_statement(self, source: str, text: str) -> list[TargetStatement]:
        return [t for t in self.targets if t.place.source == source and t.text == text]

    @cached_property
    def _actor_counts(self) -> Counter:
        return Counter(fact.text for fact, _ in self.facts_by_kind.get("actor", []))

    def umbrella(self, fact: Fact) -> bool:
        """An actor the statutes name everywhere (生产经营单位, 用人单位): the other actors are
        mostly kinds of it, so none can stand in for it as a false one."""
        return fact.kind == "actor" and self._actor_counts[fact.text] >= UMBRELLA_MENTIONS

    @cached_property
    def normalised_texts(self) -> str:
        return "\n".join(strip_punctuation(t) for t in self.texts.values())

    def states(self, statement: str) -> bool:
        """Whether some document says ``statement`` word for word (punctuation aside)."""
        return strip_punctuation(statement) in self.normalised_texts

    @cached_property
    def document_frequency(self) -> Counter:
        """In how many article sentences each jieba word occurs (rarity for 填空)."""
        import jieba

        jieba.setLogLevel(60)  # jieba prints its cache messages to stderr otherwise
        counts: Counter = Counter()
        for sentence in self.sentences:
            counts.update(set(jieba.lcut(sentence.text)))
        return counts


def strip_punctuation(text: str) -> str:
    """Text without punctuation and spaces, full-width brackets as half-width."""
    return re.sub(r"[\s，。；：、,.;:!！?？“”\"'‘’()（）《》【】\[\]]", "", text or "")


def specific(names: list[str]) -> list[str]:
    return [n for n in names if not _SPECIFIC_DEPARTMENT_RE.search(n)]


def same_indicator(a: Target, b: Target) -> bool:
    """One indicator named twice: one name holds the other (死亡人数, 生产安全事故死亡人数降幅), or
    the two share most of their character pairs."""
    x, y = re.sub(r"\s+", "", a.indicator), re.sub(r"\s+", "", b.indicator)
    if x in y or y in x:
        return True
    px, py = {x[i:i + 2] for i in range(len(x) - 1)}, {y[i:i + 2] for i in range(len(y) - 1)}
    return bool(px | py) and len(px & py) / len(px | py) >= MIN_PAIR_JACCARD


def _target_statement(target: Target, document) -> TargetStatement | None:
    """The span of the target's quote that states it, or None when its value cannot be placed
    in the quote once (a value written twice, a target without a number), or its plan has no
    title for a stem to name ("根据《000_854d….txt》" tells a trainee nothing)."""
    if not target.value or not target.quote or not document.title:
        return None
    quote = target.quote
    unit = "[%％]" if target.unit == "%" else re.escape(target.unit or "")
    values = list(re.finditer(rf"(?<![\d.]){re.escape(target.value)}\s*{unit}(?![\d.])", quote))
    named = quote.find(target.indicator)
    after = [m for m in values if named >= 0 and m.start() >= named + len(target.indicator)]
    if after:
        values = after[:1]
    if len(values) != 1:
        return None
    value = values[0]
    place = Place(document.doc_id, document.source, document.title, tuple(target.section_path), None)
    if target.kind == "table":
        return TargetStatement(target, quote, value.start(), value.end(), place)
    start = _ITEM_MARKER_RE.match(quote).end()
    deadlines = [m for m in _TARGET_DEADLINE_RE.finditer(quote, start) if m.end() <= value.start()]
    if deadlines:
        start = deadlines[-1].start()
    clause_end = _CLAUSE_END_RE.search(quote, value.end())
    end = clause_end.start() if clause_end else len(quote)
    if end - start > MAX_TARGET_STATEMENT:
        clause = [m.end() for m in _CLAUSE_END_RE.finditer(quote, start, value.start())]
        start = clause[-1] if clause else start
    raw = quote[start:end]
    text = raw.strip()
    offset = start + len(raw) - len(raw.lstrip())
    if end - start > MAX_TARGET_STATEMENT or strip_punctuation(target.indicator)[:4] not in strip_punctuation(text):
        return None
    return TargetStatement(target, text, value.start() - offset, value.end() - offset, place)


def _by_article(chunks) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for chunk in chunks:
        if chunk.article:
            groups.setdefault(chunk.article, []).append(chunk)
    return list(groups.items())


def _split_sentences(line: str) -> list[str]:
    return [part for part in re.findall(r"[^。]+。?", line) if part.strip()]


def _standalone(sentence: str, line: str) -> bool:
    return (MIN_SENTENCE <= len(sentence) <= MAX_SENTENCE and sentence.endswith("。")
            and not ITEM_RE.match(line) and not _DEPENDENT_RE.search(sentence)
            and not _DEPENDENT_START_RE.match(sentence) and not _BOILERPLATE_RE.match(sentence)
            and not line.startswith("本法") and not line.startswith("本条例"))


def _enumerations(lines: list[str], place: Place) -> list[Enumeration]:
    """Lead-ins ending in "下列X：" followed by at least four short items."""
    result = []
    for index, line in enumerate(lines):
        match = re.fullmatch(r"(.{4,60}?下列[\u4e00-\u9fa5]{1,6})[：:]", line)
        # "除应当履行本法第十六条规定的职责外，还应当…": items of that other article are true too
        if not match or _DEPENDENT_START_RE.match(line) or "之一" in line or _REFERENCE_RE.search(line):
            continue
        block = []
        for item_line in lines[index + 1:]:
            if not ITEM_RE.match(item_line):
                break
            block.append(item_line)
        items = tuple(re.sub(r"[；;。，,]$", "", ITEM_RE.sub("", item)) for item in block)
        if len(items) >= 4 and sum(len(i) <= MAX_ITEM for i in items) >= 3:
            quote = "\n".join([line, *block])
            result.append(Enumeration(match.group(1), items, quote, place))
    return result
