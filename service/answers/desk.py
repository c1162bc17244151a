"""``regkb ask``: an answer built from the corpus's own sentences, each one cited, or an
abstention when the corpus holds no basis for one.

1. **Route.** A question about who owns a task goes to the duties, one about what a
   department does to the department view, one about a plan's numbers to the targets,
   the rest to passages.
2. **Select.** Within the evidence (search hits, duties, targets) every sentence or list item
   is scored by how much of the question it covers (words weighted by their rarity in the
   corpus; the thesaurus's document terms for plain words count half). The best ones are
   quoted whole, never cut inside a clause; a list item with its list's lead-in (what the
   item is about: 有下列情形之一的，不得认定为工伤 …), cited to the item.
3. **Cite.** Each quote carries source, title, 效力层级, region, section path, article and
   款/项; national documents come before local ones, which are labelled with their region.
4. **Abstain.** A passage answer is given when the support model (``support.py``) finds it
   likely enough that the question is in scope and a quoted hit is its passage, or when the
   first quote covers the question's own words well (``high``; ``medium`` answers open with a
   phrase that asks the reader to check and quote the deciding 款 of each article); a duty
   or target answer when its best quote covers enough of the question. Otherwise the answer
   says the knowledge base holds no basis and lists the nearest passages as ``related``.

The answer text is made only of quotes, citation labels, the duty's or target's own fields,
and the fixed phrases in ``PHRASES``; ``tests/service/answers/test_ask.py`` checks that on the whole eval set.

>>> desk = kb.answer_desk  # doctest: +SKIP
>>> desk.ask("生产经营单位的主要负责人有哪些职责").citations[0].article  # doctest: +SKIP
'第二十一条'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from regkb.corpus.models import AUTHORITY_NAMES, DIRECTION_NAMES, Authority, Chunk, Target
from regkb.corpus.numerals import chinese_number
from regkb.index.article_ref import ArticleRef, parse_references, without_references
from regkb.index.embedders import embed_search_queries
from regkb.index.retrieval import embedded_query
from regkb.index.sentences import split_sentences
from regkb.index.term_statistics import TermStatistics
from regkb.service.answers.penalties import (OFFENCE_SHARE, PENALTY_QUESTION, covered_share, in_penalty_chapter,
                                              names_article, penalty_articles)
from regkb.service.answers.support import CANDIDATES, Signals, SupportModel, document_shares
from regkb.service.answers.schemas import AnswerKind, AskResponse, Citation, RelatedPassage
from regkb.service.duties.desk import strip_who_words
from regkb.service.duties.schemas import DutyMatch
from regkb.service.targets.desk import LEVEL_ORDER, region_match
from regkb.service.validation import validate_query

# --- fixed phrases: the only words of an answer that are not quotes or field values ----------
PHRASES = {
    "first": "根据", "next": "另据", "open": "“", "close": "”", "colon": ":", "stop": "。", "sep": ";",
    "lead": "牵头单位:", "responsible": "负责单位:", "cooperating": "配合单位:",
    "deadline": "完成时限:", "year": "年", "source_text": "原文",
    "department": "承担的任务:", "role_lead": "牵头", "role_responsible": "负责", "role_cooperating": "配合",
    "count": "项", "and_more": "等",
    "abstain": "知识库中没有找到回答这个问题的依据。下面列出最接近的条文,仅供参考,不作为答案。",
    "medium": "最相关的规定如下,请结合具体情况核对:",
}
ROLE_PHRASES = {"lead": PHRASES["role_lead"], "responsible": PHRASES["role_responsible"],
                "cooperating": PHRASES["role_cooperating"]}

# --- routing ---------------------------------------------------------------------------------
# Asking who does something. Questions that ask to whom one reports or applies are about a
# rule in a law ("事故发生后向哪个部门报告"), as are those whose subject is an enterprise.
_WHO = re.compile(r"谁|哪个部门|哪些部门|哪几个部门|哪个单位|哪些单位|哪家|什么部门|由哪|归哪|牵头部门|责任部门|责任单位|"
                  r"主管部门是|牵头单位|哪个厅|哪个局")
_TO_WHOM = re.compile(r"向(?:谁|哪)|报告|报送|备案|申请|举报|投诉|审批|许可|批准|申报|上报")
_ENTERPRISE = re.compile(r"生产经营单位|企业|用人单位|施工单位|建设单位|从业人员|员工|职工|劳动者|老板|主要负责人|矿山|经营者")
# Asking for a plan's numbers.
_TARGET = re.compile(r"到20\d\d年|十[一二三四五]五|规划目标|目标(?:值|是|为|要求)|指标|降幅|"
                     r"(?:下降|降低|减少|提高|提升|增加|增长|控制在|达到)了?(?:多少|几|什么|百分之)|"
                     r"率(?:要|应|需|必须)?(?:达到)?(?:多少|几成)")
# Asking what a department does: "<name>负责哪些工作".
_DEPARTMENT = re.compile(r"^(?P<name>[^,，。?？]{2,24}?)(?:都|主要|具体|一共|总共)?(?:要|需要)?"
                         r"(?:负责|牵头|承担|配合|参与|管|有|分管)(?:了)?(?:哪些|什么|啥|几项|多少项|哪几项)")
# Words that say what kind of answer is wanted, not what it is about.
_ASKING = frozenset({
    "什么", "哪些", "哪个", "多少", "怎么", "怎样", "如何", "是否", "吗", "呢", "应当", "应该", "需要", "要", "可以",
    "能", "能否", "有", "有没有", "规定", "的", "了", "是", "谁", "负责", "牵头", "部门", "单位", "目标", "指标",
    "下降", "达到", "到", "年", "规划", "十四五", "哪", "几", "还是", "必须", "不", "该", "么", "那么", "时候", "情况",
    "多长", "多长时间", "长时间", "多久", "时间", "不能", "能不能", "可不可以", "行不行", "没有", "属于", "哪里", "哪儿",
    "啥", "怎么办", "违法", "算不算", "算", "要求", "做", "给", "发", "内", "后", "时", "处理", "哪几级", "几级",
})
# Words of a question that asks for a cited article's text itself (安全生产法第二十一条的原文).
_TEXT_REQUEST = frozenset({"内容", "原文", "全文", "条文", "具体", "说", "讲", "写", "请", "请问", "一下", "查", "看看"})
_YEAR = re.compile(r"20\d\d")
_GENERAL_CHAPTER = re.compile(r"^第[一二三四五六七八九十]+章\s*(?:总则|附则)")

# --- quoting ---------------------------------------------------------------------------------
# A sentence or list item: up to a sentence end or the end of its line.
_UNIT = re.compile(r"[^\n。；;！!？?]*(?:[。；;！!？?]+[”’」]*|\n|$)")
_ITEM = re.compile(r"^\s*[（(]([一二三四五六七八九十]+)[)）]")
_ARTICLE_HEAD = re.compile(r"^\s*第[一二三四五六七八九十百零]+条")
# An answer may quote a list: the lead-in sentence ending in a colon and its items.
MAX_LIST_ITEMS = 12
# A list item is quoted with its lead-in when the two, and the items between, are this short.
MAX_LIST_QUOTE = 400
MAX_PARAGRAPH_QUOTE = 160
MAX_ARTICLE_QUOTE = 220
# A second quote is given when it covers nearly as much of the question as the best one.
SECOND_QUOTE_SHARE = 0.85
EXPANSION_WEIGHT = 0.5
# A quote's support: its sentence's coverage, plus this share of its whole chunk's coverage
# (a sentence whose article is about the question is better evidence than a lone word match).
CHUNK_SHARE = 0.3
RELATED_COUNT = 3
DUTY_QUOTES = 2  # duties read: the best, and the next when nearly as good
DEPARTMENT_QUOTES = 5
TARGETS_SHOWN = 5
# Weights: a word the corpus never has weighs as a rare word; a single character little.
UNSEEN_WEIGHT = 6.0
SINGLE_CHAR_WEIGHT = 1.5
PART_CREDIT = 0.8
CHAR_CREDIT = 0.5
# The embedder's cosine similarity of question and quote, scaled from [floor, ceiling] to
# [0, 1], makes this share of the support (figures for the default e5-small embedder, whose
# similarities of unrelated Chinese texts sit near 0.80).
DENSE_SHARE = 0.5
COSINE_FLOOR = 0.80
COSINE_CEILING = 0.95
# The index's vector of a quoted chunk (its text under its title and headings) or sentence (under its title)
# gives a cosine with the question within this much of the bare quote's own (dev, 311 first quotes: mean
# −0.006 for a chunk, −0.003 for a sentence, largest gap 0.028); a support that far from the threshold in
# the words' support's terms is decided by it, a nearer one by the quote embedded.
STORED_COSINE_GAP = 0.03
STORED_MARGIN = DENSE_SHARE * STORED_COSINE_GAP / (COSINE_CEILING - COSINE_FLOOR)
# The words' support alone makes an answer sure only for a question of at least this many content words.
MIN_SAID_WORDS = 2
# … and only where the support model gives the answer at least this chance (a question outside the corpus
# whose words an article happens to hold scores near 0; dev: off-topic ≤ 0.06, answers by the words ≥ 0.17)
WORDS_SUPPORT_FLOOR = 0.1
# Below this support the answer abstains. Calibrated on the dev split (``calibrate`` in
# eval/metrics/ask.py): midway between the best-supported unanswerable question (0.660) and
# the least-supported correct answer above it (0.716).
ABSTAIN_THRESHOLD = 0.69


def _contains(text: str, word: str) -> bool:
    """``word`` in ``text``; a number only as a whole number ("10" is not in "100")."""
    if word.isdigit():
        return re.search(rf"(?<!\d){word}(?!\d)", text) is not None
    return word in text


@dataclass(frozen=True)
class Term:
    """A content word of the question. When the word itself is absent, its sub-words
    (安全生产 → 安全, 生产) earn part of its weight; a word the corpus never has (often a
    segmentation slip such as 证能) earns part by its characters."""

    word: str
    weight: float
    parts: tuple[tuple[str, float], ...] = ()
    unseen: bool = False

    def credit(self, text: str) -> float:
        if _contains(text, self.word):
            return 1.0
        if self.parts:
            total = sum(w for _, w in self.parts)
            return PART_CREDIT * sum(w for t, w in self.parts if _contains(text, t)) / total
        if self.unseen and len(self.word) > 1:
            return CHAR_CREDIT * sum(1 for ch in self.word if ch in text) / len(self.word)
        return 0.0


@dataclass
class Unit:
    """A sentence or list item of a chunk: ``chunk.text[start:end]``."""

    chunk: Chunk
    start: int
    end: int
    rank: int
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.chunk.text[self.start:self.end]


def _short_title(title: str | None) -> str:
    return (title or "").removeprefix("中华人民共和国")


def route(question: str, is_department) -> tuple[AnswerKind, str | None]:
    """("duty" | "target" | "department" | "passage", the department's name for "department")."""
    match = _DEPARTMENT.match(question.strip())
    if match:
        name = is_department(match.group("name"))
        if name:
            return "department", name
    if _TARGET.search(question):
        return "target", None
    if _WHO.search(question) and not _TO_WHOM.search(question) and not _ENTERPRISE.search(question):
        return "duty", None
    return "passage", None


def hit_chunk(hit) -> Chunk:
    """A search hit as the chunk it is (its text, section path and article), for splitting and labelling."""
    return Chunk(chunk_id=hit.chunk_id, doc_id=hit.doc_id, seq=0, text=hit.text, section_path=hit.section_path,
                 article=hit.article)


def units_of(chunk: Chunk, rank: int) -> list[Unit]:
    """Sentences and list items of a chunk, as spans of its text (so quotes stay verbatim)."""
    units = []
    for match in _UNIT.finditer(chunk.text):
        start, end = match.start(), match.end()
        while start < end and chunk.text[start].isspace():
            start += 1
        while end > start and chunk.text[end - 1].isspace():
            end -= 1
        if end > start:
            units.append(Unit(chunk, start, end, rank))
    return units


def paragraph_and_item(chunk: Chunk, start: int) -> tuple[str | None, str | None]:
    """款 and 项 of the text at ``start`` in an article's chunk (None when the chunk does not
    begin at its article's head, as the second part of a long article)."""
    if not chunk.article or not _ARTICLE_HEAD.match(chunk.text):
        return None, None
    paragraph, item = 0, None
    offset = 0
    for line in chunk.text.split("\n"):
        if offset > start:
            break
        match = _ITEM.match(line)
        if match:
            item = match.group(1)
        elif line.strip():
            paragraph += 1
            item = None
        offset += len(line) + 1
    return (f"第{chinese_number(paragraph)}款" if paragraph else None), (f"第（{item}）项" if item else None)


def cited_span(text: str, ref: ArticleRef) -> tuple[int, int] | None:
    """Where the 款 (with its 项) or the 项 a reference names lies in the text of the article's
    first chunk; None when the article has no such part."""
    spans: list[tuple[int, int, list[tuple[int, int]]]] = []  # 款: start, end, its 项
    offset = 0
    for line in text.split("\n"):
        start, end = offset, offset + len(line.rstrip())
        offset += len(line) + 1
        if not line.strip():
            continue
        if _ITEM.match(line) and spans:
            spans[-1][2].append((start, end))
        else:
            spans.append((start, end, []))
        spans[-1] = (spans[-1][0], end, spans[-1][2])
    paragraph = ref.paragraph or 1
    if paragraph > len(spans):
        return None
    start, end, items = spans[paragraph - 1]
    if ref.item is None:
        return start, end
    return items[ref.item - 1] if ref.item <= len(items) else None


def span_label(chunk: Chunk, start: int, end: int) -> tuple[str | None, str | None]:
    """款 and 项 of a quote ``chunk.text[start:end]``: a quote over several 款 names none, one
    over several 项 (a list with its lead-in) names only its 款."""
    first = paragraph_and_item(chunk, start)
    last = paragraph_and_item(chunk, max(start, end - 1))
    if first[0] != last[0]:
        return None, None
    return first if first[1] == last[1] else (first[0], None)


def authority_rank(authority: str | None, region: str | None) -> tuple[int, int]:
    """National before local; within each, the stronger 效力层级 first."""
    order = [a.value for a in Authority]
    local = 0 if region in (None, "", "全国") else 1
    return local, order.index(authority) if authority in order else len(order)


class AnswerDesk:
    """Answers of one knowledge base. Uses only its public operations (search, duties,
    department) and its store, so improvements of retrieval flow into the answers.
    """

    def __init__(self, kb, threshold: float = ABSTAIN_THRESHOLD, writer=None, support: SupportModel | None = None):
        self.kb = kb
        self.threshold = threshold  # for duty and target answers (word support)
        self.writer = writer
        if support is not None:
            self.support = support

    @cached_property
    def support(self) -> SupportModel:
        """Decides which passage is quoted and whether to answer (read when first needed)."""
        return SupportModel.load()

    # --- corpus statistics -------------------------------------------------------------

    @cached_property
    def _idf(self) -> dict[str, float]:
        """Inverse document frequency of each token over the indexed chunks (``regkb.index.term_statistics``)."""
        return TermStatistics.of_store(self.kb.store, self.kb.tokenizer.tokenize).idf

    def _weight(self, word: str) -> float:
        weight = self._idf.get(word, UNSEEN_WEIGHT)
        return min(weight, SINGLE_CHAR_WEIGHT) if len(word) == 1 else weight

    def _question_terms(self, text: str) -> tuple[list[Term], dict[str, float]]:
        """The question's content words (with their sub-words) and its thesaurus expansion."""
        tokenizer = self.kb.tokenizer
        terms = []
        for word in dict.fromkeys(w for w in self._words(text) if w not in _ASKING and not _YEAR.fullmatch(w)):
            parts = tuple(t for t in dict.fromkeys(tokenizer.tokenize(word)) if t != word and len(t) >= 2)
            terms.append(Term(word, self._weight(word), tuple((t, self._weight(t)) for t in parts),
                              unseen=word not in self._idf))
        own = {t.word for t in terms}
        expansion = {t: EXPANSION_WEIGHT * self._weight(t) for t in tokenizer.expansion(text) if t not in own}
        return terms, expansion

    def _words(self, text: str) -> list[str]:
        """The question's words; one that neither the corpus nor the dictionary knows is a slip of the
        segmenter, glued from single characters (证能, 那要), and counts as its characters, not as one
        rare word that every answer lacks."""
        tokenizer = self.kb.tokenizer
        words = []
        for word in tokenizer.words(text):
            if len(word) > 1 and word not in self._idf and not tokenizer.in_dictionary(word):
                words.extend(ch for ch in word if ch not in tokenizer.stopwords)
            else:
                words.append(word)
        return words

    @staticmethod
    def coverage(question: tuple[list[Term], dict[str, float]], text: str) -> float:
        """Share of the question's weight found in ``text`` (expansion terms add, capped at 1)."""
        terms, expansion = question
        total = sum(t.weight for t in terms)
        if not total:
            return 0.0
        found = sum(t.weight * t.credit(text) for t in terms) + sum(w for t, w in expansion.items() if _contains(text, t))
        return min(1.0, found / total)

    # --- the entry point ---------------------------------------------------------------

    def ask(self, question: str, region: str | None = None, as_of: str | None = None) -> AskResponse:
        """``as_of``: the day whose texts in force answer (default today)."""
        question = validate_query(question)
        region = (region or "").strip() or None
        kind, department = route(question, self._department_name)
        answer: AskResponse | None = None
        hits = self.hits(question, region, as_of)
        if kind == "passage":
            answer = self._cited_part(question, hits, as_of)
            if answer is not None:  # a cited 款 or 项 is the answer itself, a cited article's penalty …
                answer.route, answer.region = kind, region
                return answer
        if kind == "department":
            answer = self._department(question, department)
        elif kind == "duty":
            answer = self._duty(question, hits)
        elif kind == "target":
            answer = self._target(question, region)
        if answer is not None and kind != "department":
            self._weigh(question, answer)
        if answer is None or answer.evidence < self.threshold:
            # a duty or target question the plans do not answer may still have a rule that does
            answer = self._passage(question, hits)
        else:
            answer.confidence = "high"
        answer.route = kind
        answer.region = region
        answer.related = [self._related(hit) for hit in hits[:RELATED_COUNT]]
        if answer.confidence == "none":
            return self._abstain(question, kind, region, answer)
        if self.writer is not None:
            self.writer.rewrite(answer)
        return answer

    def _weigh(self, question: str, answer: AskResponse, query: np.ndarray | None = None, hit=None) -> AskResponse:
        """Support of an answer: how much of the question its best quote covers, mixed with the
        embedder's similarity of question and quote (which sees paraphrases the words miss and
        keeps a lone shared word from passing as an answer). A quote of ``hit`` (the search hit
        it is quoted from) that is the hit's whole chunk or one of its stored sentences is read
        by the index's vector of it unless that leaves the support within ``STORED_MARGIN`` of the
        threshold; only then, or for another quote, is the quote embedded here."""
        if not answer.citations:
            return answer
        embedder = self.kb.embedder
        if query is None:
            query = np.asarray(embedder.embed_queries([question])[0], dtype=np.float32)
        quote = answer.citations[0].quote

        def mixed(cosine: float) -> float:
            similarity = float(np.clip((cosine - COSINE_FLOOR) / (COSINE_CEILING - COSINE_FLOOR), 0.0, 1.0))
            return round((1 - DENSE_SHARE) * answer.evidence + DENSE_SHARE * similarity, 4)

        stored = self._stored_cosine(hit, quote, query) if hit is not None else None
        # near the threshold the stored vector's few thousandths could decide: there the quote is embedded
        if stored is not None and abs(mixed(stored) - self.threshold) >= STORED_MARGIN:
            answer.evidence = mixed(stored)
        else:
            answer.evidence = mixed(float(query @ np.asarray(embedder.embed_passages([quote])[0], dtype=np.float32)))
        return answer

    def _stored_cosine(self, hit, quote: str, query: np.ndarray) -> float | None:
        """The cosine of ``query`` with the index's vector of ``quote`` when the quote is ``hit``'s
        whole chunk (embedded under its title and headings) or one of the chunk's sentences
        (``index/sentences.py``, embedded under the document's title); None for any other quote."""
        row = self.kb.index.row_numbers([hit.chunk_id]).get(hit.chunk_id)
        if row is None:
            return None
        if quote.strip() == hit.text.strip():
            return self.kb.index.chunk_scores(query, [row]).get(row)
        sentences = split_sentences(hit.text)
        if len(sentences) > 1 and quote in sentences:
            cosines = self.kb.index.sentence_cosines(query, [row]).get(row)
            if cosines is not None and len(cosines) == len(sentences):
                return cosines[sentences.index(quote)]
        return None

    def _abstain(self, question: str, kind: AnswerKind, region: str | None, best: AskResponse) -> AskResponse:
        return AskResponse(question=question, kind="none", answer=PHRASES["abstain"], abstained=True, route=kind,
                           evidence=best.evidence, support=best.support, region=region, related=best.related)

    # --- passages ----------------------------------------------------------------------

    def hits(self, question: str, region: str | None, as_of: str | None = None):
        """The search hits an answer is drawn from (in the region asked, with the national ones)."""
        hits = self.kb.search(question, k=20, region=region, as_of=as_of).hits
        if region:  # national rules apply everywhere; local ones only in their region
            hits = [h for h in hits if h.region in (None, "全国") or region_match(region, h.region)]
        return hits

    def _passage(self, question: str, hits) -> AskResponse:
        """The best sentences of the hits the support model picks among the search's first
        ``CANDIDATES``. Confidence: ``high`` when the support clears its high threshold or the
        first quote's word support clears the word threshold (as before: the question's own
        words in the rule's), ``medium`` when the support clears its lower one, else ``none``."""
        candidates, vector = self.candidates(question, hits)
        if not candidates:
            return AskResponse(question=question, kind="passage", answer="", evidence=0.0)
        cited, support = self.support.choose([signals for _, _, signals in candidates], vector)
        # the words' support reads the deciding sentence or item itself, not the lead-in quoted with an item
        weighed = [c for i in cited for c in self._passage_citations(*candidates[i][:2], lead_in=False)]
        answer = AskResponse(question=question, kind="passage", answer="", citations=weighed,
                             evidence=round(candidates[cited[0]][1].score, 4))
        words = self._weigh(question, answer, vector, hit=candidates[cited[0]][0]).evidence
        # the question's own words in the first quote make it sure, unless that quote is of another law than the
        # one the question names (违反安全生产法第二十一条… is not answered by another law's 第二十一条)
        named_elsewhere = candidates[cited[0]][2].law < 0
        sure_by_words = words >= self.threshold and not named_elsewhere and self._says_what(question, support)
        confidence = "high" if sure_by_words else self.support.confidence(support)
        # a medium answer quotes the deciding sentences of each article, not the whole articles
        citations = [c for i in cited for c in self._passage_citations(*candidates[i][:2], whole=confidence != "medium")]
        citations.sort(key=lambda c: authority_rank(c.authority, c.region))
        answer.citations = citations  # in the order the answer quotes them
        answer.answer = (PHRASES["medium"] + "\n" if confidence == "medium" else "") + self._quoted(citations)
        answer.confidence = confidence
        answer.support = round(support, 4)
        return answer

    def _says_what(self, question: str, support: float) -> bool:
        """Whether the question says what it is about (one word, 罚多少？ or 怎么罚, says what is asked, not of
        what) and the support model does not rule it out (养老保险交满多少年可以领: its words are in a 工伤保险条例
        article, its meaning is not): only then do its words in a quote make the answer sure."""
        return support >= WORDS_SUPPORT_FLOOR and len(self._question_terms(question)[0]) >= MIN_SAID_WORDS

    def _passage_citations(self, hit, unit: Unit, whole: bool = True, lead_in: bool = True) -> list[Citation]:
        """The quote of ``unit``, labelled by its 款/项 (an item quoted with its lead-in: the item's);
        with ``lead_in``, an item whose lead-in is too far to quote with it follows the lead-in
        quoted alone."""
        start, end, labelled = self._quote_span(unit, whole, lead_in)
        citation = self._span_citation(hit, start, end, score=round(unit.score, 4))
        if labelled != start:
            citation.paragraph, citation.item = span_label(unit.chunk, labelled, end)
        lead = self._lead_in(unit) if lead_in and start == unit.start and _ITEM.match(unit.text) else None
        return ([self._span_citation(hit, *lead, score=round(unit.score, 4))] if lead else []) + [citation]

    def candidates(self, question: str, hits) -> tuple[list[tuple[object, Unit, Signals]], np.ndarray | None]:
        """The search's first ``CANDIDATES`` hits, each with its best sentence (by word
        coverage) and the signals the support model reads; and the question's plain vector."""
        hits = hits[:CANDIDATES]
        if not hits:
            return [], None
        terms = self._question_terms(question)
        index = self.kb.index
        rows = self._row_numbers([hit.chunk_id for hit in hits])
        embedder = self.kb.embedder
        plain = np.asarray(embedder.embed_queries([question])[0], dtype=np.float32)
        tuned_text = embedded_query(question, self.kb.tokenizer.expansion_terms(question))
        tuned = np.asarray(embed_search_queries(embedder, [tuned_text])[0], dtype=np.float32)
        cosines = {}
        for name, vector in (("plain", plain), ("tuned", tuned)):
            chunk = index.chunk_scores(vector, rows)
            sentence = index.sentence_scores(vector, rows)
            cosines[name] = (chunk, {row: sentence.get(row, chunk.get(row, 0.0)) for row in rows})
        top_score = hits[0].score or 1.0
        named = {name for name in self._law_names if name in question}
        places = self.kb.places
        asked = places.find(question)
        shares = document_shares([hit.doc_id for hit in hits])
        result = []
        for rank, (hit, row, share) in enumerate(zip(hits, rows, shares)):
            unit = self._best_unit(terms, hit, rank)
            if unit is None:
                continue
            law = 1.0 if _short_title(hit.title) in named else (-1.0 if named else 0.0)
            place = 0.0 if hit.region in (None, "", "全国") else \
                (1.0 if asked and places.applies(hit.region, asked) else -1.0)
            result.append((hit, unit, Signals(
                rank=rank, search=hit.score / top_score, coverage=unit.score, law=law, place=place, document=share,
                general=any(_GENERAL_CHAPTER.search(part) for part in hit.section_path[:1]),
                cos_sentence=cosines["plain"][1][row], cos_chunk=cosines["plain"][0].get(row, 0.0),
                tuned_sentence=cosines["tuned"][1][row], tuned_chunk=cosines["tuned"][0].get(row, 0.0))))
        return result, plain

    @cached_property
    def _law_names(self) -> frozenset[str]:
        """The short titles of the store's documents (消防法), as a question names them."""
        return frozenset(filter(None, (_short_title(d.title) for d in self.kb.store.documents())))

    def _row_numbers(self, chunk_ids: list[str]) -> list[int]:
        """The index row of each chunk (by the index in use: after an ingest, the new one's)."""
        numbers = self.kb.index.row_numbers(chunk_ids)
        return [numbers[chunk_id] for chunk_id in chunk_ids]

    def _best_unit(self, terms, hit, rank: int) -> Unit | None:
        """The hit's sentence that covers most of the question (with a share of its whole
        chunk's and headings' coverage: a sentence whose article is about the question is
        better evidence than a lone word match)."""
        chunk = hit_chunk(hit)
        heading = " ".join([hit.title or "", *hit.section_path, hit.article or ""])
        whole = self.coverage(terms, heading + hit.text)
        best = None
        for unit in units_of(chunk, rank):
            unit.score = self.coverage(terms, heading + unit.text) * (1 - CHUNK_SHARE) + CHUNK_SHARE * whole
            if best is None or unit.score > best.score:
                best = unit
        return best

    def _cited_part(self, question: str, hits, as_of: str | None = None) -> AskResponse | None:
        """A reference to a 款 or 项 (安全生产法第二十五条第二款) is answered by quoting that part; a
        question that only asks for cited articles' text (安全生产法第二十一条是什么) by quoting
        those articles whole, and nothing else; one that asks what breaking a cited article costs
        by its penalty (``_cited_penalty``)."""
        titles = sorted({h.title for h in hits if h.title})
        refs = parse_references(question, titles)
        parts = [r for r in refs if r.paragraph or r.item]
        asks_penalty = bool(PENALTY_QUESTION.search(question))
        if parts and not asks_penalty:
            ref = parts[0]
            hit = self._cited_hit(hits, ref)
            span = cited_span(hit.text, ref) if hit else None
            if span is None:
                return None
            citations = [self._span_citation(hit, *span)]
        elif refs and (self._asks_only_text(without_references(question, titles))
                       or (asks_penalty and self._cites_penalties(hits, refs))):
            wanted = {(r.title, r.article) for r in refs}
            citations = [self._whole_citation(h) for h in hits if (h.title, h.article) in wanted]
            if not citations:
                return None
        else:
            return self._cited_penalty(question, hits, refs, as_of) if asks_penalty else None
        return self._cited_answer(question, hits, citations)

    def _cited_answer(self, question: str, hits, citations: list[Citation], confidence: str = "high",
                      evidence: float = 1.0) -> AskResponse:
        """An answer to a question that cites articles: ``citations``, a ``medium`` one after the caution phrase."""
        text = (PHRASES["medium"] + "\n" if confidence == "medium" else "") + self._quoted(citations)
        return AskResponse(question=question, kind="passage", answer=text, citations=citations, evidence=evidence,
                           confidence=confidence, related=[self._related(h) for h in hits[:RELATED_COUNT]])

    @staticmethod
    def _cited_hit(hits, ref: ArticleRef):
        """The hit holding the head of the article ``ref`` cites, or None."""
        return next((h for h in hits if h.title == ref.title and h.article == ref.article
                     and _ARTICLE_HEAD.match(h.text)), None)

    def _whole_citation(self, hit) -> Citation:
        return self._span_citation(hit, 0, len(hit.text.rstrip()), whole=True)

    def _cited_penalty(self, question: str, hits, refs: list[ArticleRef], as_of: str | None) -> AskResponse | None:
        """违反安全生产法第二十一条会受到什么处罚: the article of the law's 法律责任 chapter that names the
        cited one (``high``), else the one whose text is nearest the cited article's (``medium``: the
        law punishes the duty in its own words), quoted before the cited article."""
        if len(refs) != 1:
            return None
        ref = refs[0]
        cited = self._cited_hit(hits, ref)
        if cited is None:
            return None
        chunks = penalty_articles(self._doc_chunks(cited.doc_id))
        if not chunks:
            return None
        rows = self._row_numbers([c.chunk_id for c in chunks])
        naming = [row for row, c in zip(rows, chunks) if names_article(c.text, ref.article)]
        vector = np.asarray(self.kb.embedder.embed_queries([cited.text])[0], dtype=np.float32)
        chunk_cos, sentence_cos = self.kb.index.chunk_scores(vector, rows), self.kb.index.sentence_scores(vector, rows)
        nearest = {row: max(chunk_cos.get(row, 0.0), sentence_cos.get(row, 0.0)) for row in naming or rows}
        row = max(nearest, key=nearest.get)
        penalty = self.kb.search_hits([(row, nearest[row])], as_of)[0]
        penalty_citations, evidence = self._penalty_citations(penalty, cited, ref, vector)
        return self._cited_answer(question, hits, penalty_citations + [self._whole_citation(cited)],
                                  "high" if naming else "medium", round(evidence, 4))

    def _penalty_citations(self, penalty, cited, ref: ArticleRef, vector: np.ndarray) -> tuple[list[Citation], float]:
        """The quote of a penalty article for breaking ``cited``, and its support: the sentence that
        names the cited article; else the list's lead-in (the penalty) through the last offence the
        cited rule describes; else the sentence nearest the cited rule."""
        units = units_of(hit_chunk(penalty), 0)
        naming = [u for u in units if names_article(u.text, ref.article)]
        offences = [u for u in units if _ITEM.match(u.text)]
        if naming:
            unit, unit.score = naming[0], 1.0
            return self._passage_citations(penalty, unit, whole=True), unit.score
        if offences:
            shares = [covered_share(u.text, cited.text) for u in offences]
            described = [u for u, share in zip(offences, shares) if share >= OFFENCE_SHARE]
            unit = described[-1] if described else offences[int(np.argmax(shares))]
            unit.score = max(shares)
            citations = self._passage_citations(penalty, unit, whole=False)
            if len(described) > 1:  # several offences quoted: the citation names their 款, not one 项
                citations[-1].item = None
            return citations, unit.score
        cosines = np.asarray(self.kb.embedder.embed_passages([u.text for u in units]), dtype=np.float32) @ vector
        unit = units[int(np.argmax(cosines))]
        unit.score = float(cosines.max())
        return self._passage_citations(penalty, unit, whole=False), unit.score

    @staticmethod
    def _cites_penalties(hits, refs: list[ArticleRef]) -> bool:
        """Whether every cited article stands in a 法律责任 chapter: 安全生产法第九十七条罚多少 asks for its text."""
        wanted = {(r.title, r.article) for r in refs}
        cited = [h for h in hits if (h.title, h.article) in wanted]
        return bool(cited) and all(in_penalty_chapter(h.section_path) for h in cited)

    def _asks_only_text(self, rest: str) -> bool:
        """Whether what a question says besides its references only asks for their text."""
        return all(w in _ASKING or w in _TEXT_REQUEST for w in self.kb.tokenizer.words(rest))

    @staticmethod
    def _span_citation(hit, start: int, end: int, whole: bool = False, score: float = 1.0) -> Citation:
        """A hit's text from ``start`` to ``end``, labelled with its 款 and 项 unless ``whole`` (the article)."""
        paragraph, item = (None, None) if whole else span_label(hit_chunk(hit), start, end)
        return Citation(source=hit.source, title=hit.title, authority=hit.authority,
                        authority_name=AUTHORITY_NAMES.get(hit.authority or ""), region=hit.region,
                        section_path=hit.section_path, article=hit.article, paragraph=paragraph, item=item,
                        quote=hit.text[start:end], chunk_id=hit.chunk_id, score=score)

    @staticmethod
    def _quote_span(unit: Unit, whole: bool = True, lead_in: bool = True) -> tuple[int, int, int]:
        """(start, end, where its label is read). A sentence that introduces a list (ends with a
        colon, or stands in the 款 line that does) is quoted with its items; with ``whole``, a
        sentence of a short article with the whole article; with ``lead_in``, a list item with its
        lead-in (labelled as the item); a sentence of a short paragraph (a law's 款) with its
        whole paragraph."""
        text = unit.chunk.text
        line_start = text.rfind("\n", 0, unit.start) + 1
        line_end = text.find("\n", unit.end)
        line_end = len(text) if line_end < 0 else len(text[:line_end].rstrip())
        if not unit.text.endswith(("：", ":")):
            if whole and unit.chunk.article and len(text) <= MAX_ARTICLE_QUOTE:
                return 0, len(text.rstrip()), 0  # a short article is the rule itself: quote all of it
            if lead_in and _ITEM.match(unit.text):
                lead = AnswerDesk._lead_in(unit)
                near = lead is not None and unit.end - lead[0] <= MAX_LIST_QUOTE
                return (lead[0] if near else unit.start), unit.end, unit.start
            if line_end - line_start > MAX_PARAGRAPH_QUOTE:
                return unit.start, unit.end, unit.start
            if not text[line_start:line_end].endswith(("：", ":")):
                return line_start, line_end, line_start
            unit = Unit(unit.chunk, line_start, line_end, unit.rank)  # a sentence of a list's lead-in: with its items
        end = unit.end
        for count, later in enumerate(u for u in units_of(unit.chunk, unit.rank) if u.start >= unit.end):
            if count >= MAX_LIST_ITEMS or not _ITEM.match(later.text):
                break
            end = later.end
        return unit.start, end, unit.start

    @staticmethod
    def _lead_in(unit: Unit) -> tuple[int, int] | None:
        """Where the lead-in of a list item's list lies in its chunk (the 款 line ending in a colon
        before the items: 有下列行为之一的，…处十万元以下的罚款：), or None (a continued chunk). The
        item is about what the lead-in says; the item alone does not say it."""
        text = unit.chunk.text
        line_start = text.rfind("\n", 0, unit.start) + 1
        while line_start > 0:
            previous = text.rfind("\n", 0, line_start - 1) + 1
            line = text[previous:line_start - 1].rstrip()
            line_start = previous
            if line.strip() and not _ITEM.match(line):
                return (previous, previous + len(line)) if line.endswith(("：", ":")) else None
        return None

    def _quoted(self, citations: list[Citation], first: bool = True) -> str:
        lines = []
        for number, c in enumerate(citations):
            lines.append(f"{PHRASES['first'] if number == 0 and first else PHRASES['next']}{self.label(c)}{PHRASES['colon']}"
                         f"{PHRASES['open']}{c.quote}{PHRASES['close']}")
        return "\n".join(lines)

    @staticmethod
    def label(c: Citation) -> str:
        """《安全生产法》第二十一条第一款第（三）项 (浙江省) — where a quote stands."""
        where = "".join(x for x in (c.article, c.paragraph, c.item) if x) or " › ".join(c.section_path)
        local = f"({c.region})" if c.region not in (None, "", "全国") else ""
        return f"《{c.title or c.source}》{local}{where}"

    def _related(self, hit) -> RelatedPassage:
        return RelatedPassage(source=hit.source, title=hit.title, authority=hit.authority, region=hit.region,
                              section_path=hit.section_path, article=hit.article, text=hit.text,
                              chunk_id=hit.chunk_id, score=hit.score)

    # --- locating quotes in chunks -------------------------------------------------------

    def _citation_for(self, source: str, text: str, score: float = 0.0, near: str | None = None) -> Citation | None:
        """A citation of the whole sentences that hold ``text`` in a chunk of ``source``; with
        ``near``, the occurrence after it in a chunk that holds it (a parenthesis of departments
        recurs all over a 分工方案: the one that counts follows its task)."""
        document = self.kb.store.document_by_source(source)
        if document is None or not text:
            return None
        chunks = self._doc_chunks(document.doc_id)
        if near:
            chunks = [c for c in chunks if near in c.text] + [c for c in chunks if near not in c.text]
        for chunk in chunks:
            after = chunk.text.find(near) if near and near in chunk.text else 0
            position = chunk.text.find(text, after)
            if position < 0:
                continue
            covering = [u for u in units_of(chunk, 0) if u.end > position and u.start < position + len(text)]
            start, end = covering[0].start, covering[-1].end
            paragraph, item = span_label(chunk, start, end)
            return Citation(source=source, title=document.title, authority=document.authority,
                            authority_name=AUTHORITY_NAMES.get(document.authority or ""), region=document.region,
                            section_path=chunk.section_path, article=chunk.article, paragraph=paragraph,
                            item=item, quote=chunk.text[start:end], chunk_id=chunk.chunk_id, score=round(score, 4))
        return None

    def _doc_chunks(self, doc_id: str) -> list[Chunk]:
        cache = self.__dict__.setdefault("_chunk_cache", {})
        if doc_id not in cache:
            cache[doc_id] = self.kb.store.chunks(doc_id)
        return cache[doc_id]

    def _best_sentence(self, terms, text: str) -> tuple[str, float]:
        """The sentence of ``text`` (a duty's task, a department's task) that best covers the question."""
        chunk = Chunk(chunk_id="", doc_id="", seq=0, text=text)
        units = units_of(chunk, 0)
        best = max(units, key=lambda u: self.coverage(terms, u.text), default=None)
        return (best.text, self.coverage(terms, best.text)) if best else ("", 0.0)

    # --- duties ----------------------------------------------------------------------

    def _duty(self, question: str, hits) -> AskResponse:
        """The best-matching duty, and a second one when the desk scores it nearly as high
        (a 分工方案 often names one task in two places, in its tasks and in its projects).
        Only when the search, which reads every document, puts a plan that holds these duties
        first: where a law's article comes first, who does it (工伤保险费由谁征收) is that rule's,
        and a plan's task that shares its words (实施工伤预防行动计划) is no answer."""
        matches = self.kb.duties(question, k=DUTY_QUOTES).matches
        if not hits or hits[0].source not in {match.source for match in matches}:
            return AskResponse(question=question, kind="duty", answer="", evidence=0.0)
        terms = self._question_terms(strip_who_words(question))
        shown, citations, evidence, texts = [], [], 0.0, []
        for match in matches:
            if shown and match.score < SECOND_QUOTE_SHARE * matches[0].score:
                break
            sentence, score = self._best_sentence(terms, match.task)
            support = score * (1 - CHUNK_SHARE) + CHUNK_SHARE * self.coverage(terms, " ".join(match.section_path) + match.task)
            parenthesis = match.evidence.strip()
            found = [c for c in (self._citation_for(match.source, sentence, support),
                                 self._citation_for(match.source, parenthesis, support, near=sentence)) if c]
            found = list({(c.chunk_id, c.quote): c for c in found}.values())
            if not found:
                continue
            shown.append(match)
            citations += found
            evidence = max(evidence, support)
            texts.append(self._duty_text(match, found, first=not texts))
        if not shown:
            return AskResponse(question=question, kind="duty", answer="", evidence=0.0)
        return AskResponse(question=question, kind="duty", answer="\n".join(texts), citations=citations, duties=shown,
                           evidence=round(evidence, 4))

    def _duty_text(self, match: DutyMatch, citations: list[Citation], first: bool) -> str:
        parts = [f"{PHRASES[role]}{'、'.join(names)}" for role, names in
                 (("lead", match.lead), ("responsible", match.responsible), ("cooperating", match.cooperating)) if names]
        head = PHRASES["sep"].join(parts) + PHRASES["stop"]
        if match.deadline:
            head += f"{PHRASES['deadline']}{match.deadline}{PHRASES['stop']}"
        return head + "\n" + self._quoted(citations, first)

    # --- departments -------------------------------------------------------------------

    def _department_name(self, text: str) -> str | None:
        registry = self.kb.departments_registry()
        return registry.canonical(text.strip()) if len(registry) else None

    def _department(self, question: str, name: str) -> AskResponse:
        response = self.kb.department(name)
        if not response.tasks:
            return AskResponse(question=question, kind="department", answer="", evidence=0.0)
        counts = Counter(task.role for task in response.tasks)
        head = (f"{response.department}{PHRASES['department']}"
                + "、".join(f"{ROLE_PHRASES[role]}{counts[role]}{PHRASES['count']}" for role in ROLE_PHRASES if counts[role])
                + PHRASES["stop"])
        citations = []
        for task in sorted(response.tasks, key=lambda t: list(ROLE_PHRASES).index(t.role)):
            if len(citations) >= DEPARTMENT_QUOTES:
                break
            first = units_of(Chunk(chunk_id="", doc_id="", seq=0, text=task.task), 0)
            citation = self._citation_for(task.source, first[0].text if first else "", 1.0)
            if citation:
                citations.append(citation)
        more = PHRASES["and_more"] if len(response.tasks) > len(citations) else ""
        return AskResponse(question=question, kind="department", answer=head + "\n" + self._quoted(citations) + more,
                           citations=citations, evidence=1.0 if citations else 0.0)

    # --- targets -----------------------------------------------------------------------

    def _target(self, question: str, region: str | None) -> AskResponse:
        targets = self.kb.targets(region=region).targets
        if not region:  # a region named in the question narrows the targets to it
            named = {t.region for t in targets if t.region and t.region.rstrip("省市区县") in question}
            if named:
                targets = [t for t in targets if t.region in named]
        if not targets:
            return AskResponse(question=question, kind="target", answer="", evidence=0.0)
        terms = self._question_terms(question)
        titles = {d.source: d.title or "" for d in self.kb.store.documents()}
        years = set(_YEAR.findall(question))
        scored = []
        for target in targets:
            # the region and the plan's title are part of what a target is about ("九原区…死亡人数")
            score = self.coverage(terms, " ".join([target.region or "", titles.get(target.source, ""), target.indicator,
                                                   *target.section_path[-1:]]))
            score = score * (1 - CHUNK_SHARE) + CHUNK_SHARE * self.coverage(terms, target.quote)
            if years and target.deadline not in years:
                score *= 0.8  # a target for another year answers a different question
            scored.append((score, target))
        scored.sort(key=lambda item: -item[0])
        top = scored[0][0]
        chosen: dict[str | None, tuple[float, Target]] = {}
        for score, target in scored:
            if score >= SECOND_QUOTE_SHARE * top and target.region not in chosen and len(chosen) < TARGETS_SHOWN:
                chosen[target.region] = (score, target)
        picked = sorted(chosen.values(), key=lambda item: (LEVEL_ORDER.get(item[1].level or "", 9), -item[0]))
        citations, lines, shown = [], [], []
        for score, target in picked:
            citation = self._citation_for(target.source, target.quote, score)
            if citation is None:
                continue
            citations.append(citation)
            shown.append(target)
            deadline = f"{PHRASES['sep']}{PHRASES['deadline']}{target.deadline}{PHRASES['year']}" if target.deadline else ""
            lines.append(f"{self.label(citation)}{PHRASES['colon']}{target.indicator}"
                         f"{DIRECTION_NAMES.get(target.direction or '', '')}{target.value or ''}{target.unit or ''}"
                         f"{deadline}{PHRASES['stop']}{PHRASES['source_text']}{PHRASES['colon']}"
                         f"{PHRASES['open']}{target.quote}{PHRASES['close']}")
        if not citations:
            return AskResponse(question=question, kind="target", answer="", evidence=0.0)
        return AskResponse(question=question, kind="target", answer="\n".join(lines), citations=citations,
                           targets=shown, evidence=round(top, 4))
