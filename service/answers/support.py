"""The support of an answer: how likely a search hit is the passage that answers the question.

Two small logistic models over what the pipeline already has, multiplied:

- **In scope**: whether the corpus answers questions like this one at all, read from the
  plain query encoder's vector of the question (pensions, divorce and traffic fines lie
  elsewhere in that space than work injuries and fire exits, whatever words they share).
- **This hit**: whether a hit among the search's first ``CANDIDATES`` is the passage that
  answers, given that one does: its search score (÷ the first hit's) and rank, the cosine of
  the question with its best sentence and with its whole chunk (by the plain query encoder
  and by the one tuned for search), how much of the question's words its best sentence
  covers, whether it stands in a 总则 or 附则 chapter, whether the question names its law
  (or another one) and, for a local rule, its place, and how many of the candidates are of
  its document (where the search keeps returning to one law, that law is more often the
  one that answers); each measure also relative to the best other candidate, so a hit that
  stands out in meaning as well as in rank earns more than one among equals.

The hit model picks the hits that are quoted: the most probable, and up to two more of the
candidates when each is at least ``SECOND_SHARE`` as probable (articles the search and the
model both put near the top, when the model cannot tell them apart: the reader gets the
deciding sentences of each). The scope times the probability that one of them is the
passage decides whether to answer: ``high``, ``medium`` (answered, with a phrase that asks
the reader to check) or ``none`` (abstain).
Coefficients and thresholds live in ``service/data/answer_support.json``, fitted by
``python -m regkb.eval.training.answer_support`` (which questions, and the figures, are in
that module and in ``eval/RESULTS.md``).

>>> model = SupportModel.load()
>>> sorted(model.thresholds) == ["high", "medium"]
True
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regkb.service.answers.schemas import Confidence
from regkb.service.library.export_files import atomic_write

SUPPORT_FILE = Path(__file__).parents[1] / "data" / "answer_support.json"
CANDIDATES = 5  # only a hit this near the top of the search may be quoted as the answer
QUOTED = 3  # hits quoted at most
SECOND_SHARE = 0.1  # another is quoted when at least this share as probable as the first

# Per-candidate signals, as ``Signals`` holds them; each is also given relative to the best
# of the other candidates (``<name>_lead``).
SIGNALS = ("search", "cos_sentence", "cos_chunk", "tuned_sentence", "tuned_chunk", "coverage", "law", "place",
           "document")


@dataclass(frozen=True)
class Signals:
    """What the pipeline knows of one candidate hit."""

    rank: int
    search: float  # fused search score ÷ the first hit's
    cos_sentence: float  # plain query encoder: cosine with the hit's best sentence
    cos_chunk: float  # … and with its whole chunk
    tuned_sentence: float  # the query encoder tuned for search, the same two
    tuned_chunk: float
    coverage: float  # the answer desk's word coverage of the hit's best sentence
    general: bool = False  # in a 总则 or 附则 chapter (purpose, scope, definitions: seldom the answer)
    law: float = 0.0  # 1: the question names the hit's law; −1: it names another law of the store
    place: float = 0.0  # a local hit: 1 when the question names a place it applies to, else −1
    document: float = 0.0  # share of the candidates of the hit's document (``document_shares``)


def document_shares(documents: list[str]) -> list[float]:
    """For the candidates' documents (by id), the share of the candidates of each one's document."""
    counts = Counter(documents)
    return [counts[d] / len(documents) for d in documents]


def feature_names() -> list[str]:
    return ["first", "rank", "general", *SIGNALS, *(f"{name}_lead" for name in SIGNALS)]


def features(candidates: list[Signals]) -> np.ndarray:
    """One row per candidate, columns as ``feature_names``."""
    values = np.array([[getattr(c, name) for name in SIGNALS] for c in candidates], dtype=np.float64)
    values = values.reshape(len(candidates), len(SIGNALS))
    leads = np.zeros_like(values)
    for i in range(len(candidates)):
        others = np.delete(values, i, axis=0)
        leads[i] = values[i] - (others.max(axis=0) if len(others) else values[i])
    ranks = np.array([[c.rank == 0, c.rank / CANDIDATES, c.general] for c in candidates], dtype=np.float64)
    return np.hstack([ranks.reshape(-1, 3), values, leads])


@dataclass(frozen=True)
class SupportModel:
    """p = σ(scope · v + scope_bias) × σ(bias + weights · (x − mean) / scale), for question
    vector v and candidate features x."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    scope: np.ndarray
    scope_bias: float
    thresholds: dict[str, float]  # "medium": answer at all; "high": answer without the caveat
    meta: dict = field(default_factory=dict)

    def in_scope(self, question_vector: np.ndarray) -> float:
        return float(_sigmoid(float(np.asarray(question_vector, dtype=np.float64) @ self.scope) + self.scope_bias))

    def hit_probabilities(self, candidates: list[Signals]) -> np.ndarray:
        if not candidates:
            return np.zeros(0)
        return _sigmoid((features(candidates) - self.mean) / self.scale @ self.weights + self.bias)

    def choose(self, candidates: list[Signals], question_vector: np.ndarray) -> tuple[list[int], float]:
        """The candidates to quote (the most probable, and the next ones, up to ``QUOTED``,
        that are at least ``SECOND_SHARE`` as probable) and the answer's support: the
        probability that the question is in scope and one of them is its passage."""
        if not candidates:
            return [], 0.0
        p = self.hit_probabilities(candidates)
        order = sorted(range(len(p)), key=lambda i: (-p[i], i))
        cited = [i for i in order if p[i] >= SECOND_SHARE * p[order[0]]][:QUOTED]
        return cited, self.in_scope(question_vector) * min(1.0, float(p[cited].sum()))

    def confidence(self, probability: float) -> Confidence:
        if probability >= self.thresholds["high"]:
            return "high"
        return "medium" if probability >= self.thresholds["medium"] else "none"

    def to_json(self) -> str:
        return json.dumps({"names": list(self.names), "mean": self.mean.round(6).tolist(),
                           "scale": self.scale.round(6).tolist(), "weights": self.weights.round(6).tolist(),
                           "bias": round(self.bias, 6), "scope": self.scope.round(6).tolist(),
                           "scope_bias": round(self.scope_bias, 6), "thresholds": self.thresholds, "meta": self.meta},
                          ensure_ascii=False, indent=1)

    def save(self, path: Path = SUPPORT_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda temp: temp.write_text(self.to_json() + "\n", encoding="utf-8"))

    @classmethod
    def load(cls, path: Path = SUPPORT_FILE) -> "SupportModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data["names"] != feature_names():
            raise ValueError(f"答案支持度模型 {path} 的特征与代码不一致,请重新训练(python -m regkb.eval.training.answer_support)")
        return cls(tuple(data["names"]), np.asarray(data["mean"]), np.asarray(data["scale"]),
                   np.asarray(data["weights"]), float(data["bias"]), np.asarray(data["scope"]),
                   float(data["scope_bias"]), dict(data["thresholds"]), data.get("meta", {}))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
