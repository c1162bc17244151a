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

import opencc

from regkb.corpus.numerals import NUMERAL_CHARS
from regkb.service.exams.corpus import strip_punctuation
from regkb.service.exams.facts import number_value

_NUMERAL_RE = re.compile(r"(?<![第每统唯])(?:(百分之)([零〇一二两三四五六七八九十百千\d.]+)|"
                         rf"([{NUMERAL_CHARS}\d.]+)(?=个|日|天|小时|分钟|月|年|周岁|人|名|元|倍|次|%|以上|以下|至))")
_SELF_REFERENCE_RE = re.compile(r"本条例|本办法|本规定")
# 、 joins the items of one list inside a clause ("重大、特别重大"): it is dropped, not a mark
_PUNCTUATION_RE = re.compile(r"[，。；：,.;:!！?？]+")
_QUOTES_RE = re.compile(r"[\s、“”\"'‘’()（）《》【】\[\]]")
# The blank of a 填空 or choice stem: （ ）, ( ), ____
SLOT_RE = re.compile(r"[(（]\s*[)）]|_{2,}|＿{2,}")
CLAUSE_MARK = "|"
_SPACE_RE = re.compile(r"\s+")


# Words a trainer writes for the statute's without changing what it says; both sides of a
# comparison are rewritten, so a pair only has to be one-way. 必须 and 应当 both bind (statutes
# use either), 禁止/严禁 and 不得 both forbid, 以上/以下 include the figure already (及以上), the
# 安全生产监督管理部门 of older texts is today's 应急管理部门 (their 公安机关消防机构 today's 消防救援机构,
# renamed in 2019), a bank's 可处…罚款 states the statute's 处…罚款 (the penalty the authority
# imposes), the 行政处分 of older texts is today's 处分, banks write 企业 for the statute's 生产经营单位
# (本企业 for its 本单位) and 职工 for its 从业人员 (the 安全生产法's word for who the 工伤保险条例 calls
# 职工), the 行政监察法 and 行政监察机关 the older texts cite are today's 监察法 and 监察机关 (replaced in
# 2018; banks still write 行政监察部门), their 国土资源主管部门 today's 自然资源主管部门 (renamed in 2018;
# the 2014 安全生产法 says the former), 处以 is 处 (statutes write either before a fine; read after 以及, so
# 管理处以及 stays an office and 及), and a few spellings vary (the corpus itself says 危险物品 in 安全生产法
# and 危险品 in 消防法 for the same goods, and its older local regulations 民用爆破器材 for the goods the 2006
# 民用爆炸物品安全管理条例 renamed 民用爆炸物品, the name the national texts now use; 制订 and 制定 are one word in
# two spellings).
SYNONYMS = (("工伤社会保险", "工伤保险"), ("或者", "或"), ("以及", "及"), ("依法", ""), ("依照", "按照"),
            ("行政执法证件", "执法证件"), ("监督执法证件", "执法证件"), ("必须", "应当"), ("严禁", "不得"),
            ("禁止", "不得"), ("及以上", "以上"), ("及以下", "以下"), ("人民政府", "政府"),
            ("安全生产监督管理部门", "应急管理部门"), ("公安机关消防机构", "消防救援机构"), ("做出", "作出"),
            ("其它", "其他"), ("可处", "处"), ("行政处分", "处分"), ("本企业", "本单位"), ("企业", "生产经营单位"),
            ("职工", "从业人员"), ("危险物品", "危险品"), ("制订", "制定"), ("行政监察", "监察"),
            ("国土资源主管部门", "自然资源主管部门"), ("处以", "处"), ("民用爆破器材", "民用爆炸物品"))
_UNIT = r"(?:元|日|天|小时|个月|年|人|倍|%)"
_NUM = rf"[\d.{NUMERAL_CHARS}]+"
# A range as a statute writes it (十万元以上三十万元以下, 40%至80%) and as banks write it
# (10～30万元, 10-30万元): one spelling, "10万元至30万元", so the two compare equal.
# (banks write 2-5万 for 2万元至5万元: a 万 with no unit after it is 万元)
_RANGE_RE = re.compile(rf"({_NUM})({_UNIT})?(?:以上)?\s*(?:至|到|～|~|－|-|—)\s*({_NUM})({_UNIT}|(?<=万)(?!{_NUM}))(?:以下)?"
                       rf"|({_NUM})({_UNIT})以上({_NUM})({_UNIT})以下")


# Banks typed in traditional characters, or with a character in its Japanese form (调査 for 调查), say
# what the simplified statute says: OpenCC's traditional → simplified conversion reads them alike (it
# leaves the corpus's simplified text as it is).
_SIMPLIFIED = opencc.OpenCC("t2s")


def standard_forms(text: str) -> str:
    """The text in simplified Chinese characters."""
    return _SIMPLIFIED.convert(text)


def _ranges(text: str) -> str:
    def one(match: re.Match) -> str:
        low, low_unit, high, high_unit = (match.group(1, 2, 3, 4) if match.group(1) else match.group(5, 6, 7, 8))
        high_unit = high_unit or "元"  # 2-5万: 万元
        if not low_unit and high.endswith("万") and not low.endswith("万"):
            low += "万"  # 100～500万元: both ends in 万元
        return f"{low}{low_unit or high_unit}至{high}{high_unit}"

    return _RANGE_RE.sub(one, text)


# Banks shorten the statute's 应当 to 应 ("应依法为职工参加工伤保险"); 应 inside another word (相应,
# 供应, 应急, 应对) is not the modal.
_BARE_SHOULD_RE = re.compile(r"(?<![相反适供响对感效答回顺照呼内理])应(?![当该急用对变聘届征试答激])")


def _words(text: str) -> str:
    text = _BARE_SHOULD_RE.sub("应当", text)
    for word, same in SYNONYMS:
        text = text.replace(word, same)
    return text


def _figures(text: str, ranges: bool = True) -> str:
    def figure(match: re.Match) -> str:
        value = number_value(match.group(2) or match.group(3))
        if value is None:
            return match.group(0)
        shown = str(int(value)) if value == int(value) else str(value)
        return shown + ("%" if match.group(1) else "")

    # banks space figures out ("处 5 万元以上 10 万元以下"); Chinese text has no word spaces to keep
    text = _words(_SELF_REFERENCE_RE.sub("本法", _SPACE_RE.sub("", standard_forms(text).replace("％", "%"))))
    return _NUMERAL_RE.sub(figure, _ranges(text) if ranges else text)


def canonical(text: str) -> str:
    """Text for comparison: no punctuation or spaces, figures as Arabic values."""
    return strip_punctuation(_figures(text))


def marked(text: str, ranges: bool = True) -> str:
    """``canonical`` with each run of clause punctuation kept as one ``|``; without ``ranges``, a
    range keeps its statute words (2万元以上5万元以下), so that a blank may stand for one end."""
    return _PUNCTUATION_RE.sub(CLAUSE_MARK, _QUOTES_RE.sub("", _figures(text, ranges)))
