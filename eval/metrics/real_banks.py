"""题库体检 and ``exam solve`` on real training banks: ``shared/data/real_bank_dev.jsonl`` (real
安全员 and fire-safety questions with hand-checked verdicts), split once into tune and test halves
(``data/real_bank_split.json``: stratified by verdict and type, seed 23); a third real bank
(``data/real_bank_extra.jsonl``, 安全员 questions, its split in ``data/real_bank_extra_split.json``,
see ``data/real_bank_extra.md``); a fourth (``data/real_bank_third.jsonl``, 特种设备 and
一般企业 安全管理 questions of another trainer, split in ``data/real_bank_third_split.json``, see
``data/real_bank_third.md``); a fifth (``data/real_bank_fourth.jsonl``, a 广东 安全生产月 contest bank's
法律法规 and 安全管理 questions, split in ``data/real_bank_fourth_split.json``, see
``data/real_bank_fourth.md``); a sixth (``data/real_bank_fifth.jsonl``, a 辽宁 公路水运 安全员 bank's
法律体系及安全法律法规 questions, split in ``data/real_bank_fifth_split.json``, see ``data/real_bank_fifth.md``);
a seventh (``data/real_bank_sixth.jsonl``, a 广东 C3 安全员 bank's 法律法规 判断 and law-naming choice questions,
split in ``data/real_bank_sixth_split.json``, see ``data/real_bank_sixth.md``); an eighth (``data/real_bank_seventh.jsonl``,
a 危化品 安全管理人员 bank's 单选 and 判断 on the corpus laws, split in ``data/real_bank_seventh_split.json``, see
``data/real_bank_seventh.md``); a ninth (``data/real_bank_ninth.jsonl``, a 粤港澳 safety contest bank's 单选 on the
corpus laws, split in ``data/real_bank_ninth_split.json``, see ``data/real_bank_ninth.md``); and the project's own bank (``data/exam_bank.csv``, split by
``metrics.exams.split_of``).

A right key (gold ``agrees``) is *agreed* when the audit says ``agrees`` and a *false alarm* when
it says ``disagrees`` or ``outdated``; a wrong key (gold ``wrong_key`` or planted) is *caught*
when it says ``disagrees`` or ``outdated``. ``verdicts`` counts, per gold verdict and question
type, the audit's agrees/disagrees/undecided/outdated. ``exam solve`` is asked each right-keyed question
with its type, as a trainer would paste it, and is right when it answers with the key.

    python -m regkb.eval.metrics.real_banks [--bank PATH] [--misses FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path

from regkb.eval.metrics.exams import JUDGE_KEYS, split_of
from regkb.eval.paths import shared_data

DEFAULT_BANK = shared_data() / "real_bank_dev.jsonl"
CAUGHT = ("disagrees", "outdated")
VERDICTS = ("agrees", "disagrees", "undecided", "outdated")


def _data(name: str) -> str:
    return resources.files("regkb.eval").joinpath("data", name).read_text(encoding="utf-8")


def _split(name: str) -> dict[str, str]:
    data = json.loads(_data(name))
    return {qid: half for half in ("tune", "test") for qid in data[half]}


def real_rows(lines: list[str], split: str) -> list[dict]:
    """A real bank's rows as audit records (options in letter order, judge keys true/false),
    with their half (from the split file ``split``) and gold verdict."""
    halves = _split(split)
    rows = []
    for line in lines:
        raw = json.loads(line)
        answer = raw["answer"]
        rows.append({"type": raw["type"], "stem": raw["stem"], "options": [raw["options"][k] for k in sorted(raw["options"])],
                     "answer": ("true" if answer else "false") if isinstance(answer, bool) else str(answer),
                     "id": raw["id"], "half": halves[raw["id"]],
                     "gold": {"agrees": "right", "wrong_key": "wrong"}.get(raw["verdict"], "undecidable")})
    return rows


def own_rows() -> list[dict]:
    types = {"判断题": "judge", "单选题": "single", "多选题": "multi", "填空题": "blank"}
    with resources.as_file(resources.files("regkb.eval").joinpath("data", "exam_bank.csv")) as path:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.DictReader(handle))
    rows = []
    for i, r in enumerate(records):
        options = [r[f"选项{c}"] for c in "ABCDEF" if r.get(f"选项{c}")]
        rows.append({"type": types[r["题型"]], "stem": r["题干"], "options": options,
                     "answer": JUDGE_KEYS.get(r["答案"], r["答案"]), "id": f"own-{i + 1}", "half": split_of(r["题干"]),
                     "gold": "wrong" if r["植入错误"] else "right"})
    return rows


def all_banks(real_bank: Path) -> list[tuple[str, list[dict]]]:
    """(name, rows) of the banks the metric reads: the real one at ``real_bank``, extra, third, fourth, fifth, sixth, seventh, ninth, own."""
    return [("real", real_rows(real_bank.read_text(encoding="utf-8").splitlines(), "real_bank_split.json")),
            ("extra", real_rows(_data("real_bank_extra.jsonl").splitlines(), "real_bank_extra_split.json")),
            ("third", real_rows(_data("real_bank_third.jsonl").splitlines(), "real_bank_third_split.json")),
            ("fourth", real_rows(_data("real_bank_fourth.jsonl").splitlines(), "real_bank_fourth_split.json")),
            ("fifth", real_rows(_data("real_bank_fifth.jsonl").splitlines(), "real_bank_fifth_split.json")),
            ("sixth", real_rows(_data("real_bank_sixth.jsonl").splitlines(), "real_bank_sixth_split.json")),
            ("seventh", real_rows(_data("real_bank_seventh.jsonl").splitlines(), "real_bank_seventh_split.json")),
            ("ninth", real_rows(_data("real_bank_ninth.jsonl").splitlines(), "real_bank_ninth_split.json")),
            ("own", own_rows())]


def audit_rows(kb, rows: list[dict]):
    """The audit's result for each row (type, stem, options, answer), through ``kb.check_exam`` on a JSON bank."""
    with tempfile.TemporaryDirectory(prefix="regkb-bank-") as folder:
        path = Path(folder) / "bank.json"
        path.write_text(json.dumps([{k: r[k] for k in ("type", "stem", "options", "answer")} for r in rows],
                                   ensure_ascii=False), encoding="utf-8")
        return kb.check_exam(path, report=False).results


