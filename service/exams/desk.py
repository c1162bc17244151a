"""The exam desk: papers of grounded questions, exports, bank audits and single answers.
``KnowledgeBase.exam()``, ``.check_exam()`` and ``.solve()`` delegate here.

>>> desk = kb.exam_desk()  # doctest: +SKIP
>>> paper = desk.paper(count=8, seed=1)  # doctest: +SKIP
>>> sorted({q.type for q in paper.questions})  # doctest: +SKIP
['blank', 'judge', 'multi', 'single']
"""

from __future__ import annotations

import random
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from regkb.corpus.validity import version_key
from regkb.service.exams import generators as gen
from regkb.service.exams.self_check import failures
from regkb.service.exams.corpus import ExamCorpus
from regkb.service.exams.schemas import (ExamCheckResponse, ExamCheckResult, ExamQuestion, ExamResponse,
                                       ExamSolveResponse)
from regkb.service.validation import KnowledgeBaseError, validate_query

TYPES = ("judge", "single", "multi", "blank")
MAX_COUNT = 500
# How each type is made, and how often each way is tried: (writer, pool name, weight).
WRITERS = {
    "judge": [(lambda s, c, r: gen.judge(s, c, r, false=False), "sentences", 1),
              (lambda s, c, r: gen.judge(s, c, r, false=True), "sentences", 1),
              (lambda s, c, r: gen.target_judge(s, c, r, false=False), "targets", 0.2),
              (lambda s, c, r: gen.target_judge(s, c, r, false=True), "targets", 0.2)],
    "single": [(gen.slot_single, "sentences", 6), (gen.enumeration_not, "enumerations", 2), (gen.duty_lead, "duties", 2),
               (gen.target_single, "targets", 1)],
    "multi": [(gen.enumeration_multi, "enumerations", 3), (gen.duty_share, "duties", 2)],
    "blank": [(gen.blank, "sentences", 1), (gen.target_blank, "targets", 0.2)],
}


def parse_types(types: list[str] | str | None) -> list[str]:
    if not types:
        return list(TYPES)
    names = [t.strip() for t in (types.split(",") if isinstance(types, str) else types) if t.strip()]
    unknown = [t for t in names if t not in TYPES]
    if unknown or not names:
        raise KnowledgeBaseError(f"未知题型:{'、'.join(unknown) or '(空)'}(可选 single,multi,judge,blank)")
    return list(dict.fromkeys(names))


def _same_law(evidence, former) -> bool:
    """Whether two pieces of evidence are articles of versions of one law."""
    return bool(former) and version_key(evidence.title) == version_key(former.title) != ""


def _piece_key(piece) -> str:
    return getattr(piece, "key", None) or f"{piece.source}|{piece.task}"


