"""The names laws are cited by: titles, and the short names practitioners, exam banks and
training material write (安法, 新安法, 特设法, 危化品条例 …).

One table owns them, ``SHORT_NAMES``: each row a law (its title without 中华人民共和国), a
short name, and where the short name comes from — a public text using it (found through the
project's code search; the id is that index's id of the file) or, where no use was found, the
stated rule it was derived by. Besides the table, rules that hold for every title:

1. drop 中华人民共和国 (中华人民共和国消防法 → 消防法);
2. drop 省 of a province's own regulation (浙江省安全生产条例 → 浙江安全生产条例);
3. drop the middle words between the subject and 法/条例 (安全, 安全管理, 安全生产管理, 防治):
   特种设备安全法 → 特种设备法, 危险化学品安全管理条例 → 危险化学品条例, 职业病防治法 → 职业病法.

A short name that is also the tail of other laws' names (安全法 of 网络安全法, 应急条例 of
突发公共卫生事件应急条例) is *generic*: it names the law only where it starts a word
(``generic_names``). The article-reference parser, the thesaurus and the exam audit read
the names from here (``law_names``, ``thesaurus_entries``, ``law_names_table``, ``full_law_name``).

>>> law_names("中华人民共和国特种设备安全法")
['中华人民共和国特种设备安全法', '特种设备安全法', '特种设备法', '特设法']
>>> full_law_name("危化品条例"), full_law_name("民法典")
('危险化学品安全管理条例', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PRC = "中华人民共和国"
_MIDDLE_WORDS = re.compile(r"^(?P<subject>.{2,}?)(?:安全生产管理|安全管理|安全|防治)(?P<kind>法|条例)$")
_USE = "public use, code-search id "


@dataclass(frozen=True)
class ShortName:
    law: str  # the title without 中华人民共和国
    name: str
    source: str
    generic: bool = False  # also the tail of other laws' names


SHORT_NAMES: tuple[ShortName, ...] = (
    ShortName("安全生产法", "新安法", _USE + "59270728709 (exam bank: 新安法第五条明确), 40794207740 (新安法知识竞赛)"),
    ShortName("安全生产法", "安法", _USE + "66227396484 (hazard register: 管理人员个人防护用品（安法45条）)"),
    ShortName("安全生产法", "安全法", "issue 27's list of practitioners' forms; no public use found (the name "
              "is also 网络安全法's, 数据安全法's tail)", generic=True),
    ShortName("特种设备安全法", "特设法", _USE + "9415566589 (inspection app: 《特设法》第 八十六条), "
              "67439852142 (特设法第 47 条)"),
    ShortName("特种设备安全法", "特种设备法", _USE + "23167309784 (遵守特种设备法关于作业人员…的规定); rule 3"),
    ShortName("危险化学品安全管理条例", "危化品条例", _USE + "2399973086 (traffic-police app rewrites 《危化品条例》 "
              "as 《危险化学品安全管理条例》)"),
    ShortName("危险化学品安全管理条例", "危化条例", _USE + "69389972831 (依据《危化条例》第五十三条)"),
    ShortName("职业病防治法", "职防法", "issue 27's list; no public use found; derived as 特设法 is: the first "
              "characters of the subject (职业病) and of the middle word (防治), then 法"),
    ShortName("生产安全事故报告和调查处理条例", "493号令", _USE + "56855804055 (“以上”包括本数…（第493号令原文）), "
              "58491090481 (分级锚点（国务院493号令）)"),
    ShortName("工伤保险条例", "工伤条例", _USE + "70850975703 (law-name map: 工伤条例 → 工伤保险条例), "
              "69650551862 (工伤条例第 14/15/16/17 条)"),
    ShortName("生产安全事故应急条例", "应急条例", _USE + "58540719800 (《应急条例》第32条)", generic=True),
    ShortName("突发事件应对法", "应对法", _USE + "58540719800 (《应对法》(2025))", generic=True),
)


def _derived(title: str) -> list[str]:
    """The names rules 1–3 give a title (the title first)."""
    names = [title]
    if title.startswith(_PRC) and len(title) > len(_PRC) + 1:
        names.append(title[len(_PRC):])
    for name in list(names):
        if "省" in name[:4]:
            names.append(name.replace("省", "", 1))
        middle = _MIDDLE_WORDS.match(name)
        if middle and "省" not in middle.group("subject") and not name.startswith(_PRC):
            names.append(middle.group("subject") + middle.group("kind"))
    return list(dict.fromkeys(names))


def without_state_name(title: str) -> str:
    """Rule 1 alone: 中华人民共和国消防法 → 消防法 (any other title as it is)."""
    return title.removeprefix(_PRC)


def law_names(title: str) -> list[str]:
    """Every name a law may be cited by: its title, the derived names, its table's short names."""
    names = _derived(title)
    bare = without_state_name(title)
    return list(dict.fromkeys(names + [row.name for row in SHORT_NAMES if row.law == bare]))


def thesaurus_entries() -> dict[str, list[str]]:
    """Short name → the law's name, for the query thesaurus (generic names left out: 安全法
    in a question about 网络安全法 must not pull in 安全生产法)."""
    return {row.name: [row.law] for row in SHORT_NAMES if not row.generic}


def generic_names() -> frozenset[str]:
    return frozenset(row.name for row in SHORT_NAMES if row.generic)


def law_names_table(titles: list[str]) -> list[dict[str, str]]:
    """One row per (law, name) of the given titles (the store's laws): ``title``, ``name``
    and ``source`` (the table's, or the rule that derived it)."""
    rows = []
    for title in titles:
        sourced = {row.name: row.source for row in SHORT_NAMES if row.law == without_state_name(title)}
        for name in law_names(title)[1:]:
            rows.append({"title": title, "name": name, "source": sourced.get(name, _rule_of(title, name))})
    return rows


def _rule_of(title: str, name: str) -> str:
    if without_state_name(title) == name:
        return "rule 1: drop 中华人民共和国"
    if "省" in title[:4] and name == title.replace("省", "", 1):
        return "rule 2: drop 省"
    return "rule 3: drop the middle words between subject and 法/条例"


def full_law_name(name: str, titles: list[str] | None = None) -> str | None:
    """The law (title without 中华人民共和国) that a title or short name names, among ``titles``
    (default: the laws of the table), or None."""
    name = name.strip().strip("《》")
    titles = titles if titles is not None else list(dict.fromkeys(row.law for row in SHORT_NAMES))
    for title in titles:
        if name in law_names(title):
            return without_state_name(title)
    return None
