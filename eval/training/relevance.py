"""Fit and check the relevance model behind ``/retrieval``'s scores (``service/answers/relevance.py``).

On the plain-language set (its fixed dev/test split; held-out questions dropped), every hit of
the top ``depth`` is labelled relevant when it holds the question's quote in its source; the
hits of the questions the corpus cannot answer are all irrelevant. The
logistic model is fitted on dev (Newton's method on four weights) and reported on test: how
well the probabilities match the outcome (Brier score, mean probability vs rate per bin), and
what a threshold of 0.5 keeps.

    REGKB_HOME=/tmp/kb python -m regkb.eval.training.relevance
"""

from __future__ import annotations

import json
import math

import numpy as np

from regkb.eval.metrics.retrieval import load_plain_questions, nfkc_without_spaces
from regkb.eval.paths import holdout_hashes
from regkb.index.question_memory import question_hash
from regkb.service.knowledge_base import KnowledgeBase
from regkb.service.answers.relevance import FITTED, Features, RelevanceModel, features
from regkb.service.settings import Settings

HOLDOUT = holdout_hashes()
DEPTH = 20


def held_out() -> set[str]:
    if not HOLDOUT.is_file():
        return set()
    return {line.strip() for line in HOLDOUT.read_text().splitlines() if line.strip() and not line.startswith("#")}


def labelled(kb, questions) -> tuple[list[Features], np.ndarray, np.ndarray]:
    """Every hit's features and label, and the number of its question, for every question."""
    rows, labels, owners = [], [], []
    for number, question in enumerate(questions):
        quote = nfkc_without_spaces(question.quote) if question.quote else None
        for hit, row in features(kb, question.question, None, DEPTH):
            rows.append(row)
            labels.append(float(quote is not None and hit.source == question.source and quote in nfkc_without_spaces(hit.text)))
            owners.append(number)
    return rows, np.asarray(labels), np.asarray(owners)


def design(rows: list[Features]) -> np.ndarray:
    return np.asarray([(1.0, r.hybrid, math.log(r.rank), math.log1p(r.bm25)) for r in rows])


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    weights = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ weights))
        gradient = x.T @ (p - y) + ridge * weights
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge * np.eye(x.shape[1])
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def report(model: RelevanceModel, rows: list[Features], y: np.ndarray, owners: np.ndarray, questions) -> dict:
    p = np.asarray([model.probability(row) for row in rows])
    uncovered = [n for n, q in enumerate(questions) if q.kind == "none"]
    bins = [(lo, lo + 0.2) for lo in np.arange(0, 1, 0.2)]
    kept = p >= 0.5
    return {"questions": len(questions), "hits": int(len(y)), "relevant": int(y.sum()),
            "uncovered_questions_with_a_record_at_0.5": f"{sum(p[owners == n].max() >= 0.5 for n in uncovered)}"
                                                         f"/{len(uncovered)}",
            "brier": round(float(np.mean((p - y) ** 2)), 4),
            "brier_constant_rate": round(float(np.mean((y.mean() - y) ** 2)), 4),
            "bins": [{"p": f"{lo:.1f}–{hi:.1f}", "hits": int(m.sum()), "mean_p": round(float(p[m].mean()), 3),
                      "rate": round(float(y[m].mean()), 3)}
                     for lo, hi in bins if (m := (p >= lo) & (p < hi if hi < 1 else p <= 1)).any()],
            "at_0.5": {"kept": int(kept.sum()), "precision": round(float(y[kept].mean()), 3) if kept.any() else None,
                       "recall": round(float(y[kept].sum() / max(y.sum(), 1)), 3)}}


def main() -> None:
    kb = KnowledgeBase.open(Settings.from_env(show_progress=False), create=False)
    hidden = held_out()
    # questions the corpus cannot answer stay in: every hit of theirs is irrelevant
    questions = [q for q in load_plain_questions() if (q.quote or q.kind == "none") and question_hash(q.question) not in hidden]
    dev = [q for q in questions if q.split == "dev"]
    test = [q for q in questions if q.split == "test"]
    x_dev, y_dev, owners_dev = labelled(kb, dev)
    fitted = RelevanceModel(*(round(float(w), 2) for w in fit(design(x_dev), y_dev)))
    x_test, y_test, owners_test = labelled(kb, test)
    print(json.dumps({"fitted": fitted.__dict__, "shipped": FITTED.__dict__,
                      "dev": report(fitted, x_dev, y_dev, owners_dev, dev),
                      "test": report(FITTED, x_test, y_test, owners_test, test)},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
