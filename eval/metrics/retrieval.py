"""Retrieval evaluation: labelled questions → hit@k, MRR@10, nDCG@10 and latency per mode.

A hit is relevant when it comes from the gold ``source`` and contains the gold
``quote`` (compared after NFKC and with whitespace removed). Two sets: ``questions.jsonl``
(the first set, mostly in the documents' own words) and ``plain_questions.jsonl`` (questions
in everyday words, written before any tuning on them and split once into dev and test by
the parity of the SHA-256 of the question; tuning looked at dev only). ``article_refs.jsonl``
lists citations (《消防法》第16条 …) whose article must come first. Besides the project's own
modes, a *peer baseline* is measured in the same run: fixed 250-character chunks with
50 characters of overlap, plain jieba tokens and BM25, no structure; what a stock
Langchain-Chatchat set-up does.

>>> report = evaluate(kb, load_questions())  # doctest: +SKIP
>>> report["modes"]["hybrid"]["hit@5"]  # doctest: +SKIP
0.93...
"""

from __future__ import annotations

import json
import math
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

MODES = ("bm25", "dense", "hybrid")
PEER = "peer_bm25_250"
K = 10


@dataclass
class Question:
    id: str
    question: str
    kind: str
    style: str
    source: str
    quote: str
    article: str | None = None
    split: str | None = None  # dev / test (plain set)
    voice: str | None = None  # worker / owner / resident (plain set)
    pair: str | None = None  # the local (or national) document that says the same as the gold one
    region: str | None = None  # the place the question names


PLAIN_SET = "plain_questions.jsonl"
ARTICLE_REFS = "article_refs.jsonl"
LAW_SHORT_REFS = "law_short_refs.jsonl"  # 100 references by short names and mixed forms (issue 27)


def data_lines(path: Path | None, name: str) -> list[dict]:
    if path is None:
        text = resources.files("regkb.eval").joinpath("data", name).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_questions(path: Path | None = None, name: str = "questions.jsonl") -> list[Question]:
    fields = Question.__dataclass_fields__
    return [Question(**{k: v for k, v in row.items() if k in fields}) for row in data_lines(path, name)]


def load_plain_questions() -> list[Question]:
    return load_questions(name=PLAIN_SET)


def nfkc_without_spaces(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def rank_of_first_relevant(question: Question, hits: list[tuple[str, str]]) -> int | None:
    quote = nfkc_without_spaces(question.quote)
    for rank, (source, text) in enumerate(hits, start=1):
        if source == question.source and quote in nfkc_without_spaces(text):
            return rank
    return None


def rank_metrics(ranks: list[int | None], latencies: list[float]) -> dict:
    n = len(ranks) or 1
    return {
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@5": round(sum(1 for r in ranks if r and r <= 5) / n, 4),
        "hit@10": round(sum(1 for r in ranks if r and r <= 10) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r and r <= 10) / n, 4),
        # one relevant passage a question, so the ideal DCG is 1
        "ndcg@10": round(sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / n, 4),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "p95_ms": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
    }


class PeerBaseline:
    """Fixed-size chunks over the raw text, jieba tokens, BM25: no structure, no dictionary."""

    def __init__(self, files: list[Path], size: int = 250, overlap: int = 50):
        import jieba

        from regkb.index.bm25 import Bm25Index
        from regkb.ingest.readers import Line, read_file

        jieba.setLogLevel(60)
        self._jieba = jieba.Tokenizer()
        self.chunks: list[tuple[str, str]] = []
        for path in files:
            raw = read_file(path)
            text = "\n".join(item.text if isinstance(item, Line) else "\n".join("\t".join(r) for r in item.rows)
                             for item in raw.items)
            for start in range(0, max(1, len(text) - overlap), size - overlap):
                self.chunks.append((path.name, text[start : start + size]))
        self.index = Bm25Index.build([self._tokens(text) for _, text in self.chunks])

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self._jieba.lcut(text) if t.strip()]

    def search(self, query: str, k: int) -> list[tuple[str, str]]:
        return [self.chunks[row] for row, _ in self.index.search(self._tokens(query), k)]