def bank_scores(kb, rows: list[dict]) -> tuple[dict, list[dict]]:
    """Figures per half, and one record per question that the audit or the solver got wrong."""
    results = audit_rows(kb, rows)
    tallies: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for row, result in zip(rows, results):
        solved = kb.solve(row["stem"], row["options"], kind=row["type"]) if row["gold"] == "right" else None
        solved_right = solved is not None and solved.answer is not None and _same_key(row, solved.answer)
        for half in (row["half"], "all"):
            t = tallies[half]
            t["questions"] += 1
            t[result.verdict] += 1
            t[row["gold"]] += 1
            t[f"{row['gold']}_{row['type']}"] += 1
            t[f"{row['gold']}_{row['type']}_{result.verdict}"] += 1
            if row["gold"] == "right":
                t["agreed"] += result.verdict == "agrees"
                t["false_alarms"] += result.verdict in CAUGHT
                t[f"solve_{row['type']}"] += 1
                t[f"solved_{row['type']}"] += solved_right
            elif row["gold"] == "wrong":
                t["caught"] += result.verdict in CAUGHT
        expected = {"right": "agrees", "wrong": "disagrees", "undecidable": "undecided"}[row["gold"]]
        if (result.verdict != expected and not (row["gold"] == "wrong" and result.verdict in CAUGHT)) or (
                solved is not None and not solved_right):
            misses.append({"id": row["id"], "half": row["half"], "type": row["type"], "gold": row["gold"],
                           "verdict": result.verdict, "given": row["answer"], "corpus_answer": result.corpus_answer,
                           "solved": solved.answer if solved else None, "stem": row["stem"],
                           "article": f"{result.title or ''}{result.article or ''}", "quote": result.quote})
    return {half: _rates(t) for half, t in sorted(tallies.items())}, misses


def _same_key(row: dict, answer: str) -> bool:
    if row["type"] == "blank":
        from regkb.service.exams.bank_audit import same_blank_answer

        return same_blank_answer(answer, row["answer"]) is True
    return answer == row["answer"]


def _rates(t: Counter) -> dict:
    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    return {"questions": t["questions"], "right_keys": t["right"], "wrong_keys": t["wrong"],
            "undecidable": t["undecidable"],
            "agreed": share(t["agreed"], t["right"]), "false_alarms": share(t["false_alarms"], t["right"]),
            "caught": share(t["caught"], t["wrong"]), "caught_of": f"{t['caught']}/{t['wrong']}",
            "undecided": share(t["undecided"], t["questions"]),
            # per gold verdict and type: how many the audit called agrees/disagrees/undecided/outdated
            "verdicts": {f"{gold}_{kind}": "/".join(str(t[f"{gold}_{kind}_{v}"]) for v in VERDICTS)
                         for gold in ("right", "wrong", "undecidable") for kind in ("judge", "single", "multi", "blank")
                         if t[f"{gold}_{kind}"]},
            "solve": {kind: f"{t[f'solved_{kind}']}/{t[f'solve_{kind}']} ({share(t[f'solved_{kind}'], t[f'solve_{kind}'])})"
                      for kind in ("judge", "single", "multi", "blank") if t[f"solve_{kind}"]}}


def main() -> None:
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    parser = argparse.ArgumentParser(description="题库体检 and exam solve on the real banks and the project's own bank")
    parser.add_argument("--bank", default=str(DEFAULT_BANK), help="real_bank_dev.jsonl")
    parser.add_argument("--misses", metavar="FILE", help="write the questions got wrong here (JSON lines)")
    args = parser.parse_args()
    kb = KnowledgeBase.open(Settings.from_env(show_progress=False))
    report, misses = {}, []
    for name, rows in all_banks(Path(args.bank)):
        report[name], missed = bank_scores(kb, rows)
        misses += [{"bank": name, **m} for m in missed]
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.misses:
        Path(args.misses).write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in misses), encoding="utf-8")


if __name__ == "__main__":
    main()
