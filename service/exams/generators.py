"""Question writers. Each takes one piece of the corpus (a sentence, an enumeration, a duty,
a plan target) and a seeded ``random.Random`` and returns an ``ExamQuestion`` or None when the
piece does not make a good question of that kind. They never check their own output: ``exam_checks``
does, for every question, before a paper is returned.

>>> place = Place("d1", "特种设备安全法.md", "中华人民共和国特种设备安全法", (), "第三十三条")
>>> sentence = Sentence("特种设备使用单位应当在投入使用后三十日内办理使用登记。", place)
>>> corpus = ExamCorpus([sentence], [], [], {}, {place.source: sentence.text}, [])
>>> question = judge(sentence, corpus, random.Random(0), false=True)
>>> question.stem, question.answer
('根据《特种设备安全法》，特种设备使用单位可以在投入使用后三十日内办理使用登记。', 'false')
"""

from __future__ import annotations

import random
import re
import string

from regkb.corpus.models import Duty
from regkb.service.exams.corpus import (Enumeration, ExamCorpus, Place, Sentence, TargetStatement, strip_punctuation,
                                       specific)
from regkb.service.exams.facts import FREQUENCY_SWAPS, MODAL_SWAPS, Fact, government_tiers, same_fact
from regkb.service.exams.schemas import ExamQuestion

LETTERS = string.ascii_uppercase
SLOT = "（  ）"
BLANK = "________"
# Facts a choice question may ask for; modals make poor options (应当/可以/必须/禁止 read as a
# grammar test), so they are only ever swapped in a false 判断.
CHOICE_KINDS = ("number", "government", "actor")
SWAP_WEIGHTS = {"number": 4, "government": 3, "actor": 3, "modal": 2, "frequency": 2}
BLANK_TAGS = ("n", "nz", "vn", "nt", "l")
SUMMARY_CHARS = 50
# A two-character word blanked must be rare to be a term (效率, 问题 are not); longer words
# (调查组, 财产损失) are terms when they recur at all.
RARE_SHORT_WORD = 6
# "其他…" and "法律、法规规定的其他职责" close a list; they are no option.
_CATCH_ALL_RE = re.compile(r"^(?:其他|法律、|国务院规定的|省级以上)|其他.{0,8}$|(?:法律|法规|规定)[^，]{0,8}(?:职责|情形|事项|行为|条件)$")


def stem_prefix(place: Place) -> str:
    return f"根据《{place.short_title}》，"


def explanation(place: Place, quote: str, note: str = "") -> str:
    return f"依据{place.citation}：“{quote}”{note}"


def _question(kind: str, place: Place, stem: str, answer: str, quote: str, difficulty: str,
              options: list[str] | None = None, note: str = "", basis: str = "article") -> ExamQuestion:
    return ExamQuestion(type=kind, stem=stem, options=options or [], answer=answer,
                        explanation=explanation(place, quote, note), source=place.source, title=place.title,
                        section_path=list(place.section_path), article=place.article, quote=quote,
                        difficulty=difficulty, basis=basis)


def _replace(text: str, fact: Fact, new: str) -> str:
    return text[:fact.start] + new + text[fact.end:]


def _substitutes(fact: Fact, sentence: Sentence, corpus: ExamCorpus) -> list[str]:
    """Other facts of the same kind that would make the sentence false (the corpus does not
    say the changed sentence anywhere, and an actor must not be named in the same article)."""
    if fact.kind == "modal":
        pool = [MODAL_SWAPS[fact.text]]
    elif fact.kind == "frequency":
        pool = [FREQUENCY_SWAPS[fact.text]]
    elif fact.kind == "number":
        pool = corpus.close_numbers(fact, sentence.place.source)
    elif fact.kind == "government":
        # only tiers the original does not cover, and that do not cover it: 县级以上 for 省级
        # would still be true
        tiers = set(government_tiers(fact.text))
        levels = {}
        for text in corpus.same_kind(fact, sentence.place.source):
            if not tiers & set(government_tiers(text)):
                levels.setdefault(tuple(government_tiers(text)), text)
        pool = list(levels.values())
    else:
        if corpus.umbrella(fact):
            return []  # 施工单位 for 生产经营单位 is a kind of it, and the statement stays true
        article = _article_text(sentence, strip_punctuation(corpus.texts.get(sentence.place.source, "")))
        # same kind of actor (单位 for 单位), but another head: 事故单位主要负责人 would be as
        # right as 单位的主要负责人
        pool = [t for t in corpus.same_kind(fact, sentence.place.source)
                if t[-2:] == fact.text[-2:] and _shared_ending(t, fact.text) <= 2 and strip_punctuation(t) not in article]
    return [t for t in pool if not same_fact(t, fact.text) and not corpus.states(_replace(sentence.text, fact, t))]


