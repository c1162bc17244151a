"""The legal order between two texts in force that state one rule with other figures (上位法优先).

The 特种设备安全监察条例 (2009, 行政法规) still stands beside the 特种设备安全法 (2013, 法律), and both punish
"客运索道、大型游乐设施每日投入使用前，未进行试运行…的" with a fine: the 条例 1万元以上5万元以下, the law
二万元以上十万元以下. A key that quotes the 条例's sum is proven by the 条例 and refuted by the law; the law
settles it. A text outranks another by its 效力层级 only (法律 over 行政法规 over 部门规章 and local texts).
A newer text of the same rank does not: the 安全生产法 (2021) raised the fines for accidents in general, and the
特种设备安全法 (2013) keeps its own for 特种设备 accidents (the 安全生产法's 第二条 leaves 特种设备安全 to the law
that rules it: the special law, not the newer one, applies). And a higher text settles only its own matter, the
subject its title names: the 海上交通安全法's 九十日 for 海上交通事故 investigations leaves the 事故条例's 60日 for
accidents in general standing.

>>> from types import SimpleNamespace as Doc
>>> law = Doc(authority="law")
>>> regulation, rule = Doc(authority="administrative_regulation"), Doc(authority="departmental_rule")
>>> outranks(law, regulation), outranks(regulation, rule), outranks(regulation, law), outranks(law, law)
(True, True, False, False)
>>> outranks(rule, Doc(authority="local_regulation"))
False
"""

from __future__ import annotations

import re

from regkb.corpus.law_names import without_state_name
from regkb.index.restatements import RESTATEMENT_OVERLAP, bigrams, figures, overlap, same_figures
from regkb.service.exams.text import canonical

# 效力层级 for this rule: 法律, 行政法规, then 部门规章 and local texts alike (a 部门规章 and a province's
# regulation do not outrank each other); 规范性文件 and plans below them all
RANKS = {"law": 0, "administrative_regulation": 1, "departmental_rule": 2, "local_regulation": 2, "local_rule": 2}
UNRANKED = len(set(RANKS.values()))
# what a title says besides its subject: its kind, and the words every safety text has
_TITLE_KIND_RE = re.compile(r"(?:法|条例|规定|办法|细则)$")
_GENERIC_TITLE_WORDS_RE = re.compile(r"安全|管理|监察|监督")


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


def subject(title: str) -> str:
    """The matter a text rules, from its title (canonical): 特种设备 of 中华人民共和国特种设备安全法, 海上交通 of
    the 海上交通安全法, 生产 of the 安全生产法.

    >>> subject("中华人民共和国海上交通安全法"), subject("特种设备安全监察条例")
    ('海上交通', '特种设备')
    """
    return canonical(_GENERIC_TITLE_WORDS_RE.sub("", _TITLE_KIND_RE.sub("", without_state_name(title or ""))))


def within_subject(higher, lower, statement: str) -> bool:
    """Whether the higher text rules the matter of the lower text's rule: its subject is named by the
    ``statement`` (canonical) or in the lower text's title. The 海上交通安全法 sets its own period for 海上交通事故
    investigations and does not overrule the 事故条例's for accidents in general; nor the 安全生产法 a 特种设备
    regulation's (its 第二条 leaves 特种设备安全 to the texts that rule it)."""
    matter = subject(higher.title)
    return bool(matter) and (matter in statement or matter in canonical(lower.title or ""))

