"""Dev choice (experiment): the support model's out-of-fold dev figures with the reader signal and with it zeroed.

    REGKB_HOME=STORE python -m regkb.eval.training.reader_signal_check
"""
import json
from dataclasses import replace
from pathlib import Path
from regkb.eval.training import answer_support as ts
from regkb.service.knowledge_base import KnowledgeBase
from regkb.service.settings import Settings
kb = KnowledgeBase.open(Settings.from_env(show_progress=False))
examples = ts.collect(kb, ts.training_questions(Path("../shared/data/real_questions_dev.jsonl")))

def figures(examples):
    scored = ts.out_of_fold(examples)
    t = ts.choose_thresholds(scored)
    out = {"thresholds": t}
    for g in ("ask dev", "real dev", "plain dev"):
        rows = [(p, gold) for grp, p, gold, a in scored if grp == g and a]
        out[g] = {"gold": round(sum(1 for p, gold in rows if p >= t["medium"] and gold) / len(rows), 3),
                  "wrong": round(sum(1 for p, gold in rows if p >= t["medium"] and not gold) / len(rows), 3)}
    out["sum"] = round(sum(out[g]["gold"] for g in ("ask dev", "real dev", "plain dev")), 3)
    return out
zeroed = [replace(e, signals=[replace(s, reader=0.0) for s in e.signals]) for e in examples]
print(json.dumps({"with reader": figures(examples), "reader zeroed": figures(zeroed)}, ensure_ascii=False, indent=1))
