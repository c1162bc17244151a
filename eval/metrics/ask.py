"""The ask eval: answer accuracy, routing accuracy, abstention, and target extraction F1.

``eval/data/ask_questions.jsonl`` holds answerable questions of every kind (passage, duty,
target, department) and unanswerable ones (``kind: none``), written before the answer desk
was tuned and split once into dev and test by a fixed hash of the question text (sha1, even
→ dev). Thresholds are tuned on dev; test is reported beside it.

- **answer accuracy**: an answerable question is answered (not abstained) and one of its
  citations comes from the gold source with the gold passage inside its quote; for a
  department question the answer names the gold department.
- **routing accuracy**: the route (duty, target, department, passage) of answerable questions.
- **abstention rate**: the share of unanswerable questions that abstain;
  **wrong abstention**: the share of answerable ones that do.

Target F1 compares the extracted targets of a seed with its hand-written gold file: a match
has the same value, unit, direction and deadline and an indicator naming the same thing
(equal, or one containing the other, after removing spaces).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from regkb.eval.metrics.retrieval import nfkc_without_spaces

TARGET_GOLD = {"001_d581b906447e9fb7.txt": "targets_gold_001.json", "002_eb27f3ebc715db50.txt": "targets_gold_002.json",
               "004_36275ac223ca7fcd.txt": "targets_gold_004.json"}
TARGET_FIELDS = ("value", "unit", "direction", "deadline")


@dataclass
class AskQuestion:
    id: str
    question: str
    kind: str
    split: str
    source: str | None = None
    passage: str | None = None
    department: str | None = None
    style: str = "plain"


def split_of(question: str) -> str:
    """The fixed split: sha1 of the question text, even → dev, odd → test."""
    return "dev" if int(hashlib.sha1(question.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def load_ask_questions(path: Path | None = None) -> list[AskQuestion]:
    source = Path(path) if path else resources.files("regkb.eval").joinpath("data", "ask_questions.jsonl")
    fields = AskQuestion.__dataclass_fields__
    rows = (json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip())
    return [AskQuestion(**{k: v for k, v in row.items() if k in fields}) for row in rows]


def is_correct(question: AskQuestion, response) -> bool:
    """An answered question with a quote from the gold source that holds the gold passage."""
    if response.abstained:
        return False
    if question.kind == "department":
        return response.kind == "department" and response.answer.startswith(question.department or "\0") and \
            any(c.source == question.source for c in response.citations)
    passage = nfkc_without_spaces(question.passage or "")
    return any(c.source == question.source and passage in nfkc_without_spaces(c.quote) for c in response.citations)


def _rates(rows: list[tuple[AskQuestion, object]]) -> dict:
    answerable = [(q, r) for q, r in rows if q.kind != "none"]
    unanswerable = [(q, r) for q, r in rows if q.kind == "none"]

    def share(items, test) -> float:
        return round(sum(1 for q, r in items if test(q, r)) / len(items), 4) if items else 0.0

    return {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "answer_accuracy": share(answerable, is_correct),
        "routing_accuracy": share(answerable, lambda q, r: r.route == q.kind),
        "abstention_rate": share(unanswerable, lambda q, r: r.abstained),
        "wrong_abstention_rate": share(answerable, lambda q, r: r.abstained),
    }


def evaluate_ask(kb, questions: list[AskQuestion] | None = None, with_misses: bool = False) -> dict:
    """The figures per split (dev, test) and over all questions; only questions whose gold
    source is in the store count (an unanswerable question always counts)."""
    questions = questions if questions is not None else load_ask_questions()
    sources = {d.source for d in kb.store.documents()}
    asked = [q for q in questions if q.kind == "none" or q.source in sources]
    rows = [(q, kb.ask(q.question)) for q in asked]
    report = {split: _rates([(q, r) for q, r in rows if q.split == split]) for split in ("dev", "test")}
    report["all"] = _rates(rows)
    if with_misses:
        report["misses"] = [
            {"id": q.id, "split": q.split, "question": q.question, "kind": q.kind, "route": r.route,
             "abstained": r.abstained, "evidence": r.evidence}
            for q, r in rows if (q.kind == "none") != r.abstained or (q.kind != "none" and not is_correct(q, r))]
    return report


def calibrate(kb, questions: list[AskQuestion], max_wrong_abstention: float = 0.05) -> dict:
    """The abstention threshold from one split: abstain on as many unanswerable questions as
    possible while at most ``max_wrong_abstention`` of the answerable ones that are answered
    correctly would abstain; placed midway between the best-supported unanswerable question
    so abstained and the least-supported correct answer above it."""
    desk = kb.answer_desk
    saved, desk.threshold = desk.threshold, 0.0
    try:
        rows = [(q, kb.ask(q.question)) for q in questions]
    finally:
        desk.threshold = saved
    unanswerable = sorted(r.evidence for q, r in rows if q.kind == "none")
    correct = sorted(r.evidence for q, r in rows if q.kind != "none" and is_correct(q, r))
    allowed = int(max_wrong_abstention * sum(1 for q, _ in rows if q.kind != "none"))
    limit = correct[allowed] if len(correct) > allowed else 1.0
    below = [e for e in unanswerable if e < limit]
    floor = below[-1] if below else 0.0
    ceiling = min((e for e in correct if e > floor), default=1.0)
    return {"threshold": round((floor + ceiling) / 2, 4), "unanswerable_below": floor, "correct_above": ceiling,
            "abstained_unanswerable": round(len(below) / len(unanswerable), 4) if unanswerable else 0.0}


def indicator_same(gold: str, predicted: str) -> bool:
    gold, predicted = nfkc_without_spaces(gold), nfkc_without_spaces(predicted)
    return bool(gold) and (gold == predicted or gold in predicted or predicted in gold)


def score_targets(predicted: list, gold: list[dict]) -> dict:
    """Precision, recall and F1 with a one-to-one greedy matching."""
    unmatched = list(predicted)
    tp = 0
    for item in gold:
        for target in unmatched:
            if all(str(getattr(target, f) or "") == str(item.get(f) or "") for f in TARGET_FIELDS) and \
                    indicator_same(item["indicator"], target.indicator):
                unmatched.remove(target)
                tp += 1
                break
    return _prf(tp, len(predicted) - tp, len(gold) - tp)


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn}


def target_scores(kb) -> dict:
    """Target extraction against the gold files, per seed in the store and over all of them."""
    targets = kb.store.targets()
    scores = {}
    for source, gold_name in TARGET_GOLD.items():
        if kb.store.document_by_source(source) is None:
            continue
        gold = json.loads(resources.files("regkb.eval").joinpath("data", gold_name).read_text(encoding="utf-8"))["targets"]
        scores[source] = score_targets([t for t in targets if t.source == source], gold)
    if scores:
        scores["all"] = _prf(*(sum(s[k] for s in scores.values()) for k in ("tp", "fp", "fn")))
    return scores
