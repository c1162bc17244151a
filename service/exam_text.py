"""Question and article text made comparable: figures by value (三十日 → 30日, 百分之四十 →
40%, 十万元 → 100000元), 本条例/本办法 as 本法, and punctuation dropped (``canonical``) or
kept as one clause mark (``marked``, for finding where a clause starts and ends).

>>> canonical("处十万元以上的罚款") == canonical("处10万元以上的罚款")
True
>>> marked("应当在三十日内，办理登记。")
'应当在30日内|办理登记|'
"""

from __future__ import annotations

import re

from regkb.service.exam_corpus import normalise
from regkb.service.exam_facts import number_value

_NUMERAL_RE = re.compile(r"(?<![第每统唯])(?:(百分之)([零〇一二两三四五六七八九十百千\d.]+)|"
                         r"([零〇一二两三四五六七八九十百千万\d.]+)(?=个|日|天|小时|分钟|月|年|周岁|人|名|元|倍|次|%|以上|以下|至))")
_SELF_REFERENCE_RE = re.compile(r"本条例|本办法|本规定")
# 、 joins the items of one list inside a clause ("重大、特别重大"): it is dropped, not a mark
_PUNCTUATION_RE = re.compile(r"[，。；：,.;:!！?？]+")
_QUOTES_RE = re.compile(r"[\s、“”\"'‘’()（）《》【】\[\]]")
# The blank of a 填空 or choice stem: （ ）, ( ), ____
SLOT_RE = re.compile(r"[(（]\s*[)）]|_{2,}|＿{2,}")
CLAUSE_MARK = "|"


def _figures(text: str) -> str:
    def figure(match: re.Match) -> str:
        value = number_value(match.group(2) or match.group(3))
        if value is None:
            return match.group(0)
        shown = str(int(value)) if value == int(value) else str(value)
        return shown + ("%" if match.group(1) else "")

    return _NUMERAL_RE.sub(figure, _SELF_REFERENCE_RE.sub("本法", text.replace("％", "%")))


def canonical(text: str) -> str:
    """Text for comparison: no punctuation or spaces, figures as Arabic values."""
    return normalise(_figures(text))


def marked(text: str) -> str:
    """``canonical`` with each run of clause punctuation kept as one ``|``."""
    return _PUNCTUATION_RE.sub(CLAUSE_MARK, _QUOTES_RE.sub("", _figures(text)))
