"""Article references are looked up, not searched.

Users type citations: 安全生产法第二十一条, 《消防法》第16条, 工伤保险条例 第十四条第一款,
特设法第四十条规定了什么. A reference names a law (its title or one of its short names,
``regkb.corpus.law_names``) and an article in Chinese or Arabic numerals, optionally a 款 and a 项.
The cited article's chunks go first, exactly; the rest of the ranking follows as searched.

>>> parse_references("《消防法》第16条规定了什么", ["中华人民共和国消防法"])
[ArticleRef(title='中华人民共和国消防法', article='第十六条', paragraph=None, item=None)]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from regkb.haystack_import import import_haystack

import_haystack()
from haystack import component  # noqa: E402

from regkb.corpus.law_names import generic_names, law_names  # noqa: E402
from regkb.corpus.numerals import chinese_number, numeral_value  # noqa: E402
from regkb.index.hits import HitList  # noqa: E402
from regkb.index.search_index import IndexRow  # noqa: E402

ChunkTexts = Callable[[list[int]], list[str]]

_NUMBER = r"[0-9０-９零〇一二两三四五六七八九十百千]+"
# no two neighbouring quantifiers match the same characters (a run of spaces is read one way only)
_ARTICLE = re.compile(rf"[》」”\"'\s]*(?:的\s*)?第\s*({_NUMBER})\s*条"
                      rf"(?:\s*第\s*({_NUMBER})\s*款)?(?:\s*第\s*[（(]?\s*({_NUMBER})\s*[)）]?\s*项)?")
# a word starts after no Chinese character, or after a word that introduces a citation
_WORD_START = r"(?:(?<![\u4e00-\u9fff])|(?<=[据照按依和与及的是在见即反违查看问读新旧]))"


def title_aliases(title: str) -> list[str]:
    """The names a user may cite a document by, longest first: the title and its short names
    (``regkb.corpus.law_names``: without 中华人民共和国, without 省, 安法, 特设法 …)."""
    return sorted(law_names(title), key=len, reverse=True)


def _name_pattern(names: list[str]) -> str:
    """Alternation of the names, longest first; a generic short name (安全法, 应急条例) only
    where a word starts, so 网络安全法第二十一条 cites no law of the store."""
    generic = generic_names()
    parts = [re.escape(name) if name not in generic else _WORD_START + re.escape(name)
             for name in sorted(names, key=len, reverse=True)]
    return "|".join(parts)


@dataclass(frozen=True)
class ArticleRef:
    title: str
    article: str  # 第X条, as the chunks' ``article`` field spells it
    paragraph: int | None = None  # 款
    item: int | None = None  # 项


def _references(query: str, titles: list[str]):
    """Each reference in the query to an article of one of ``titles``: (ref, start, end)."""
    names = {alias: title for title in titles if title for alias in title_aliases(title)}
    if not names:
        return
    pattern = re.compile(_name_pattern(list(names)))
    for match in pattern.finditer(query):
        article = _ARTICLE.match(query, match.end())
        if not article:
            continue
        number, paragraph, item = (numeral_value(n) if n else None for n in article.groups())
        if number is None:  # digits and characters mixed (第1十条): no article number
            continue
        yield ArticleRef(names[match.group(0)], f"第{chinese_number(number)}条", paragraph, item), match.start(), \
            article.end()


def parse_references(query: str, titles: list[str]) -> list[ArticleRef]:
    """Every reference in the query to an article of one of ``titles`` (in the order cited)."""
    return list(dict.fromkeys(ref for ref, _, _ in _references(query, titles)))


def without_references(query: str, titles: list[str]) -> str:
    """The query with its references cut out: what it asks besides naming articles.

    >>> without_references("《消防法》第16条规定了什么", ["中华人民共和国消防法"])
    '《规定了什么'
    """
    kept, last = [], 0
    for _, start, end in _references(query, titles):
        kept.append(query[last:start])
        last = end
    return "".join(kept) + query[last:]


class ArticleRows:
    """The rows of a (title, article): walked once for the rows in memory (FAISS + bm25s); a
    remote backend's rows are not walked: it names its titles and looks the articles up itself
    (``article_rows``)."""

    def __init__(self, rows: list[IndexRow]):
        self.rows = rows
        self._by_article: dict[tuple[str, str], list[int]] = {}
        for number, row in enumerate(rows if isinstance(rows, list) else []):
            if row.title and row.article:
                self._by_article.setdefault((row.title, row.article), []).append(number)
        self.titles = sorted({title for title, _ in self._by_article} | set(getattr(rows, "titles", ())))

    def __call__(self, title: str, article: str, allowed: np.ndarray | None = None) -> list[int]:
        if hasattr(self.rows, "article_rows"):
            return self.rows.article_rows(title, article, allowed)
        return [r for r in self._by_article.get((title, article), []) if allowed is None or allowed[r]]


@component
class ArticleReferenceLookup:
    """Puts the chunks of every cited article first, ahead of what the search found."""

    def __init__(self, rows: list[IndexRow], chunk_texts: ChunkTexts):
        self.chunk_texts = chunk_texts
        self.article_rows = ArticleRows(rows)
        self.titles = self.article_rows.titles

    def lookup(self, query: str, allowed: np.ndarray | None = None) -> list[int]:
        """The rows of the cited articles, the chunk holding a cited 项 first within its article."""
        rows: list[int] = []
        for ref in parse_references(query, self.titles):
            chunks = self.article_rows(ref.title, ref.article, allowed)
            if ref.item and len(chunks) > 1:
                marker = re.compile(rf"[（(]{chinese_number(ref.item)}[)）]")
                chunks.sort(key=lambda r, texts=dict(zip(chunks, self.chunk_texts(chunks))): not marker.search(texts[r]))
            rows += [r for r in chunks if r not in rows]
        return rows

    @component.output_types(hits=HitList)
    def run(self, query: str, hits: HitList, allowed: np.ndarray | None = None) -> dict:
        cited = self.lookup(query, allowed)
        if not cited:
            return {"hits": hits}
        top = max([score for _, score in hits[:1]] + [1.0])
        rest = tuple((row, score) for row, score in hits if row not in set(cited))
        return {"hits": HitList(tuple((row, top) for row in cited) + rest)}
