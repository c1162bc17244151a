"""The legal order between two texts in force that state one rule with other figures (上位法优先).

The 特种设备安全监察条例 (2009, 行政法规) still stands beside the 特种设备安全法 (2013, 法律), and both punish
"客运索道、大型游乐设施每日投入使用前，未进行试运行…的" with a fine: the 条例 1万元以上5万元以下, the law
二万元以上十万元以下. A key that quotes the 条例's sum is proven by the 条例 and refuted by the law; the law
settles it. A text outranks another by its 效力层级 only (法律 over 行政法规 over 部门规章 and local texts).
A newer text of the same rank does not: the 安全生产法 (2021) raised the fines for accidents in general, and the
特种设备安全法 (2013) keeps its own for 特种设备 accidents (the 安全生产法's 第二条 leaves 特种设备安全 to the law
that rules it: the special law, not the newer one, applies).

>>> from types import SimpleNamespace as Doc
>>> law = Doc(authority="law")
>>> regulation, rule = Doc(authority="administrative_regulation"), Doc(authority="departmental_rule")
>>> outranks(law, regulation), outranks(regulation, rule), outranks(regulation, law), outranks(law, law)
(True, True, False, False)
>>> outranks(rule, Doc(authority="local_regulation"))
False
"""

from __future__ import annotations

from regkb.index.restatements import RESTATEMENT_OVERLAP, bigrams, figures, overlap, same_figures

# 效力层级 for this rule: 法律, 行政法规, then 部门规章 and local texts alike (a 部门规章 and a province's
# regulation do not outrank each other); 规范性文件 and plans below them all
RANKS = {"law": 0, "administrative_regulation": 1, "departmental_rule": 2, "local_regulation": 2, "local_rule": 2}
UNRANKED = len(set(RANKS.values()))


def rank(document) -> int:
    return RANKS.get(document.authority, UNRANKED)


def outranks(higher, lower) -> bool:
    """Whether document ``higher`` settles what ``lower`` states otherwise: a higher 效力层级."""
    return rank(higher) < rank(lower)


def restated_otherwise(statement: str, proof: str, refutation: str) -> bool:
    """Whether sentence ``refutation`` states the rule of sentence ``proof`` (the index's near-duplicate
    test: most of their character bigrams shared) with other figures, and the ``statement`` that
    ``proof`` says has figures ``refutation`` does not state: the two texts differ on the statement's
    figures, on the same conduct."""
    said = figures(statement)
    return (bool(said) and not said <= figures(refutation) and not same_figures(figures(proof), figures(refutation))
            and overlap(bigrams(proof), bigrams(refutation)) >= RESTATEMENT_OVERLAP)