def _shared_ending(a: str, b: str) -> int:
    a, b = a.replace("的", ""), b.replace("的", "")
    size = 0
    while size < min(len(a), len(b)) and a[-1 - size] == b[-1 - size]:
        size += 1
    return size


def _article_text(sentence: Sentence, document: str) -> str:
    """The normalised text of the sentence's article (an actor named there is no distractor)."""
    label = sentence.place.article or ""
    start = document.find(strip_punctuation(label))
    if start < 0:
        return document
    following = re.search(r"第[一二三四五六七八九十百零〇]+条", document[start + len(label):])
    return document[start:start + len(label) + (following.start() if following else len(document))]


# --- 判断 ---------------------------------------------------------------------------------

def judge(sentence: Sentence, corpus: ExamCorpus, rng: random.Random, false: bool) -> ExamQuestion | None:
    """The sentence itself (true), or the sentence with exactly one fact swapped (false)."""
    prefix = stem_prefix(sentence.place)
    if not false:
        return _question("judge", sentence.place, prefix + sentence.text, "true", sentence.text, "易")
    facts = [f for f in sentence.facts if f.kind in SWAP_WEIGHTS]
    rng.shuffle(facts)
    facts.sort(key=lambda f: -SWAP_WEIGHTS[f.kind] * rng.random())
    for fact in facts:
        substitutes = _substitutes(fact, sentence, corpus)
        if not substitutes:
            continue
        new = rng.choice(substitutes[:4])
        note = f"题干将“{fact.text}”改为“{new}”，故错误。"
        return _question("judge", sentence.place, prefix + _replace(sentence.text, fact, new), "false",
                         sentence.text, "中", note=note)
    return None


# --- 单选: the missing fact -------------------------------------------------------------

def _qualifies_noun(text: str, fact: Fact) -> bool:
    """国务院 in "国务院负有…职责的部门…应当": the government only qualifies the real actor, and
    asking for it reads as a riddle."""
    clause = re.match(r"[^，。；]*?(?=应当|应|负责|可以|不得|必须|有权|$)", text[fact.end:])
    return fact.kind == "government" and bool(clause and re.search(r"部门|机构|机关", clause.group(0)))


