"""Learns the re-ranker's weights (``index/data/rerank.json``) from the first question set.

Each answerable question of ``eval/data/questions.jsonl`` runs through the shipped hybrid
pipeline up to the legal prior; the top ``depth`` hits become candidates, labelled 1 when
they hold the gold passage (gold source and quote, as ``retrieval_eval`` judges a hit).
A linear model is fit on the candidates' features (``index/rerank.py``): pointwise logistic
regression with an L2 penalty, solved by Newton steps (numpy only, deterministic). The
plain set is never trained on: its dev split chose the features and the penalty, and its
test split is only reported. The first set's formal questions are also scored by k-fold
cross-validation (folds by question), since they are part of the training data.

    python -m regkb.eval.train_rerank            # train on the whole first set, write the model
    python -m regkb.eval.train_rerank --check    # dev and cross-validated figures only
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regkb.eval.retrieval_eval import Question, load_plain_questions, load_questions, normalise

DEPTH = 30
L2 = 1.0
FOLDS = 5
MODEL_PATH = Path(__file__).resolve().parent.parent / "index" / "data" / "rerank.json"


@dataclass
class Candidates:
    """One question's top hits: their features, which hold the gold passage, and the rank
    of the gold passage in the pipeline's list without the re-ranker (None: not in it)."""

    question: Question
    features: np.ndarray
    labels: np.ndarray
    rank_before: int | None


def gather(kb, questions: list[Question], depth: int = DEPTH) -> list[Candidates]:
    """Runs the shipped hybrid pipeline, without the re-ranker, on each answerable question."""
    from regkb.index.rerank import DocumentLayout, candidate_features
    from regkb.index.retrieval import CANDIDATES, SearchMode, build_query_pipeline

    kb.search(questions[0].question, k=1)  # loads the index and the embedder
    retriever = kb._retriever
    pipeline = build_query_pipeline(SearchMode.hybrid, retriever.index, retriever.chunk_texts, retriever.tokenizer,
                                    retriever.embedder, retriever.weights, retriever.document_regions)
    rows = retriever.index.rows
    layout = DocumentLayout(rows)
    groups = []
    for question in questions:
        if question.kind == "none" or not question.source:
            continue
        text = question.question
        result = pipeline.run({"query_tokenizer": {"query": text}, "legal_prior": {"query": text, "region": None},
                               "references": {"query": text, "allowed": None}, "list_booster": {"query": text},
                               "bm25": {"query": text, "top_k": CANDIDATES, "allowed": None},
                               "query_embedder": {"query": text}, "dense": {"top_k": CANDIDATES, "allowed": None}},
                              include_outputs_from={"bm25", "dense", "legal_prior"})
        hits = result["legal_prior"]["hits"].top(depth)
        texts = retriever.chunk_texts(hits.rows())
        quote = normalise(question.quote)
        labels = np.array([rows[row].source == question.source and quote in normalise(chunk)
                           for row, chunk in zip(hits.rows(), texts)], dtype=float)
        features = candidate_features(text, hits, result["bm25"]["hits"], result["dense"]["hits"],
                                      result["bm25"]["coverage"], rows, layout, texts)
        rank_before = int(np.argmax(labels)) + 1 if labels.any() else None
        groups.append(Candidates(question, features, labels, rank_before))
    return groups


def fit(groups: list[Candidates], l2: float = L2, iterations: int = 30):
    """Logistic regression on the standardised features of every candidate; questions
    whose gold is not among the candidates teach nothing and are left out."""
    from regkb.index.rerank import RerankModel

    used = [g for g in groups if g.labels.any()]
    x = np.vstack([g.features for g in used])
    y = np.concatenate([g.labels for g in used])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    # the intercept does not change an order, so the shipped model is the weights alone
    return RerankModel(mean, scale, w[:-1], len(groups[0].labels) if groups else DEPTH)


def rank_after(model, group: Candidates) -> int | None:
    """The gold passage's rank once the model re-orders the candidates."""
    if group.rank_before is None:
        return None
    order = np.argsort(-model.score(group.features), kind="stable")
    return int(np.flatnonzero(group.labels[order])[0]) + 1


def metrics(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks) or 1
    return (sum(r == 1 for r in ranks) / n, sum(bool(r and r <= 5) for r in ranks) / n,
            sum(1 / r for r in ranks if r and r <= 10) / n)


def fold_of(question: Question, folds: int = FOLDS) -> int:
    return int(hashlib.sha256(question.id.encode()).hexdigest(), 16) % folds


def cross_validated_ranks(groups: list[Candidates], l2: float = L2, folds: int = FOLDS) -> list[int | None]:
    """Each question ranked by a model trained on the other folds (folds by question id)."""
    ranks: dict[int, int | None] = {}
    for fold in range(folds):
        model = fit([g for g in groups if fold_of(g.question, folds) != fold], l2)
        for i, group in enumerate(groups):
            if fold_of(group.question, folds) == fold:
                ranks[i] = rank_after(model, group)
    return [ranks[i] for i in range(len(groups))]


def report(name: str, before: list[int | None], after: list[int | None]) -> str:
    up = sum(1 for b, a in zip(before, after) if (a or 99) < (b or 99))
    down = sum(1 for b, a in zip(before, after) if (a or 99) > (b or 99))
    return (f"{name} ({len(before)}): " + " / ".join(f"{v:.3f}" for v in metrics(before)) + " → "
            + " / ".join(f"{v:.3f}" for v in metrics(after)) + f"  (+{up} −{down})")


def write_model(model, path: Path = MODEL_PATH) -> None:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(model.to_json() + "\n")
    os.replace(handle.name, path)


def main(argv: list[str] | None = None) -> None:
    from regkb.service.knowledge_base import KnowledgeBase

    parser = argparse.ArgumentParser(description="训练检索重排模型(第一套问题),并报告开发集与交叉验证结果")
    parser.add_argument("--check", action="store_true", help="只报告,不写模型文件")
    parser.add_argument("--l2", type=float, default=L2)
    args = parser.parse_args(argv)
    kb = KnowledgeBase.open(create=False)
    first = gather(kb, load_questions())
    dev = gather(kb, [q for q in load_plain_questions() if q.split == "dev"])
    model = fit(first, args.l2)
    formal = [g for g in first if g.question.style == "formal"]
    cv = dict(zip((id(g) for g in first), cross_validated_ranks(first, args.l2)))
    print(report("plain dev", [g.rank_before for g in dev], [rank_after(model, g) for g in dev]))
    print(report("formal, cross-validated", [g.rank_before for g in formal], [cv[id(g)] for g in formal]))
    print(report("first set, cross-validated", [g.rank_before for g in first], [cv[id(g)] for g in first]))
    if not args.check:
        write_model(model)
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
