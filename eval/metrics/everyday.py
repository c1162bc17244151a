"""``ask`` on questions in everyday words: the three figures the answer desk is held to.

For each set (split): the share of answerable questions **answered with a gold citation**, the
share **answered with no gold citation** (a wrong article quoted as the answer), and the share
of unanswerable questions **abstained**. A citation is gold when it is from the gold document
(a file name, or a law's short name such as 安全生产法 for any of its versions) and, where the
gold names an article, is that article; else its quote holds the gold passage.

Sets: the plain set (``plain_questions.jsonl``: dev, and test, never tuned on), the story set
(``story_questions.jsonl``: never tuned on), the off-topic set (``offtopic_questions.jsonl``:
everyday questions outside the corpus, dev and test), the **test** split of the repository's
extra real people's questions (``real_questions_extra.jsonl``: its train split is trained on),
and, where given, real people's questions (``../shared/data/real_questions_dev.jsonl``: dev only;
a file whose rows name their ``split`` is reported per split).

>>> gold = Gold("安全生产法", "第二十八条")
>>> gold.source_matches("安全生产法(2021-06-10).md"), gold.source_matches("浙江省安全生产条例(2016-07-29).md")
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regkb.eval.metrics.retrieval import asked_apart, data_lines, load_questions, nfkc_without_spaces

SETS = (("plain", "plain_questions.jsonl"), ("story", "story_questions.jsonl"),
        ("offtopic", "offtopic_questions.jsonl"))
# real people's questions drawn from the datasets the shared dev set comes from, labelled here
# (provenance in eval/data/real_questions_extra.md): train / test split by hash
REAL_EXTRA = "real_questions_extra.jsonl"


@dataclass(frozen=True)
class Gold:
    source: str  # a file name, or a law's short name (its file names up to the date)
    article: str | None = None
    passage: str | None = None

    def source_matches(self, source: str) -> bool:
        return source == self.source or source.split("(")[0] == self.source

    def cites(self, source: str, article: str | None, text: str) -> bool:
        """Whether a citation (or a search hit) of ``source``/``article`` with ``text`` is this gold."""
        if not self.source_matches(source):
            return False
        if self.article:
            return article == self.article
        return bool(self.passage) and nfkc_without_spaces(self.passage) in nfkc_without_spaces(text)


@dataclass(frozen=True)
class EverydayQuestion:
    id: str
    question: str
    split: str
    golds: tuple[Gold, ...] = ()  # none: the corpus does not answer it

    @property
    def answerable(self) -> bool:
        return bool(self.golds)


def load_set(name: str) -> list[EverydayQuestion]:
    """A set of the repository's eval data (``plain``, ``story``, ``offtopic``)."""
    file = dict(SETS)[name]
    return [EverydayQuestion(q.id, q.question, q.split or "dev",
                             (Gold(q.source, q.article, q.quote),) if q.kind != "none" and q.source else ())
            for q in load_questions(name=file)]


def load_real_questions(path: Path | None = None) -> list[EverydayQuestion]:
    """Real people's questions, labelled by hand with (law, article) golds: those of ``path``
    (dev unless a row names its split), else the repository's extra set (train and test)."""
    rows = data_lines(Path(path) if path else None, REAL_EXTRA)
    return [EverydayQuestion(r["id"], r["question"], r.get("split", "dev"),
                             tuple(Gold(g["law"], g["article"]) for g in r.get("gold") or []))
            for r in rows]


def answered_with_gold(question: EverydayQuestion, response) -> bool:
    return not response.abstained and any(
        g.cites(c.source, c.article, c.quote) for g in question.golds for c in response.citations)


def rates(rows: list[tuple[EverydayQuestion, object]]) -> dict:
    """The three figures (and how many answers said ``medium``) over (question, response) pairs."""
    answerable = [(q, r) for q, r in rows if q.answerable]
    unanswerable = [r for q, r in rows if not q.answerable]
    gold = sum(1 for q, r in answerable if answered_with_gold(q, r))
    wrong = sum(1 for q, r in answerable if not r.abstained and not answered_with_gold(q, r))

    def share(n: int, of: int) -> float | None:
        return round(n / of, 4) if of else None

    return {"answerable": len(answerable), "unanswerable": len(unanswerable),
            "answered_gold": share(gold, len(answerable)), "answered_wrong": share(wrong, len(answerable)),
            "abstained_unanswerable": share(sum(1 for r in unanswerable if r.abstained), len(unanswerable)),
            "medium": sum(1 for _, r in rows if getattr(r, "confidence", None) == "medium")}


def evaluate_everyday(kb, real_questions: Path | None = None) -> dict:
    """``{"plain dev": {...}, "plain test": …, "story": …, "offtopic dev": …, "real extra test": …,
    "real dev": …}``; only questions whose gold documents are in the store count (unanswerable
    ones always)."""
    sources = [d.source for d in kb.store.documents()]
    sets = {name: load_set(name) for name, _ in SETS}
    sets["real extra"] = [q for q in load_real_questions() if q.split == "test"]
    if real_questions is not None:
        sets["real"] = load_real_questions(real_questions)
    report = {}
    for name, questions in sets.items():
        asked = [q for q in questions if all(any(g.source_matches(s) for s in sources) for g in q.golds)]
        rows = [(q, asked_apart(kb, q.question)) for q in asked]
        for split in sorted({q.split for q in asked}):
            label = name if split == "heldout" else f"{name} {split}"
            report[label] = rates([(q, r) for q, r in rows if q.split == split])
    return report
