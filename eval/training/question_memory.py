"""Build the question memory (``index/question_memory.py``) from the labelled training questions.

    python -m regkb.eval.training.question_memory    # writes index/data/question_memory.npz

It reads the store of ``$REGKB_HOME`` (the shared corpus: ``regkb ingest ../shared/corpus/seeds
../shared/corpus/laws``) and the built model, whose tuned query encoder embeds the questions;
a few seconds on two cores. Rebuild it whenever the query adapter or the model changes.

- **Questions.** The query adapter's (``query_adapter.training_questions``, with its rule
  ``off_test_passages``): the first set, the plain **dev** split, the stride and plan sets
  and the real extra set's **train** split. Left out besides: any question whose hash is a
  held-out judge's (``../shared/data/holdout_question_hashes.txt``) or a test split's (plain
  test, story, real extra test, off-topic test, the formal ask test), should one be written
  twice; the shared real dev questions and ``everyday_train_questions.jsonl``, which measure
  it, are never in it.
- **Golds.** Each question's gold rows in the store, kept as (document title, 第X条) of those
  with a numbered article; a question whose gold is a passage of an unnumbered document (a
  plan or an opinion) is left out: its passage is no article another store could map to.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from regkb.eval.metrics.ask import load_ask_questions
from regkb.eval.metrics.everyday import load_real_questions, load_set
from regkb.eval.training.query_adapter import StoreTargets, off_test_passages, shared_corpus_store, training_questions
from regkb.eval.training.relevance import held_out
from regkb.index.query_adapter import adapter_sha256
from regkb.index.question_memory import MEMORY_FILE, QuestionMemory, question_hash


def barred_hashes() -> set[str]:
    """The hashes of every test-split question and of the held-out judge's."""
    tests = [q.question for name in ("plain", "offtopic") for q in load_set(name) if q.split == "test"]
    tests += [q.question for q in load_set("story")]
    tests += [q.question for q in load_real_questions() if q.split == "test"]
    tests += [q.question for q in load_ask_questions() if q.split == "test"]
    return {question_hash(q) for q in tests} | held_out()


def memory_questions(kb, targets: StoreTargets) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(question, its gold articles) for every question the memory may hold."""
    first, everyday = training_questions()
    barred = barred_hashes()
    rows = kb.index.rows
    kept: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
    for question in first + off_test_passages(targets, everyday):
        key = question_hash(question.question)
        articles = tuple(dict.fromkeys((rows[r].title, rows[r].article) for r in targets.gold(question)
                                       if rows[r].title and rows[r].article))
        if key in barred or not articles:
            continue
        merged = kept.get(key, (question.question, ()))[1] + articles  # a question in two sets: both golds
        kept[key] = (question.question, tuple(dict.fromkeys(merged)))
    return list(kept.values())


def build(kb, log=print) -> QuestionMemory:
    from regkb.index.embedders import embed_search_queries
    from regkb.index.retrieval import embedded_query

    questions = memory_questions(kb, StoreTargets(kb))
    texts = [embedded_query(q, kb.tokenizer.expansion_terms(q)) for q, _ in questions]
    vectors = embed_search_queries(kb.embedder, texts)
    log(f"{len(questions)} 个问题")
    meta = {"questions": len(questions), "model": kb.embedder.model_id, "query_adapter": adapter_sha256()}
    return QuestionMemory(vectors, tuple(g for _, g in questions), tuple(question_hash(q) for q, _ in questions), meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regkb.eval.training.question_memory",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MEMORY_FILE,
                        help="问题记忆文件(默认 index/data/question_memory.npz)")
    args = parser.parse_args(argv)
    started = time.perf_counter()  # the store's opening counted: it loads the model that embeds the questions
    kb = shared_corpus_store()
    if kb is None:
        return 2
    memory = build(kb, log=lambda line: print(line, file=sys.stderr, flush=True))
    memory.save(args.out)
    print(json.dumps({"written": str(args.out), "seconds": round(time.perf_counter() - started, 1), **memory.meta},
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