def slot_single(sentence: Sentence, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """The sentence with one number, level of government or actor left out; three other
    facts of the same kind as distractors."""
    facts = [f for f in sentence.facts if f.kind in CHOICE_KINDS and not _qualifies_noun(sentence.text, f)]
    rng.shuffle(facts)
    for fact in facts:
        distractors = _substitutes(fact, sentence, corpus)
        distractors = [d for d in dict.fromkeys(distractors) if d not in sentence.text][:6]
        if len(distractors) < 3:
            continue
        options = [fact.text, *rng.sample(distractors, 3)]
        rng.shuffle(options)
        stem = stem_prefix(sentence.place) + _replace(sentence.text, fact, SLOT)
        return _question("single", sentence.place, stem, LETTERS[options.index(fact.text)], sentence.text, "中",
                         options=options)
    return None


# --- 填空: a rare key term --------------------------------------------------------------

def blank(sentence: Sentence, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """The sentence with its rarest content word (by jieba's part of speech and the corpus's
    document frequency) left blank; a word seen only once in the corpus is not a term."""
    import jieba.posseg

    frequency = corpus.document_frequency
    title = sentence.place.title
    words = [w for w, tag in jieba.posseg.lcut(sentence.text)
             if tag in BLANK_TAGS and len(w) >= 2 and sentence.text.count(w) == 1 and w not in title
             and 2 <= frequency.get(w, 0) <= (40 if len(w) >= 3 else RARE_SHORT_WORD)]
    if not words:
        return None
    word = min(words, key=lambda w: (len(w) < 3, frequency[w], -len(w)))
    stem = stem_prefix(sentence.place) + sentence.text.replace(word, BLANK, 1)
    return _question("blank", sentence.place, stem, word, sentence.text, "难")


# --- 多选 and 单选 from an enumeration -----------------------------------------------------

def _outsiders(enumeration: Enumeration, corpus: ExamCorpus) -> list[str]:
    """Items of other enumerations that this one does not contain, nor anything like them."""
    import difflib

    own = [strip_punctuation(i) for i in enumeration.items]
    quote = strip_punctuation(enumeration.quote)
    noun = enumeration.leadin[-2:]
    ranked = []
    for other in corpus.enumerations:
        if other.key == enumeration.key or other.leadin == enumeration.leadin:
            continue
        # lists of the same kind of thing (职责 with 职责) in the same document read as real distractors
        closeness = (other.leadin[-2:] != noun) * 2 + (other.place.source != enumeration.place.source)
        for item in _plain_items(other):
            text = strip_punctuation(item)
            if text not in quote and all(difflib.SequenceMatcher(None, text, o).ratio() < 0.5 for o in own):
                ranked.append((closeness, item))
    ranked.sort(key=lambda pair: pair[0])
    return list(dict.fromkeys(item for _, item in ranked))[:12]


def _plain_items(enumeration: Enumeration) -> list[str]:
    """Items short enough for an option, without the catch-all "其他…" item."""
    return [i for i in enumeration.items if len(i) <= 30 and not _CATCH_ALL_RE.search(i)]


def _enumeration_stem(enumeration: Enumeration, ending: str) -> str:
    return f"{stem_prefix(enumeration.place)}{enumeration.leadin}，{ending}"


def enumeration_multi(enumeration: Enumeration, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """"…负有下列职责，其中包括（ ）": two to four items of the enumeration, the rest from others."""
    short = _plain_items(enumeration)
    outsiders = _outsiders(enumeration, corpus)
    if len(short) < 2 or len(outsiders) < 2:
        return None
    correct = rng.sample(short, min(len(short), rng.choice((2, 3, 3, 4))))
    wrong = rng.sample(outsiders, max(1, min(len(outsiders), 5 - len(correct))))
    options = correct + wrong
    rng.shuffle(options)
    answer = "".join(LETTERS[options.index(c)] for c in sorted(correct, key=options.index))
    return _question("multi", enumeration.place, _enumeration_stem(enumeration, f"其中包括{SLOT}。"), answer,
                     enumeration.quote, "难", options=options)


def enumeration_not(enumeration: Enumeration, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """"…负有下列职责，其中不包括（ ）": three items of the enumeration and one from another."""
    short = _plain_items(enumeration)
    outsiders = _outsiders(enumeration, corpus)
    if len(short) < 3 or not outsiders:
        return None
    outsider = rng.choice(outsiders)
    options = [*rng.sample(short, 3), outsider]
    rng.shuffle(options)
    return _question("single", enumeration.place, _enumeration_stem(enumeration, f"其中不包括{SLOT}。"),
                     LETTERS[options.index(outsider)], enumeration.quote, "中", options=options)


# --- duties: who leads, who shares -------------------------------------------------------

def _duty_place(duty: Duty, corpus: ExamCorpus) -> Place:
    return Place(duty.doc_id, duty.source, corpus.duty_titles.get(duty.source, duty.source), tuple(duty.section_path),
                 None)


def _task_summary(duty: Duty) -> str:
    """The task's first sentence, or as many of its first clauses as fit in a stem (a lone
    "按照…标准要求" clause says nothing of the task)."""
    first = re.split(r"[。；]", duty.task)[0]
    if len(first) <= SUMMARY_CHARS:
        return first
    summary = ""
    for clause in re.findall(r"[^，,]+[，,]?", first):
        if summary and len(summary) + len(clause) > SUMMARY_CHARS:
            break
        summary += clause
    return summary.rstrip("，,")


def _duty_question(duty: Duty, corpus: ExamCorpus, kind: str, stem: str, options: list[str], correct: list[str]):
    place = _duty_place(duty, corpus)
    answer = "".join(LETTERS[options.index(c)] for c in sorted(correct, key=options.index))
    note = f"分工：{duty.evidence}" if duty.evidence else ""
    return _question(kind, place, stem, answer, duty.task, "中" if kind == "single" else "难", options=options,
                     note=note)


def _duty_stem(duty: Duty, corpus: ExamCorpus, ask: str) -> str:
    title = corpus.duty_titles.get(duty.source, duty.source)
    return f"根据《{title}》，“{_task_summary(duty)}”这项任务{ask}{SLOT}"


def _uninvolved(duty: Duty, corpus: ExamCorpus) -> list[str]:
    """Departments of the same plan that have no part in this task (never one that shares it)."""
    involved = set(duty.lead + duty.responsible + duty.cooperating)
    same_plan = {n for d in corpus.duties if d.source == duty.source for n in d.lead + d.responsible + d.cooperating}
    return [d for d in corpus.departments if d in same_plan and d not in involved]


def duty_lead(duty: Duty, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """Which department leads a task: the one 牵头 department and three that have no part in it."""
    leads = specific(duty.lead)
    others = _uninvolved(duty, corpus)
    if len(duty.lead) != 1 or len(leads) != 1 or len(others) < 3:
        return None
    options = [leads[0], *rng.sample(others, 3)]
    rng.shuffle(options)
    return _duty_question(duty, corpus, "single", _duty_stem(duty, corpus, "由哪个部门牵头？"), options, leads)


def duty_share(duty: Duty, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """All the departments that take part in a task (牵头, 负责 or 配合), among others that do not."""
    sharing = list(dict.fromkeys(specific(duty.lead + duty.responsible + duty.cooperating)))
    others = _uninvolved(duty, corpus)
    if not 2 <= len(sharing) <= 4 or len(others) < 2:
        return None
    options = sharing + rng.sample(others, max(2, 5 - len(sharing)))
    rng.shuffle(options)
    return _duty_question(duty, corpus, "multi", _duty_stem(duty, corpus, "由哪些部门承担（含牵头、负责、配合）？"),
                          options, sharing)


# --- plan targets: the value, the deadline ------------------------------------------------

# A table row's bound is a symbol; a stem says it in words.
_BOUND_WORDS = {"＞": "大于", ">": "大于", "≥": "不低于", "＜": "小于", "<": "小于", "≤": "不超过"}
_YEAR_RE = re.compile(r"20\d\d年")


def _target_stem(statement: TargetStatement, gap: str) -> str:
    """The statement with its value left out; a table row (序号:1;指标内容:…;规划目标:＞15%) is
    said as "…的规划目标为大于（  ）"."""
    text, prefix = statement.text, stem_prefix(statement.place)
    if not statement.table:
        return f"{prefix}{text[:statement.value_start]}{gap}{text[statement.value_end:]}。"
    column, _, bound = text[text.rfind(";", 0, statement.value_start) + 1:statement.value_start].partition(":")
    return f"{prefix}{statement.target.indicator}的{column}为{_BOUND_WORDS.get(bound, bound)}{gap}。"


def _target_question(kind: str, statement: TargetStatement, stem: str, answer: str, difficulty: str,
                     options: list[str] | None = None, note: str = "") -> ExamQuestion:
    target = statement.target
    deadline = f"，完成时限{target.deadline}年" if target.deadline else ""
    basis = f"规划目标：{target.indicator}，目标值{statement.value_text}{deadline}"
    return _question(kind, statement.place, stem, answer, statement.text, difficulty, options=options,
                     note=note + f"（{basis}）", basis="target")


def target_single(statement: TargetStatement, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """A target's value left out; three values of other targets with its unit and direction."""
    distractors = [d for d in corpus.target_values(statement) if strip_punctuation(d) not in strip_punctuation(statement.text)][:6]
    if len(distractors) < 3:
        return None
    key = statement.value_text
    options = [key, *rng.sample(distractors, 3)]
    rng.shuffle(options)
    return _target_question("single", statement, _target_stem(statement, SLOT), LETTERS[options.index(key)], "中",
                            options=options)


def target_blank(statement: TargetStatement, corpus: ExamCorpus, rng: random.Random) -> ExamQuestion | None:
    """A target's value left blank."""
    return _target_question("blank", statement, _target_stem(statement, BLANK), statement.value_text, "中")


def target_judge(statement: TargetStatement, corpus: ExamCorpus, rng: random.Random,
                 false: bool) -> ExamQuestion | None:
    """The target's statement as the plan says it (true), or with its value or its deadline
    changed (false). A table row is no sentence to judge."""
    if statement.table:
        return None
    text, prefix = statement.text, stem_prefix(statement.place)
    if not false:
        return _target_question("judge", statement, f"{prefix}{text}。", "true", "易")
    year = _YEAR_RE.search(text, 0, statement.value_start)
    changes = [(statement.value_start, statement.value_end, d) for d in corpus.target_values(statement)[:4]]
    if year:
        changes += [(year.start(), year.end(), f"{y}年") for y in corpus.target_deadlines(statement)
                    if f"{y}年" != year.group(0)]
    if not changes:
        return None
    start, end, new = rng.choice(changes)
    note = f"题干将“{text[start:end]}”改为“{new}”，故错误。"
    stem = f"{prefix}{text[:start]}{new}{text[end:]}。"
    return _target_question("judge", statement, stem, "false", "中", note=note)
