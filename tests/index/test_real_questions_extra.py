"""The extra real people's questions (``eval/data/real_questions_extra.jsonl``): fields, a split
frozen by hash, none of them held out or in the shared dev set, every gold article in the laws."""

from __future__ import annotations

import json
import re
from collections import Counter

from conftest import EVAL_DATA, LAWS
from regkb.eval.metrics.everyday import load_real_questions
from regkb.eval.paths import holdout_hashes, shared_data
from regkb.eval.training.answer_support import question_hash

_ARTICLE_HEAD = re.compile(r"^(第[零一二三四五六七八九十百千]+条)[\s　]", re.M)
FIELDS = {"id", "question", "gold", "answerable", "kind", "split", "source_type", "source_repo", "source_path",
          "source_commit", "source_index", "drawn_hash", "note"}


def _rows() -> list[dict]:
    text = (EVAL_DATA / "real_questions_extra.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_rows_have_the_dev_files_fields_and_a_split_frozen_by_the_drawn_questions_hash():
    rows = _rows()
    assert len({r["id"] for r in rows}) == len(rows) and len({question_hash(r["question"]) for r in rows}) == len(rows)
    for row in rows:
        assert set(row) == FIELDS, row["id"]
        assert row["kind"] == "question" and row["answerable"] == bool(row["gold"]) and row["note"], row["id"]
        assert re.fullmatch(r"[0-9a-f]{40}", row["source_commit"]) and isinstance(row["source_index"], int)
        # drawn and split before labelling: a third of the hashes (mod 3 = 0) are test
        assert row["split"] == ("test" if int(row["drawn_hash"], 16) % 3 == 0 else "train"), row["id"]
    # a labeller may cut a greeting; most questions are as drawn
    assert sum(question_hash(r["question"]) == r["drawn_hash"] for r in rows) >= 0.8 * len(rows)
    counts = Counter((r["split"], r["answerable"]) for r in rows)
    assert min(counts.values()) >= 10, counts
    assert Counter(q.split for q in load_real_questions()) == Counter(r["split"] for r in rows)


def test_no_question_is_held_out_or_in_the_shared_dev_set():
    held = set(holdout_hashes().read_text(encoding="utf-8").split())
    dev = {question_hash(q.question) for q in load_real_questions(shared_data() / "real_questions_dev.jsonl")}
    assert len(held) > 10 and len(dev) > 10
    for row in _rows():
        assert not {question_hash(row["question"]), row["drawn_hash"]} & (held | dev), row["id"]


def test_every_gold_article_is_in_the_laws():
    """The laws are the small store's statutes (seeds + laws): every gold article can be found there."""
    articles = {}
    for path in LAWS.glob("*.md"):
        body = path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[-1]
        articles[path.name.split("(")[0]] = {m.group(1) for m in _ARTICLE_HEAD.finditer(body)}
    for row in _rows():
        for gold in row["gold"]:
            assert gold["article"] in articles.get(gold["law"], ()), (row["id"], gold)
