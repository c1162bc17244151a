"""Score extracted duties against a hand-labelled gold file.

The unit is the triple (task, department, role). A predicted duty is matched to the gold
task whose ``key`` (the task's first characters, verbatim) its text starts with, ignoring
spaces and a leading enumerator; when several gold tasks fit, the one with the same
section path wins. Each gold task is matched at most once, so a duplicate duty counts as
false positives.

Example::

    >>> from regkb.eval.metrics.duties import score_duties
    >>> from regkb.ingest.duties import extract_duties_from_text
    >>> duties = extract_duties_from_text("三、主要任务\\n1.推进尾矿库综合治理。（省应急厅牵头，省自然资源厅按职责分工负责）", "x", "d1")
    >>> gold = {"duties": [{"section_path": ["三、主要任务"], "key": "推进尾矿库",
    ...                     "lead": ["省应急管理厅"], "responsible": ["省自然资源厅"], "cooperating": []}]}
    >>> score = score_duties(duties, gold)
    >>> score["f1"], score["tp"]
    (1.0, 2)

    With the shared corpus and the gold file of its plan 004:

    >>> text = open("../shared/corpus/seeds/004_36275ac223ca7fcd.txt", encoding="utf-8").read()  # doctest: +SKIP
    >>> score_duties(extract_duties_from_text(text, "004", "d4"), "eval/data/duties_gold_004.json")["f1"]  # doctest: +SKIP
    1.0
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from regkb.corpus.models import Duty

ROLES = ("lead", "responsible", "cooperating")
_ENUM_RE = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d{1,3}[.．、](?!\d))")


def _norm(text: str) -> str:
    text = re.sub(r"\s+", "", text or "")
    text = text.replace("（", "(").replace("）", ")").replace("，", ",")
    return _ENUM_RE.sub("", text)


def load_gold(gold: str | Path | dict) -> list[dict]:
    if isinstance(gold, dict):
        return gold["duties"]
    return json.loads(Path(gold).read_text(encoding="utf-8"))["duties"]


def score_duties(predicted: list[Duty], gold_path: str | Path | dict) -> dict:
    """Precision, recall and F1 over (task, department, role) triples, with the errors."""
    gold = load_gold(gold_path)
    keys = [_norm(g["key"]) for g in gold]
    gold_triples = {(i, d, r) for i, g in enumerate(gold) for r in ROLES for d in g.get(r, [])}

    used: set[int] = set()
    pred_triples: set[tuple] = set()
    errors: list[dict] = []
    for n, duty in enumerate(predicted):
        task = _norm(duty.task)
        fits = [i for i, k in enumerate(keys) if k and (task.startswith(k) or (len(task) >= 8 and k.startswith(task)))]
        fits = [i for i in fits if i not in used]
        same_path = [i for i in fits if [_norm(h) for h in gold[i]["section_path"]] ==
                     [_norm(h) for h in duty.section_path]]
        match = (same_path or fits or [None])[0]
        if match is None:
            label: tuple = ("unmatched", n)
            errors.append({"type": "unmatched_task", "task": duty.task[:30],
                           "section_path": duty.section_path})
        else:
            used.add(match)
            label = (match,)
        for role in ROLES:
            for dept in getattr(duty, role):
                pred_triples.add((label[0] if match is not None else label, dept, role))

    tp = pred_triples & gold_triples
    fp = pred_triples - gold_triples
    fn = gold_triples - pred_triples

    def task_of(i) -> str:
        return gold[i]["key"] if isinstance(i, int) else f"(unmatched #{i[1]})"

    for i, d, r in sorted(fp, key=str):
        errors.append({"type": "fp", "task": task_of(i), "department": d, "role": r})
    for i, d, r in sorted(fn, key=str):
        errors.append({"type": "fn", "task": task_of(i), "department": d, "role": r})
    for i in range(len(gold)):
        if i not in used:
            errors.append({"type": "missed_task", "task": gold[i]["key"],
                           "section_path": gold[i]["section_path"]})

    p = len(tp) / len(pred_triples) if pred_triples else 0.0
    rc = len(tp) / len(gold_triples) if gold_triples else 0.0
    f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    return {"precision": round(p, 4), "recall": round(rc, 4), "f1": round(f1, 4),
            "tp": len(tp), "fp": len(fp), "fn": len(fn),
            "tasks": {"gold": len(gold), "predicted": len(predicted), "matched": len(used)},
            "errors": errors}
