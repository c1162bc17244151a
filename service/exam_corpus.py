"""The corpus as an exam writer sees it: statute sentences that stand on their own, the
enumerations of articles (款 with their 项), division-of-labour duties, and pools of facts of
each kind from which substitutes and distractors are drawn.

>>> corpus = ExamCorpus.from_store(kb.store, kb.departments_registry())
>>> corpus.sentences[0].place.short_title
'危险化学品安全管理条例'
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from regkb.corpus.models import Duty
from regkb.service.exam_facts import Fact, find_facts, number_value

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
        return self.title.removeprefix("中华人民共和国")

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


@dataclass
class ExamCorpus:
    sentences: list[Sentence]
    enumerations: list[Enumeration]
    duties: list[Duty]
    duty_titles: dict[str, str]  # source → title, for duty questions
    texts: dict[str, str]  # source → the document's text (chunks joined), for the quote check
    departments: list[str]  # specific department names (no 有关部门, no umbrella names)
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
        return cls(sentences, enumerations, duties, duty_titles, texts, departments, dict(facts_by_kind))

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

    @cached_property
    def _actor_counts(self) -> Counter:
        return Counter(fact.text for fact, _ in self.facts_by_kind.get("actor", []))

    def umbrella(self, fact: Fact) -> bool:
        """An actor the statutes name everywhere (生产经营单位, 用人单位): the other actors are
        mostly kinds of it, so none can stand in for it as a false one."""
        return fact.kind == "actor" and self._actor_counts[fact.text] >= UMBRELLA_MENTIONS

    @cached_property
    def normalised_texts(self) -> str:
        return "\n".join(normalise(t) for t in self.texts.values())

    def states(self, statement: str) -> bool:
        """Whether some document says ``statement`` word for word (punctuation aside)."""
        return normalise(statement) in self.normalised_texts

    @cached_property
    def document_frequency(self) -> Counter:
        """In how many article sentences each jieba word occurs (rarity for 填空)."""
        import jieba

        jieba.setLogLevel(60)  # jieba prints its cache messages to stderr otherwise
        counts: Counter = Counter()
        for sentence in self.sentences:
            counts.update(set(jieba.lcut(sentence.text)))
        return counts


def normalise(text: str) -> str:
    """Text without punctuation and spaces, full-width brackets as half-width."""
    return re.sub(r"[\s，。；：、,.;:!！?？“”\"'‘’()（）《》【】\[\]]", "", text or "")


def specific(names: list[str]) -> list[str]:
    return [n for n in names if not _SPECIFIC_DEPARTMENT_RE.search(n)]


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
