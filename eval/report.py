"""``regkb eval``: retrieval metrics per mode, the peer baseline, and duty extraction F1,
measured in one run over the knowledge base as it is.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from regkb.eval.metrics.duties import score_duties
from regkb.eval.metrics.everyday import evaluate_everyday
from regkb.eval.metrics.retrieval import (LAW_SHORT_REFS, evaluate, evaluate_plain_set, evaluate_references,
                                      load_plain_questions, load_questions, nfkc_without_spaces)

DUTY_GOLD = {"004_36275ac223ca7fcd.txt": "duties_gold_004.json"}


def _duty_scores(kb) -> dict:
    scores = {}
    duties = kb.store.duties()
    for source, gold_name in DUTY_GOLD.items():
        predicted = [d for d in duties if d.source == source and not d.inferred]
        if not predicted:
            continue
        gold = resources.files("regkb.eval").joinpath("data", gold_name)
        with resources.as_file(gold) as gold_path:
            result = score_duties(predicted, gold_path)
        scores[source] = {k: result[k] for k in ("precision", "recall", "f1", "tp", "fp", "fn")}
    return scores


def _duty_search_scores(kb, questions) -> dict:
    """Who-owns-what search: the top duty must come from the gold source and hold the gold
    quote (in its task or its source text). Only questions whose source is in the store count."""
    sources = {d.source for d in kb.store.documents()}
    asked = [q for q in questions if q.kind == "duty" and q.source in sources]
    top1 = top5 = plain = plain_top1 = 0
    for question in asked:
        quote = nfkc_without_spaces(question.quote)
        matches = kb.duties(question.question, k=5).matches
        found = [m.source == question.source and (quote in nfkc_without_spaces(m.task) or quote in nfkc_without_spaces(m.text))
                 for m in matches]
        first = bool(found and found[0])
        top1 += first
        top5 += any(found)
        if question.style == "plain":
            plain += 1
            plain_top1 += first
    n = len(asked) or 1
    return {"questions": len(asked), "top1": round(top1 / n, 4), "top5": round(top5 / n, 4),
            "plain_top1": round(plain_top1 / (plain or 1), 4)}


def run_eval(kb, question_set: Path | None = None, corpus: list[Path] | None = None, with_misses: bool = False,
             real_questions: Path | None = None) -> dict:
    questions = load_questions(question_set)
    files = _corpus_files(kb, corpus)
    report = evaluate(kb, questions, corpus_files=files, with_misses=with_misses)
    if not with_misses:
        report.pop("misses")
    report["duties"] = _duty_scores(kb)
    report["duty_search"] = _duty_search_scores(kb, questions)
    report["plain_set"] = evaluate_plain_set(kb, load_plain_questions())
    report["article_refs"] = evaluate_references(kb)
    report["law_short_refs"] = evaluate_references(kb, name=LAW_SHORT_REFS)
    report["unseen"] = _unseen_scores(kb)
    report.update(_ask_scores(kb, with_misses))
    report["everyday"] = evaluate_everyday(kb, real_questions)
    report["exam"] = _exam_scores(kb)
    report["library"] = _library_scores(kb)
    return report


def store_scores(kb) -> dict:
    """The retrieval figures that compare two stores: the everyday-words set (hybrid), article
    references, and the library sets (versions, national vs local)."""
    from regkb.eval.metrics.library import library_report

    return {"documents": len(kb.store.documents()),
            "plain_set": evaluate_plain_set(kb, load_plain_questions(), modes=("hybrid",)),
            "article_refs": {k: v for k, v in evaluate_references(kb).items() if k != "misses"},
            "library": library_report(kb)}


def _library_scores(kb) -> dict:
    """Versions and national-vs-local questions (zero questions on a store without those documents)."""
    from regkb.eval.metrics.library import library_report

    return library_report(kb)


def _unseen_scores(kb) -> dict:
    """Duty F1 on the unseen-styles corpus (dev and test halves) and metadata quality of
    both corpora (see ``regkb.eval.metrics.unseen``)."""
    from regkb.eval.metrics.unseen import unseen_report

    return unseen_report(kb)


def _format_unseen(unseen: dict) -> list[str]:
    lines = []
    for half, s in unseen["duties"].items():
        lines.append(f"未见过样式的文档 {half}({s['documents']} 篇)分工抽取:P {s['precision']:.3f} "
                     f"R {s['recall']:.3f} F1 {s['f1']:.3f}")
    for half in ("dev", "test"):
        found = unseen.get("targets", {}).get(half)
        if found and found["targets"]:
            lines.append(f"未见样式指标表 {half}:目标 {found['found']}/{found['targets']} 条值、单位、方向全对")
    names = {"unseen_dev": "未见样式 dev", "unseen_test": "未见样式 test", "shared": "共享语料", "all": "合计"}
    parts = [f"{names[k]} {m['correct']:.3f}({m['documents']} 篇)" for k, m in unseen["metadata"].items()]
    lines.append("元数据(标题、类型、地区、层级、文号)正确率:" + ";".join(parts))
    return lines


def _ask_scores(kb, with_misses: bool) -> dict:
    """``ask`` on its own question set (dev and test) and target extraction F1."""
    from regkb.eval.metrics.ask import evaluate_ask, target_scores

    return {"ask": evaluate_ask(kb, with_misses=with_misses), "targets": target_scores(kb)}


def _exam_scores(kb) -> dict:
    """Generated papers and the bank audit; skipped on a store without statutes or plans."""
    from regkb.eval.metrics.exams import exam_scores
    from regkb.service.validation import KnowledgeBaseError

    try:
        return exam_scores(kb)
    except KnowledgeBaseError as exc:
        return {"skipped": str(exc)}


def _corpus_files(kb, corpus: list[Path] | None) -> list[Path]:
    """The raw files for the peer baseline: those given, else those the store was built from."""
    if corpus:
        return [f for p in corpus for f in (sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p])]
    paths = [Path(d.path) for d in kb.store.documents() if d.path]
    return [p for p in paths if p.exists()]


def format_report(report: dict) -> str:
    lines = [f"问题数:{report['questions']}(另有 {report['unanswerable_questions']} 个无答案问题)", ""]
    header = f"{'模式':<16}{'hit@1':>8}{'hit@5':>8}{'hit@10':>8}{'MRR@10':>8}{'nDCG@10':>9}{'p50 ms':>9}{'p95 ms':>9}"
    lines.append(header)
    for mode, m in report["modes"].items():
        lines.append(f"{mode:<16}{m['hit@1']:>8.3f}{m['hit@5']:>8.3f}{m['hit@10']:>8.3f}{m['mrr@10']:>8.3f}"
                     f"{m['ndcg@10']:>9.3f}{m['p50_ms']:>9.1f}{m['p95_ms']:>9.1f}")
    lines.append("")
    for mode, styles in report["by_style"].items():
        parts = [f"{style}: hit@1 {m['hit@1']:.3f} hit@5 {m['hit@5']:.3f} MRR {m['mrr@10']:.3f}" for style, m in styles.items()]
        lines.append(f"{mode:<16}" + ";".join(parts))
    for source, scores in report.get("duties", {}).items():
        lines.append(f"\n分工抽取 {source}:P {scores['precision']:.3f} R {scores['recall']:.3f} F1 {scores['f1']:.3f}")
    lines += ([""] + _format_unseen(report["unseen"])) if report.get("unseen") else []
    lines += format_ask(report)
    if report.get("exam", {}).get("paper"):
        from regkb.eval.metrics.exams import format_exam

        lines += format_exam(report["exam"])
    lines += ["\n分工查询 {questions} 题:top-1 {top1:.3f} top-5 {top5:.3f}(口语化问题 top-1 {plain_top1:.3f})".format(**report["duty_search"])] if report.get("duty_search", {}).get("questions") else []
    lines += _format_plain_set(report.get("plain_set"), report.get("article_refs"))
    lines += _refs_line("法规简称与混合写法引用", report.get("law_short_refs"))
    lines += format_library(report.get("library"))
    if report.get("library_store"):
        other = report["library_store"]
        lines += ["", f"—— 另一个知识库({other['documents']} 篇文档) ——"]
        lines += _format_plain_set(other["plain_set"], other["article_refs"]) + format_library(other["library"])
    return "\n".join(lines)


def format_library(library: dict | None) -> list[str]:
    lines = []
    for split, m in (library or {}).get("versions", {}).items():
        if m["questions"]:
            lines.append(f"\n版本问题({split},{m['questions']} 题):现行条文排在前 {m['in_force_first']:.3f}(此前 "
                         f"{m['before_in_force_first']:.3f}),被修订条文排在其上 {m['replaced_above']:.3f}(此前 "
                         f"{m['before_replaced_above']:.3f}),--as-of 给出旧条文 {m['as_of_old_first']:.3f}")
    for split, m in (library or {}).get("restatements", {}).items():
        if m["questions"]:
            lines.append(f"全国与地方重述({split},{m['questions']} 题):全国条文排第一 {m['national_first']:.3f}(此前 "
                         f"{m['before_national_first']:.3f}),指定地区时两者都在前三 {m['region_and_national_top3']:.3f},"
                         f"前十中同一地区重述最多 {m['max_restatements_per_region_top10']} 条")
    return lines


def _format_plain_set(plain: dict | None, refs: dict | None) -> list[str]:
    """The everyday-words set beside the first one: dev (tuned on) and test (held out) per mode."""
    lines: list[str] = []
    if plain and plain.get("dev"):
        dev, test = plain["dev"], plain["test"]
        lines += ["", f"口语化问题集:dev {dev['questions']} 题 / test {test['questions']} 题"
                      f"(另有 {dev['unanswerable_questions'] + test['unanswerable_questions']} 个无答案问题)",
                  f"{'模式':<16}{'dev hit@1':>10}{'hit@5':>8}{'MRR@10':>8}{'test hit@1':>12}{'hit@5':>8}{'MRR@10':>8}"]
        for mode, d in dev["modes"].items():
            t = test["modes"][mode]
            lines.append(f"{mode:<16}{d['hit@1']:>10.3f}{d['hit@5']:>8.3f}{d['mrr@10']:>8.3f}"
                         f"{t['hit@1']:>12.3f}{t['hit@5']:>8.3f}{t['mrr@10']:>8.3f}")
        for key, name in (("national_local_pairs", "全国与地方条文同时相关"), ("named_region", "问题点名地区")):
            if key in plain:
                m = plain[key]
                lines.append(f"{name} {m['questions']} 题(hybrid,dev+test):hit@1 {m['hit@1']:.3f} hit@5 {m['hit@5']:.3f} "
                             f"MRR {m['mrr@10']:.3f}")
    return lines + _refs_line("条文引用", refs)


def _refs_line(label: str, refs: dict | None) -> list[str]:
    return [f"{label} {refs['refs']} 条:所引条文排第一 {refs['top1']:.3f}"] if refs and refs.get("refs") else []


def format_ask(report: dict) -> list[str]:
    lines = []
    for split, m in ((k, report.get("ask", {}).get(k)) for k in ("dev", "test")):
        if m and m["questions"]:
            lines.append(f"\n问答({split},{m['answerable']} 个可答 + {m['unanswerable']} 个无依据):答案准确率 "
                         f"{m['answer_accuracy']:.3f}  路由准确率 {m['routing_accuracy']:.3f}  拒答率 {m['abstention_rate']:.3f}"
                         f"  误拒率 {m['wrong_abstention_rate']:.3f}")
    everyday = report.get("everyday") or {}
    if everyday:
        lines.append("\n日常问法问答(答对 = 引用了标准条文;答错 = 作答但未引用标准条文;拒答 = 无依据问题不作答):")
    for name, m in everyday.items():
        parts = [f"{m['answerable']} 个可答 + {m['unanswerable']} 个无依据"]
        if m["answerable"]:
            parts.append(f"答对 {m['answered_gold']:.3f}  答错 {m['answered_wrong']:.3f}")
        if m["unanswerable"]:
            parts.append(f"拒答 {m['abstained_unanswerable']:.3f}")
        lines.append(f"  {name:<14}" + "  ".join(parts) + f"  (把握中等 {m['medium']} 题)")
    for source, scores in report.get("targets", {}).items():
        lines.append(f"规划目标抽取 {source}:P {scores['precision']:.3f} R {scores['recall']:.3f} F1 {scores['f1']:.3f}")
    return lines