class ExamDesk:
    """Builds papers from one store. ``search`` is the knowledge base's search (for --topic
    and for the bank audit); the corpus view is built on first use. Papers use the texts in
    force (``excluded_docs`` are the others); ``replaced_search`` searches the replaced texts,
    to tell an outdated key from a wrong one."""

    def __init__(self, store, registry, search: Callable, replaced_search: Callable | None = None,
                 excluded_docs: frozenset[str] = frozenset(), as_of: str | None = None):
        self.store = store
        self.registry = registry
        self.search = search
        self.replaced_search = replaced_search
        self.excluded_docs = excluded_docs
        self.as_of = as_of

    @cached_property
    def corpus(self) -> ExamCorpus:
        return ExamCorpus.from_store(self.store, self.registry)

    # --- papers -----------------------------------------------------------------------

    def paper(self, count: int = 20, types: list[str] | str | None = None, source: str | None = None,
              topic: str | None = None, seed: int = 0) -> ExamResponse:
        """``count`` questions, types balanced, no two on one sentence, each passing the checks."""
        if not 1 <= count <= MAX_COUNT:
            raise KnowledgeBaseError(f"题目数量应在 1 到 {MAX_COUNT} 之间")
        kinds = parse_types(types)
        pools = self._pools(source, topic)
        if not any(pools.values()):
            raise KnowledgeBaseError("没有找到可以出题的条文(检查 --source 与 --topic,或先导入法规)")
        rng = random.Random(seed)
        quotas = {kind: count // len(kinds) + (1 if i < count % len(kinds) else 0) for i, kind in enumerate(kinds)}
        used: set[str] = set()
        made: dict[str, list[ExamQuestion]] = {kind: [] for kind in kinds}
        streams = {kind: self._stream(kind, pools, rng) for kind in kinds}
        # Fill each type's quota; a type that runs dry passes its share to the others.
        pending = list(kinds)
        while pending and sum(len(q) for q in made.values()) < count:
            short = [k for k in pending if len(made[k]) < quotas[k]]
            for kind in list(short or pending):
                question = self._next(streams[kind], used)
                if question is None:
                    pending.remove(kind)
                else:
                    made[kind].append(question)
                if sum(len(q) for q in made.values()) >= count:
                    break
        questions = [q for kind in TYPES if kind in made for q in made[kind]]
        if not questions:
            raise KnowledgeBaseError("没有找到可以出题的条文(检查 --source 与 --topic)")
        return ExamResponse(questions=questions)

    def _next(self, stream: Iterator, used: set[str]) -> ExamQuestion | None:
        for key, question in stream:
            if key in used or question is None:
                continue
            # a target's sentence may also be a 分工 duty's task: one question on the quote, whatever made it
            keys = {key, f"{question.source}|{question.quote}"}
            if keys & used or failures(question, self.corpus):
                continue
            used.update(keys)
            return question
        return None

    def _stream(self, kind: str, pools: dict[str, list], rng: random.Random) -> Iterator:
        """(piece key, question or None) for the pieces of the pools, ways of writing chosen by weight."""
        ways = [(writer, list(pools[pool]), weight) for writer, pool, weight in WRITERS[kind] if pools[pool]]
        for _, pieces, _ in ways:
            rng.shuffle(pieces)
        while ways:
            writer, pieces, _ = rng.choices(ways, weights=[w for *_, w in ways])[0]
            piece = pieces.pop()
            if not pieces:
                ways = [way for way in ways if way[1]]
            yield _piece_key(piece), writer(piece, self.corpus, rng)

    def _pools(self, source: str | None, topic: str | None) -> dict[str, list]:
        """The pieces a paper may use: from the wanted document (file name or title), and on
        the topic (said in the piece, or the piece's article is among the topic's search hits)."""
        corpus = self.corpus
        hits = self.search(topic, k=30).hits if topic else []
        found = {f"{h.source}|{h.article or ''}" for h in hits}

        def wanted(place_source: str, title: str, article: str | None, text: str) -> bool:
            if source and source not in place_source and source not in title:
                return False
            return not topic or topic in text or f"{place_source}|{article or ''}" in found

        def placed(piece, text: str) -> bool:
            place = piece.place
            return place.doc_id not in self.excluded_docs and wanted(place.source, place.title, place.article, text + " ".join(place.section_path))

        return {
            "sentences": [s for s in corpus.sentences if placed(s, s.text)],
            "enumerations": [e for e in corpus.enumerations if placed(e, e.quote)],
            "duties": [d for d in corpus.duties if d.doc_id not in self.excluded_docs
                       and wanted(d.source, corpus.duty_titles.get(d.source, ""), None, d.task + " ".join(d.section_path))],
            # a plan is one "article" to the search: a target is on the topic when said in a hit, not anywhere in it
            "targets": [t for t in corpus.targets if placed(t, t.target.quote) and (
                not topic or topic in t.target.quote + " ".join(t.place.section_path) or any(t.text in h.text for h in hits))],
        }

    # --- exports ----------------------------------------------------------------------

    def export(self, paper: ExamResponse, path: Path) -> ExamResponse:
        from regkb.service.exams.export import write_paper

        write_paper(paper.questions, Path(path))
        return ExamResponse(questions=paper.questions, path=str(path))

    # --- the audit: a bank checked, a question solved -------------------------------------

    @cached_property
    def judge(self):
        from regkb.service.exams.bank_audit import StatementJudge

        return StatementJudge(self.search, self.store)

    @cached_property
    def replaced_judge(self):
        from regkb.service.exams.bank_audit import StatementJudge

        return StatementJudge(self.replaced_search, self.store) if self.replaced_search else None

    def solve(self, stem: str, options: list[str], kind: str | None = None) -> ExamSolveResponse:
        """The answer the articles imply for one question, with the sentence that decides it."""
        stem = validate_query(stem)
        if kind is not None:
            parse_types([kind])
        solution = self.judge.solve(stem, options, kind)
        evidence = solution.evidence
        return ExamSolveResponse(stem=stem, options=options, answer=solution.answer, decided=solution.answer is not None,
                                 source=evidence.source if evidence else None, title=evidence.title if evidence else None,
                                 article=evidence.article if evidence else None,
                                 quote=evidence.sentence if evidence else None)

    def check_bank(self, path: Path, report: bool = True) -> ExamCheckResponse:
        """Every question of a bank file against the articles; with ``report`` an xlsx report
        is written beside the file (``题库.体检.xlsx``)."""
        from regkb.service.exams.export import read_bank

        results = [self._check_one(row, record) for row, record in enumerate(read_bank(path), start=1)]
        response = ExamCheckResponse(checked=len(results), results=results,
                                     **{v: sum(r.verdict == v for r in results)
                                        for v in ("agrees", "disagrees", "undecided", "outdated")})
        if report:
            response.report = str(self._write_report(path, response))
        return response

    def _check_one(self, row: int, record: dict) -> ExamCheckResult:
        kind = record["type"]
        given = record["answer"]
        verdict, solution = self.judge.check(record["stem"], record["options"], kind, given)
        evidence = solution.evidence
        if verdict == "disagrees" and self.replaced_judge is not None:
            former_verdict, former = self.replaced_judge.check(record["stem"], record["options"], kind, given)
            # the key was right under a text no longer in force, and a later version of that same law
            # says otherwise: quote the replaced text. A replaced text of another document (an old local
            # rule on equipment in general, for a question the texts in force leave open) dates nothing.
            if former_verdict == "agrees" and evidence and _same_law(evidence, former.evidence):
                verdict, evidence = "outdated", former.evidence
        return ExamCheckResult(row=row, stem=record["stem"], type=kind, given=given, verdict=verdict,
                               corpus_answer=solution.answer,
                               source=evidence.source if evidence else None, title=evidence.title if evidence else None,
                               article=evidence.article if evidence else None,
                               quote=evidence.sentence if evidence else None)

    def _write_report(self, path: Path, response: ExamCheckResponse) -> Path:
        from regkb.service.exams.export import JUDGE_WORDS, atomic_write, write_rows

        names = {"agrees": "一致", "disagrees": "不一致", "undecided": "无法判定", "outdated": "依据已修订"}
        header = ("序号", "题干", "题库答案", "结论", "条文答案", "出处", "条文原文")
        rows = [[r.row, r.stem, JUDGE_WORDS.get(r.given, r.given), names[r.verdict],
                 JUDGE_WORDS.get(r.corpus_answer or "", r.corpus_answer or ""),
                 f"《{r.title or r.source}》{r.article or ''}" if r.source else "", r.quote or ""] for r in response.results]
        target = path.with_name(f"{path.stem}.体检.xlsx")
        atomic_write(target, lambda temp: write_rows(temp, header, rows))
        return target
