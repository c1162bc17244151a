"""Exam figures for ``regkb eval``: a generated paper (time, types, automatic-check failures,
groundedness) and the 题库体检 audit on the hand-written bank ``data/exam_bank.csv``.

Groundedness: a search with the question's stem finds, in its top 5, a chunk of the question's
source that holds its quote (or the quote's opening, for a quote spread over chunks).

The bank's questions are split once into dev and test by a hash of the stem; the audit was
tuned on dev. A planted wrong key is *flagged* when the audit says ``disagrees``; a right key
*called wrong* when it says ``disagrees`` about a key that agrees with the article.

>>> scores = exam_scores(kb)  # doctest: +SKIP
>>> scores["paper"]["check_failures"]  # doctest: +SKIP
0
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from importlib import resources

from regkb.eval.metrics.retrieval import nfkc_without_spaces

PAPER_COUNT = 100
PAPER_SEED = 0
TOP_K = 5
BANK = "exam_bank.csv"
JUDGE_KEYS = {"正确": "true", "错误": "false"}


def split_of(stem: str) -> str:
    return "dev" if int(hashlib.sha1(stem.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def _grounded(question, hits) -> bool:
    quote = nfkc_without_spaces(question.quote)
    for hit in hits:
        text = nfkc_without_spaces(hit.text)
        if hit.source == question.source and (quote in text or text[:30] in quote or quote[:30] in text):
            return True
    return False


def paper_scores(kb) -> dict:
    from regkb.service.exams.self_check import failures
    from regkb.service.exams.corpus import ExamCorpus

    started = time.perf_counter()
    paper = kb.exam(count=PAPER_COUNT, seed=PAPER_SEED)
    seconds = time.perf_counter() - started
    corpus = ExamCorpus.from_store(kb.store, kb.departments_registry())
    failed = sum(bool(failures(q, corpus)) for q in paper.questions)
    grounded = sum(_grounded(q, kb.search(q.stem, k=TOP_K).hits) for q in paper.questions)
    n = len(paper.questions) or 1
    return {"questions": len(paper.questions), "seconds": round(seconds, 2),
            "types": dict(Counter(q.type for q in paper.questions)),
            "bases": dict(Counter(q.basis for q in paper.questions)), "check_failures": failed,
            "groundedness": round(grounded / n, 4)}


def _bank_rows():
    """The bank's rows with their gold columns, and the file's path (the audit reads the file)."""
    with resources.as_file(resources.files("regkb.eval").joinpath("data", BANK)) as path:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle)), path


def audit_scores(kb) -> dict:
    """Flag rate of planted wrong keys and false-alarm rate on right keys, per split."""
    rows, path = _bank_rows()
    started = time.perf_counter()
    response = kb.check_exam(path, report=False)
    seconds = time.perf_counter() - started
    tallies: dict[str, Counter] = {"dev": Counter(), "test": Counter(), "all": Counter()}
    for result, row in zip(response.results, rows):
        truth = JUDGE_KEYS.get(row["正确答案"], row["正确答案"])
        planted = bool(row["植入错误"])
        for split in (split_of(row["题干"]), "all"):
            tally = tallies[split]
            tally["questions"] += 1
            tally[result.verdict] += 1
            if planted:
                tally["planted"] += 1
                tally["flagged"] += result.verdict == "disagrees"
            else:
                tally["right"] += 1
                tally["called_wrong"] += result.verdict == "disagrees"
            if truth and result.corpus_answer:
                tally["decided"] += 1
                tally["decided_correct"] += result.corpus_answer == truth
    scores = {split: {"questions": t["questions"], "planted": t["planted"], "flagged": t["flagged"],
                      "flag_rate": round(t["flagged"] / (t["planted"] or 1), 4), "right_keys": t["right"],
                      "called_wrong": t["called_wrong"], "false_alarm_rate": round(t["called_wrong"] / (t["right"] or 1), 4),
                      "undecided": t["undecided"],
                      "decided_accuracy": round(t["decided_correct"] / (t["decided"] or 1), 4)}
              for split, t in tallies.items()}
    scores["seconds"] = round(seconds, 2)
    return scores


def exam_scores(kb) -> dict:
    return {"paper": paper_scores(kb), "audit": audit_scores(kb)}


def format_exam(scores: dict) -> list[str]:
    paper, audit = scores["paper"], scores["audit"]
    types = "、".join(f"{k} {v}" for k, v in paper["types"].items())
    targets = paper.get("bases", {}).get("target", 0)
    lines = [f"\n组卷 {paper['questions']} 题({types};其中规划目标题 {targets}):用时 {paper['seconds']:.2f} 秒,自动检查未通过 "
             f"{paper['check_failures']} 题,溯源率(题干检索 top-5 命中引文块){paper['groundedness']:.3f}"]
    for split in ("dev", "test", "all"):
        a = audit[split]
        lines.append(f"题库体检 {split:<4} {a['questions']} 题:植入错误 {a['flagged']}/{a['planted']} 被查出"
                     f"({a['flag_rate']:.3f}),正确答案误判 {a['called_wrong']}/{a['right_keys']}"
                     f"({a['false_alarm_rate']:.3f}),无法判定 {a['undecided']},判定准确率 {a['decided_accuracy']:.3f}")
    return lines
