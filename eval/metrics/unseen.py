"""Documents in styles the project was not built on: duty F1 per half, and metadata quality.

The unseen-styles corpus (``eval/data/unseen/docs``: web pages with their chrome, docx and
pdf tables with merged cells, xlsx, indicator tables, titles only in a 印发 notice or in the
file name, GB/AQ standards) has hand-written gold in ``eval/data/unseen/gold.json``, split
once into a dev half (for tuning) and a test half (for reporting) by a hash of the file name.

``unseen_duty_scores()`` reads every document with the real ingest pipeline and scores its
exact duties against the gold, per half; ``unseen_target_scores()`` counts the gold targets
of its indicator tables found with the same value, unit and direction. ``metadata_scores(documents)`` checks title, type,
region, level and document number of documents against the gold of both corpora (the
shared one's gold is ``eval/data/metadata_gold_shared.json``).

>>> unseen_duty_scores()["test"]["f1"] >= 0.95  # doctest: +SKIP
True
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from regkb.corpus.models import doc_id_for
from regkb.eval.metrics.duties import score_duties

META_FIELDS = ("title", "doc_type", "region", "level", "doc_number")


def _data(*parts: str) -> Path:
    with resources.as_file(resources.files("regkb.eval").joinpath("data", *parts)) as path:
        return Path(path)


def unseen_dir() -> Path:
    return _data("unseen", "docs")


def unseen_gold() -> list[dict]:
    return json.loads(_data("unseen", "gold.json").read_text(encoding="utf-8"))["documents"]


def shared_metadata_gold() -> list[dict]:
    return json.loads(_data("metadata_gold_shared.json").read_text(encoding="utf-8"))["documents"]


def parse_unseen() -> dict[str, object]:
    """Every document of the unseen corpus as the ingest pipeline reads it, by file name."""
    from regkb.ingest.pipeline import build_ingest_pipeline, parse_file

    pipeline = build_ingest_pipeline()
    return {doc["source"]: parse_file(unseen_dir() / doc["source"], pipeline=pipeline) for doc in unseen_gold()}


def _merge(results: list[dict]) -> dict:
    tp = sum(r["tp"] for r in results)
    fp = sum(r["fp"] for r in results)
    fn = sum(r["fn"] for r in results)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"documents": len(results), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn}


def unseen_duty_scores(parsed: dict | None = None, with_errors: bool = False) -> dict:
    """Duty P/R/F1 over (task, department, role) triples, pooled per half (dev, test)."""
    from regkb.ingest.pipeline import document_duties

    parsed = parsed if parsed is not None else parse_unseen()
    per_half: dict[str, list[dict]] = {"dev": [], "test": []}
    errors: dict[str, list] = {}
    for doc in unseen_gold():
        if not doc["duties"]:
            continue
        document = parsed[doc["source"]]
        duties = [d for d in document_duties(document, doc_id_for(doc["source"])) if not d.inferred]
        result = score_duties(duties, {"duties": doc["duties"]})
        per_half[doc["split"]].append(result)
        if result["errors"]:
            errors[doc["source"]] = result["errors"]
    report = {half: _merge(results) for half, results in per_half.items()}
    if with_errors:
        report["errors"] = errors
    return report


def document_targets(document) -> list:
    """The targets the ingest extractor reads from a parsed document's blocks."""
    from regkb.ingest.targets import TargetExtractor

    meta = document.meta
    extractor = TargetExtractor(region=meta.region, level=meta.level, title=meta.title)
    return extractor.run(document.blocks, source=document.source)["targets"]


def _target_found(gold: dict, targets: list) -> bool:
    """A gold target is found when a target of the same value, unit and direction names its
    indicator (the extracted name holds the gold one or is held by it)."""
    return any((t.value, t.unit, t.direction) == (gold["value"], gold["unit"], gold["direction"])
               and (gold["indicator"] in t.indicator or t.indicator in gold["indicator"]) for t in targets)


def unseen_target_scores(parsed: dict | None = None, with_errors: bool = False) -> dict:
    """Gold targets found (value, unit and direction right), per half."""
    parsed = parsed if parsed is not None else parse_unseen()
    report: dict = {half: {"targets": 0, "found": 0} for half in ("dev", "test")}
    missed = []
    for doc in unseen_gold():
        if not doc.get("targets"):
            continue
        targets = document_targets(parsed[doc["source"]])
        for gold in doc["targets"]:
            report[doc["split"]]["targets"] += 1
            if _target_found(gold, targets):
                report[doc["split"]]["found"] += 1
            else:
                missed.append({"source": doc["source"], **gold})
    if with_errors:
        report["missed"] = missed
    return report


def _field_value(meta, field: str):
    value = meta.get(field) if isinstance(meta, dict) else getattr(meta, field)
    return getattr(value, "value", value)


def metadata_scores(documents: dict[str, object], gold: list[dict], with_errors: bool = False) -> dict:
    """Share of (document, field) pairs equal to the gold, over the gold documents present."""
    checked = correct = 0
    per_field = {field: [0, 0] for field in META_FIELDS}
    errors = []
    for doc in gold:
        meta = documents.get(doc["source"])
        if meta is None:
            continue
        for field in META_FIELDS:
            got, want = _field_value(meta, field), doc["meta"][field]
            checked += 1
            per_field[field][1] += 1
            if got == want:
                correct += 1
                per_field[field][0] += 1
            else:
                errors.append({"source": doc["source"], "field": field, "got": got, "gold": want})
    report = {"documents": checked // len(META_FIELDS), "fields": checked, "correct_fields": correct,
              "correct": round(correct / checked, 4) if checked else 0.0,
              "by_field": {f: round(c / n, 4) if n else 0.0 for f, (c, n) in per_field.items()}}
    if with_errors:
        report["errors"] = errors
    return report


def unseen_report(kb=None, with_errors: bool = False) -> dict:
    """Duty scores of the unseen halves and metadata quality of both corpora (the shared
    one as the knowledge base holds it, when given)."""
    parsed = parse_unseen()
    gold = unseen_gold()
    metas = {source: document.meta for source, document in parsed.items()}
    metadata = {f"unseen_{split}": metadata_scores(metas, [d for d in gold if d["split"] == split], with_errors)
                for split in ("dev", "test")}
    if kb is not None:
        stored = {d.source: d for d in kb.store.documents()}
        metadata["shared"] = metadata_scores(stored, shared_metadata_gold(), with_errors)
        metadata["all"] = metadata_scores({**stored, **metas}, shared_metadata_gold() + gold)
    return {"duties": unseen_duty_scores(parsed, with_errors), "targets": unseen_target_scores(parsed, with_errors),
            "metadata": metadata}


if __name__ == "__main__":
    print(json.dumps(unseen_report(with_errors=True), ensure_ascii=False, indent=1))
