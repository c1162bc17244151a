"""Library-scale checks: versions (the text in force first, ``as_of`` the old one) and national
articles against their local restatements. Questions whose documents are not in the store are
skipped, so on the small corpus these report zero questions.

``eval/data/version_questions.jsonl``: a question on an article that changed between the two
versions of a law; ``source``/``article`` the in-force text, ``old_source``/``old_article`` the
replaced one, ``old_as_of`` a day when the old text applied. ``restatement_questions.jsonl``: a
question whose answer is a national article that local regulations restate; ``region`` a place
whose own article should come up beside it when asked.

    .venv/bin/python -m regkb.eval.metrics.library   # on the store in $REGKB_HOME
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

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
    for q in questions:
        hits = kb.search(q["question"], k=K).hits
        national = _rank(hits, q["source"], q["article"])
        counts["national_first"] += national == 0
        counts["national_top5"] += national is not None and national < 5
        if national is not None:
            copies = Counter(h.region for h in hits if h.region not in (None, "全国") and restates(hits[national].text, h.text))
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


if __name__ == "__main__":
    from regkb.service.knowledge_base import KnowledgeBase

    print(json.dumps(library_report(KnowledgeBase.open(create=False)), ensure_ascii=False, indent=1))
