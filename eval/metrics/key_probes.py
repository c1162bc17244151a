"""Unlabelled probes of right keys: each right-keyed 单选/多选/填空 of the real banks' tune halves and the own
bank's dev half, with one blank, its keyed option (a 填空's key) written into the blank and audited as a 判断 keyed
true. The bank's key makes each probe a true statement, so a ``disagrees`` on one is a false alarm by
construction (no hand label needed); an ``undecided`` says nothing. A probe may read oddly where the
stem's question words stay (…采取的措施有…), so its false alarms are read by hand before a cause is
counted. No test-half question is read.

    python -m regkb.eval.metrics.key_probes [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from regkb.eval.metrics.real_banks import DEFAULT_BANK, all_banks, audit_rows

TUNE_HALVES = ("tune", "dev")


def probes(banks: list[tuple[str, list[dict]]]) -> list[dict]:
    from regkb.service.exams.stems import with_key
    from regkb.service.exams.text import SLOT_RE

    result = []
    for bank, rows in banks:
        for row in rows:
            if (row["half"] not in TUNE_HALVES or row["gold"] != "right" or row["type"] not in ("single", "multi", "blank")
                    or len(SLOT_RE.findall(row["stem"])) != 1):
                continue
            if row["type"] == "blank":  # the key is the text itself ("option" says so)
                statement = with_key(row["stem"], row["answer"]).rstrip("？?。 ") + "。"
                result.append({"bank": bank, "id": row["id"], "option": "key", "type": "judge",
                               "stem": statement, "options": [], "answer": "true"})
                continue
            for letter in row["answer"]:
                index = ord(letter) - ord("A")
                if index < len(row["options"]):
                    statement = with_key(row["stem"], row["options"][index]).rstrip("？?。 ") + "。"
                    result.append({"bank": bank, "id": row["id"], "option": letter, "type": "judge",
                                   "stem": statement, "options": [], "answer": "true"})
    return result


def main() -> None:
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    parser = argparse.ArgumentParser(description="right keys of the tune halves audited as true statements")
    parser.add_argument("--bank", default=str(DEFAULT_BANK), help="real_bank_dev.jsonl")
    parser.add_argument("--out", metavar="FILE", help="write every probe with its verdict here (JSON lines)")
    args = parser.parse_args()
    rows = probes(all_banks(Path(args.bank)))
    results = audit_rows(KnowledgeBase.open(Settings.from_env(show_progress=False)), rows)
    alarms = sorted({(r["bank"], r["id"]) for r, x in zip(rows, results) if x.verdict in ("disagrees", "outdated")})
    print(json.dumps({"probes": len(rows), "questions": len({(r["bank"], r["id"]) for r in rows}),
                      "verdicts": Counter(x.verdict for x in results),
                      "false_alarms": {"probes": sum(x.verdict in ("disagrees", "outdated") for x in results),
                                       "questions": [f"{b}/{q}" for b, q in alarms]}}, ensure_ascii=False, indent=1))
    if args.out:
        Path(args.out).write_text("".join(json.dumps({**{k: r[k] for k in ("bank", "id", "option", "stem")},
                                                      "verdict": x.verdict, "article": f"{x.title or ''}{x.article or ''}",
                                                      "quote": x.quote}, ensure_ascii=False) + "\n"
                                          for r, x in zip(rows, results)), encoding="utf-8")


if __name__ == "__main__":
    main()