@contextmanager
def apart_from_memory(kb, question: str):
    """While ``question`` is searched or asked, the question memory less its fold: the first set
    and plain dev are remembered (``index/question_memory.py``), and a figure on them must not
    come from a question finding itself."""
    retriever = kb.retriever
    memory = retriever.memory
    if memory is not None:
        retriever.memory = memory.folded(question)
    try:
        yield
    finally:
        retriever.memory = memory


def searched_apart(kb, question: str, **options):
    with apart_from_memory(kb, question):
        return kb.search(question, **options)


def asked_apart(kb, question: str):
    with apart_from_memory(kb, question):
        return kb.ask(question)


def _timed(search, question: str) -> tuple[list[tuple[str, str]], float]:
    started = time.perf_counter()
    hits = search(question)
    return hits, (time.perf_counter() - started) * 1000


def evaluate(kb, questions: list[Question], corpus_files: list[Path] | None = None, modes=MODES,
             with_misses: bool = True) -> dict:
    """Run every answerable question through each mode (and the peer baseline)."""
    answerable = [q for q in questions if q.kind != "none" and q.source]
    searches = {mode: (lambda text, mode=mode: [(h.source, h.text) for h in searched_apart(kb, text, k=K, mode=mode).hits])
                for mode in modes}
    if corpus_files:
        peer = PeerBaseline(corpus_files)
        searches[PEER] = lambda text: peer.search(text, K)
    for search in searches.values():  # warm up: models and indexes load outside the timings
        search(answerable[0].question)
    report: dict = {"questions": len(answerable), "unanswerable_questions": len(questions) - len(answerable),
                    "modes": {}, "by_style": {}, "misses": {}}
    for name, search in searches.items():
        ranks, latencies, misses = [], [], []
        for question in answerable:
            hits, ms = _timed(search, question.question)
            rank = rank_of_first_relevant(question, hits)
            ranks.append(rank)
            latencies.append(ms)
            if rank != 1 and with_misses:
                misses.append({"id": question.id, "question": question.question, "rank": rank,
                               "expected": f"{question.source} {question.article or ''} {question.quote}".strip(),
                               "first": f"{hits[0][0]} {hits[0][1][:60]}" if hits else None})
        report["modes"][name] = rank_metrics(ranks, latencies)
        report["by_style"][name] = {
            style: rank_metrics([r for r, q in zip(ranks, answerable) if q.style == style], [])
            for style in sorted({q.style for q in answerable})
        }
        for style_metrics in report["by_style"][name].values():
            style_metrics.pop("p50_ms"), style_metrics.pop("p95_ms")
        if with_misses:
            report["misses"][name] = misses
    return report


def evaluate_plain_set(kb, questions: list[Question], modes=MODES) -> dict:
    """The plain-language set per split and mode, and two hybrid subsets: questions where a
    national and a local article both match (gold: the national one unless a place is
    named), and questions that name a place."""
    sources = {d.source for d in kb.store.documents()}
    questions = [q for q in questions if not q.source or q.source in sources]
    report: dict = {}
    for split in ("dev", "test"):
        part = [q for q in questions if q.split == split]
        result = evaluate(kb, part, modes=modes, with_misses=False)
        report[split] = {"questions": result["questions"], "unanswerable_questions": result["unanswerable_questions"],
                         "modes": result["modes"]}
    for name, subset in (("national_local_pairs", [q for q in questions if q.pair]),
                         ("named_region", [q for q in questions if q.region])):
        if subset:
            report[name] = {"questions": len(subset),
                            **evaluate(kb, subset, modes=("hybrid",), with_misses=False)["modes"]["hybrid"]}
    return report


def evaluate_references(kb, path: Path | None = None, name: str = ARTICLE_REFS) -> dict:
    """Citations of the store's documents: the share whose cited article is the first hit."""
    sources = {d.source for d in kb.store.documents()}
    refs = [r for r in data_lines(path, name) if r["source"] in sources]
    misses = []
    for ref in refs:
        hits = kb.search(ref["ref"], k=1).hits
        if not hits or hits[0].source != ref["source"] or hits[0].article != ref["article"]:
            misses.append(ref["ref"])
    return {"refs": len(refs), "top1": round(1 - len(misses) / len(refs), 4) if refs else None, "misses": misses}
