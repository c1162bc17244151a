"""The answer support model's arithmetic and file, the trainer's threshold rule and the
everyday eval's gold matching: no store needed."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from regkb.eval.metrics.everyday import Gold
from regkb.eval.training.answer_support import choose_thresholds, question_hash
from regkb.service.answers.support import (SUPPORT_FILE, Signals, SupportModel, document_shares, feature_names,
                                           features)


def signals(rank: int, cosine: float) -> Signals:
    return Signals(rank=rank, search=1.0 - rank / 10, cos_sentence=cosine, cos_chunk=cosine, tuned_sentence=cosine,
                   tuned_chunk=cosine, coverage=0.5)


def model(weights: dict[str, float], scope_bias: float = 10.0, thresholds=None) -> SupportModel:
    names = feature_names()
    return SupportModel(tuple(names), np.zeros(len(names)), np.ones(len(names)),
                        np.array([weights.get(n, 0.0) for n in names]), 0.0, np.zeros(384), scope_bias,
                        thresholds or {"medium": 0.5, "high": 0.8})


def test_leads_compare_each_candidate_with_the_best_other():
    x = features([signals(0, 0.9), signals(1, 0.8), signals(2, 0.85)])
    lead = x[:, feature_names().index("cos_sentence_lead")]
    assert lead == pytest.approx([0.05, -0.1, -0.05])
    assert x[:, feature_names().index("first")].tolist() == [1.0, 0.0, 0.0]


def test_a_hit_whose_document_fills_the_candidates_has_the_higher_document_share():
    shares = document_shares(["law", "rule", "law", "law", "plan"])
    assert shares == pytest.approx([0.6, 0.2, 0.6, 0.6, 0.2])
    x = features([replace(signals(i, 0.9), document=share) for i, share in enumerate(shares)])
    assert x[:, feature_names().index("document")] == pytest.approx(shares)
    assert x[:, feature_names().index("document_lead")] == pytest.approx([0.0, -0.4, 0.0, 0.0, -0.4])


def test_the_most_probable_hit_is_quoted_with_close_ones_only():
    sure = model({"cos_sentence_lead": 100.0})
    cited, support = sure.choose([signals(0, 0.80), signals(1, 0.90), signals(2, 0.70)], np.zeros(384))
    assert cited == [1] and support == pytest.approx(1.0, rel=1e-3)
    close = model({"cos_sentence": 1.0})  # nearly equal probabilities: all quoted, their sum the support
    cited, support = close.choose([signals(0, 0.80), signals(1, 0.81)], np.zeros(384))
    assert cited == [1, 0] and support == pytest.approx(1.0, rel=1e-3)
    # p = σ(10·cosine − 8): 0.88, 0.50, 0.12, 0.02; the last is under a tenth of the first
    graded = model({"cos_sentence": 10.0}, thresholds={"medium": 0.5, "high": 0.8})
    graded = replace(graded, bias=-8.0)
    cited, support = graded.choose([signals(0, 1.0), signals(1, 0.8), signals(2, 0.6), signals(3, 0.4)], np.zeros(384))
    assert cited == [0, 1, 2] and support == pytest.approx(1.0, rel=1e-3)
    cited, _ = graded.choose([signals(i, 0.8) for i in range(5)], np.zeros(384))
    assert cited == [0, 1, 2]  # never more than three


def test_out_of_scope_scales_the_support_down():
    outside = model({"cos_sentence_lead": 100.0}, scope_bias=-3.0)
    _, support = outside.choose([signals(0, 0.9), signals(1, 0.8)], np.zeros(384))
    assert support == pytest.approx(1 / (1 + np.exp(3.0)), rel=1e-3)
    assert outside.confidence(support) == "none"
    assert outside.confidence(0.6) == "medium" and outside.confidence(0.9) == "high"


def test_the_shipped_file_loads_and_a_stale_one_is_refused(tmp_path):
    shipped = SupportModel.load()
    assert 0 < shipped.thresholds["medium"] <= shipped.thresholds["high"] < 1
    data = json.loads(SUPPORT_FILE.read_text(encoding="utf-8"))
    data["names"] = data["names"][:-1]
    stale = tmp_path / "support.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="重新训练"):
        SupportModel.load(stale)


def test_save_round_trips(tmp_path):
    original = model({"coverage": 1.5})
    original.save(tmp_path / "m.json")
    again = SupportModel.load(tmp_path / "m.json")
    assert again.weights.tolist() == original.weights.tolist() and again.thresholds == original.thresholds


def test_thresholds_keep_wrong_answers_and_unanswered_within_bounds():
    scored = [("small", "ask dev", p, gold, True) for p, gold in [(0.95, True), (0.9, True), (0.7, False),
                                                                  (0.6, True), (0.5, False), (0.4, True), (0.3, True),
                                                                  (0.2, False), (0.1, True), (0.05, True)]]
    scored += [("small", "offtopic dev", p, False, False) for p in np.linspace(0.0, 0.45, 20)]
    chosen = choose_thresholds(scored, max_wrong=0.10)
    assert chosen["medium"] == 0.6  # 0.5 answers two without gold (0.2 > 0.10); 0.6 one (0.1)
    assert chosen["high"] == 0.9  # above it every answer is gold
    assert choose_thresholds(scored, max_wrong=0.05)["medium"] == 0.9  # 0.7 and 0.6 answer one without gold


def test_thresholds_hold_the_rule_on_every_store():
    small = [("small", "ask dev", p, True, True) for p in (0.9, 0.6, 0.3, 0.1)]
    small += [("small", "offtopic dev", 0.05, False, False)] * 20
    assert choose_thresholds(small, max_wrong=0.10)["medium"] == 0.1  # every answer is gold
    # the same questions on a larger store, where the 0.6 one quotes another article
    library = [("library", "ask dev", p, gold, True) for p, gold in [(0.9, True), (0.6, False), (0.3, True), (0.1, True)]]
    assert choose_thresholds(small + library, max_wrong=0.10)["medium"] == 0.9
    # two off-topic questions the library store lifts: 95% must abstain there, not over both stores
    library += [("library", "offtopic dev", 0.05, False, False)] * 18
    library += [("library", "offtopic dev", p, False, False) for p in (0.5, 0.55)]
    assert choose_thresholds(small + library, max_wrong=0.30)["medium"] == 0.55
    pooled = [("both", *row[1:]) for row in small + library]
    assert choose_thresholds(pooled, max_wrong=0.30)["medium"] == 0.1  # pooled, 38 of 40 abstain at 0.1


def test_question_hash_ignores_width_spaces_and_punctuation():
    assert question_hash("工伤 认定，要多久？") == question_hash("工伤认定要多久?")
    assert question_hash("工伤认定要多久") != question_hash("工伤认定要多长")


def test_gold_matches_a_law_by_short_name_and_article():
    gold = Gold("工伤保险条例", "第十七条")
    assert gold.cites("工伤保险条例(2010-12-20).md", "第十七条", "")
    assert not gold.cites("工伤保险条例(2010-12-20).md", "第十八条", "")
    passage = Gold("004_36275ac223ca7fcd.txt", None, "死亡人数下降15%")
    assert passage.cites("004_36275ac223ca7fcd.txt", None, "生产安全事故死亡人数下降 15%")


def test_thresholds_rise_until_enough_unanswerable_questions_abstain():
    scored = [("small", "ask dev", 0.9, True, True), ("small", "ask dev", 0.3, True, True)]
    scored += [("small", "offtopic dev", p, False, False) for p in (0.1, 0.2, 0.7)]
    assert choose_thresholds(scored)["medium"] == 0.9  # 0.3 and 0.7 would answer the one at 0.7


def test_eval_report_prints_the_three_figures_per_set():
    from regkb.eval.report import format_ask

    report = {"everyday": {
        "plain test": {"answerable": 66, "unanswerable": 11, "answered_gold": 0.4394, "answered_wrong": 0.1061,
                       "abstained_unanswerable": 1.0, "medium": 15},
        "offtopic test": {"answerable": 0, "unanswerable": 58, "answered_gold": None, "answered_wrong": None,
                          "abstained_unanswerable": 0.9655, "medium": 2}}}
    lines = "\n".join(format_ask(report))
    assert "plain test" in lines and "答对 0.439  答错 0.106" in lines and "拒答 1.000" in lines
    assert "offtopic test" in lines and "拒答 0.966" in lines and "答对" not in lines.split("offtopic test")[1]


def _example(group: str, vector, answerable: bool, gold_rank: int | None = None, store: str = "small",
             number: int | None = None):
    from regkb.eval.metrics.everyday import EverydayQuestion
    from regkb.eval.training.answer_support import Example

    golds = (Gold("安全生产法", "第一条"),) if answerable else ()
    candidates = [signals(rank, 0.9 if rank == gold_rank else 0.8) for rank in range(3)]
    question = EverydayQuestion(f"{group}{number if number is not None else id(vector)}", "问", "dev", golds)
    return Example(store, group, question, np.asarray(vector, dtype=float), candidates,
                   [int(rank == gold_rank) for rank in range(3)])


def test_scope_only_questions_teach_the_scope_model_and_not_the_hit_model():
    from regkb.eval.training.answer_support import fit

    rng = np.random.default_rng(0)
    base = [_example("ask dev", rng.normal(size=4) + [2, 0, 0, 0], True, gold_rank=int(rng.integers(3))) for _ in range(20)]
    base += [_example("offtopic dev", rng.normal(size=4) - [2, 0, 0, 0], False) for _ in range(20)]
    # near the corpus but outside it: like the answerable questions in the first dimension, apart in the second
    side = [_example("real extra train", rng.normal(size=4) + [2, 3, 0, 0], False) for _ in range(20)]
    side += [_example("real extra train", rng.normal(size=4) + [2, 0, 0, 0], True, gold_rank=0) for _ in range(5)]
    without, with_side = fit(base), fit(base + side)
    assert np.allclose(without.weights, with_side.weights) and without.bias == pytest.approx(with_side.bias)
    outside = np.array([2.0, 3.0, 0.0, 0.0])
    assert with_side.in_scope(outside) < without.in_scope(outside)


def test_dev_rule_adds_the_gold_shares_of_the_dev_sets_at_the_threshold():
    from regkb.eval.training.answer_support import dev_rule

    scored = [("ask dev", 0.9, True, True), ("ask dev", 0.9, False, True), ("ask dev", 0.1, True, True),
              ("real dev", 0.8, True, True), ("plain dev", 0.3, True, True), ("stride", 0.9, True, True),
              ("offtopic dev", 0.9, False, False),
              ("real extra train", 0.9, False, False), ("real extra train", 0.2, False, False)]
    rule = dev_rule([("small", *row) for row in scored] + [("library", "real dev", 0.8, False, True)], 0.5)
    figures = rule["small"]
    assert figures["ask dev gold"] == figures["ask dev wrong"] == 0.3333
    assert figures["stride gold"] == 1.0 and "offtopic dev gold" not in figures
    assert figures["sum"] == 1.3333  # stride is not a dev set
    assert figures["real extra train abstained"] == 0.5
    assert rule["library"] == {"real dev gold": 0.0, "real dev wrong": 1.0, "sum": 0.0}
    assert rule["sum"] == 1.3333


def test_a_questions_lists_on_every_store_share_its_fold():
    from regkb.eval.training.answer_support import FOLDS, folds, question_key

    rng = np.random.default_rng(0)
    small = [_example("ask dev", rng.normal(size=4), True, gold_rank=0, number=n) for n in range(30)]
    library = [_example(e.group, e.vector, True, gold_rank=1, store="library", number=n) for n, e in enumerate(small)]
    drawn = folds(small + library)
    assert len(drawn) == 30 and sorted(set(drawn.values())) == list(range(FOLDS))
    assert drawn == folds(small)  # a second store's lists move no question to another fold
    assert all(question_key(a) == question_key(b) for a, b in zip(small, library))


def test_the_scope_model_counts_each_question_once_whatever_the_stores():
    from regkb.eval.training.answer_support import fit

    rng = np.random.default_rng(1)
    base = [_example("ask dev", rng.normal(size=4) + [1, 0, 0, 0], True, gold_rank=0, number=n) for n in range(20)]
    base += [_example("offtopic dev", rng.normal(size=4) - [1, 0, 0, 0], False, number=n) for n in range(20)]
    again = [_example(e.group, e.vector, e.question.answerable, gold_rank=0 if e.question.answerable else None,
                      store="library", number=n % 20) for n, e in enumerate(base)]
    one, both = fit(base), fit(base + again)
    assert np.allclose(one.scope, both.scope) and one.scope_bias == pytest.approx(both.scope_bias)


@pytest.mark.slow
def test_the_trainer_fits_on_two_real_stores_and_holds_its_rule_on_each(law_kb, tmp_path):
    """The small law store and a copy with a provincial rule beside the law (more documents on the
    shelf): each question is searched on both, its two lists share a fold, and the thresholds
    keep the calibration rule on each store."""
    from conftest import LAWS, SAFETY_LAW, pooled_ingest
    from live_server import copy_store

    from regkb.eval.metrics.ask import load_ask_questions
    from regkb.eval.metrics.everyday import EverydayQuestion, load_set
    from regkb.eval.training.answer_support import CALIBRATION_SETS, MAX_WRONG, collect, out_of_fold, train
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    wider = KnowledgeBase.open(Settings(home=copy_store(law_kb.settings.home, tmp_path / "wider"), show_progress=False))
    assert pooled_ingest(wider, [LAWS / "浙江省安全生产条例(2016-07-29).md"]).added == 1
    asked = [EverydayQuestion(q.id, q.question, "dev", (Gold(q.source, None, q.passage),))
             for q in load_ask_questions() if q.split == "dev" and q.kind == "passage" and q.source == SAFETY_LAW.name]
    sets = {"ask dev": asked, "offtopic dev": [q for q in load_set("offtopic") if q.split == "dev"][:12]}
    stores = {"law": law_kb, "wider": wider}
    examples = [e for name, kb in stores.items() for e in collect(kb, sets, name)]
    assert {e.store for e in examples} == {"law", "wider"} and len(examples) == 2 * (len(asked) + 12)
    model = train(stores, sets)
    assert model.meta["stores"] == ["law", "wider"] and model.meta["questions"] == len(examples)
    rule = model.meta["dev_rule"]
    assert rule["sum"] == pytest.approx(rule["law"]["sum"] + rule["wider"]["sum"], abs=1e-4)
    medium = model.thresholds["medium"]
    scored = out_of_fold(examples)
    for store in stores:
        for group in CALIBRATION_SETS:
            answerable = [(p, gold) for s, g, p, gold, a in scored if (s, g) == (store, group) and a]
            if answerable:
                assert sum(1 for p, gold in answerable if p >= medium and not gold) <= MAX_WRONG * len(answerable)
