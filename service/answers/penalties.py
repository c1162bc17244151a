"""The penalty for breaking a cited article (违反安全生产法第二十一条会受到什么处罚).

A law punishes in its 法律责任 (or 罚则) chapter, and names the broken article in one of two
ways: by number (消防法 第六十七条: 违反本法第十六条、第十七条…规定的), which settles it, or by
the duty's own words (安全生产法 第九十四条: 主要负责人未履行本法规定的安全生产管理职责的), which
only a reading of both texts can match (``AnswerDesk._cited_penalty``).

>>> bool(PENALTY_QUESTION.search("违反安全生产法第二十一条会受到什么处罚"))
True
>>> names_article("第六十七条 机关、团体、企业、事业等单位违反本法第十六条、第十七条规定的，责令限期改正", "第十七条")
True
>>> names_article("第一百二十一条 违反本法第二十一条规定的", "第一百二十一条")
False
>>> round(covered_share("（四）未如实记录安全生产教育和培训情况的；", "应当建立安全生产教育和培训档案，如实记录安全生产教育和培训的时间、内容等情况。"), 2)
0.76
"""

from __future__ import annotations

import re

from regkb.corpus.models import Chunk

# Asking what follows from breaking a rule.
PENALTY_QUESTION = re.compile(r"处罚|罚款|罚金|罚多少|怎么罚|如何罚|罚则|法律责任|什么责任|追究|处分|后果|制裁")
PENALTY_CHAPTER = re.compile(r"法律责任|罚则")
_NUMBER = "[一二三四五六七八九十百零]+"
# An item of a list of offences is one the broken rule describes when the rule's text holds this
# share of its character pairs (the rest is 未按照规定, 的 and the like).
OFFENCE_SHARE = 0.5
# the articles a penalty names as its own law's: 违反本法第十六条、第十七条、第二十一条第二款规定
_OWN_ARTICLES = re.compile(rf"本(?:法|条例|规定|办法|细则)((?:第{_NUMBER}条(?:第{_NUMBER}款)?(?:[、，,和及或者]|以及)*)+)")
_ARTICLE = re.compile(rf"第{_NUMBER}条")


def in_penalty_chapter(section_path: list[str] | tuple[str, ...]) -> bool:
    """Whether a chunk stands in a 法律责任 or 罚则 chapter."""
    return any(PENALTY_CHAPTER.search(part) for part in section_path[:1])


def names_article(text: str, article: str) -> bool:
    """Whether a penalty's text names ``article`` (第十六条) of its own law, past its own head."""
    body = text.lstrip()
    head = _ARTICLE.match(body)
    body = body[head.end():] if head else body
    return any(article in _ARTICLE.findall(match.group(1)) for match in _OWN_ARTICLES.finditer(body))


def _pairs(text: str) -> set[str]:
    text = "".join(re.findall(r"[\u4e00-\u9fff]+", text))
    return {text[i:i + 2] for i in range(len(text) - 1)}


def covered_share(offence: str, rule: str) -> float:
    """The share of an offence's character pairs that the broken rule's text holds: a penalty
    describes the offence in the duty's own words (未按照规定对从业人员进行安全生产教育和培训)."""
    pairs = _pairs(offence)
    return len(pairs & _pairs(rule)) / len(pairs) if pairs else 0.0


def penalty_articles(chunks: list[Chunk]) -> list[Chunk]:
    """The chunks of a document's 法律责任 chapter."""
    return [c for c in chunks if c.article and in_penalty_chapter(c.section_path)]
