"""The key probes (``eval.metrics.key_probes``): a right key of a tune half written into its stem as a
true 判断; test halves, wrong keys and stems without one blank give none."""

from __future__ import annotations


def test_each_keyed_option_of_a_tune_half_becomes_a_true_statement():
    from regkb.eval.metrics.key_probes import probes

    stem = "施工单位应当对（ ）等达到一定规模的危险性较大的分部分项工程编制专项施工方案？"
    row = {"type": "multi", "stem": stem, "options": ["土方开挖工程", "装修工程", "模板工程"], "answer": "AC",
           "id": "q1", "half": "tune", "gold": "right"}
    made = probes([("extra", [row, {**row, "id": "q2", "half": "test"}, {**row, "id": "q3", "gold": "wrong"},
                              {**row, "id": "q4", "stem": "（ ）应当对（ ）负责"}])])
    assert [(p["id"], p["option"], p["answer"], p["type"]) for p in made] == [("q1", "A", "true", "judge"),
                                                                              ("q1", "C", "true", "judge")]
    assert made[1]["stem"] == "施工单位应当对模板工程等达到一定规模的危险性较大的分部分项工程编制专项施工方案。"


def test_a_blank_key_of_a_tune_half_becomes_a_true_statement():
    from regkb.eval.metrics.key_probes import probes

    row = {"type": "blank", "stem": "安全警示标志必须符合（ ）标准。", "options": [], "answer": "国家",
           "id": "b1", "half": "tune", "gold": "right"}
    made = probes([("extra", [row, {**row, "id": "b2", "half": "test"}])])
    assert [(p["id"], p["option"], p["stem"]) for p in made] == [("b1", "key", "安全警示标志必须符合国家标准。")]
