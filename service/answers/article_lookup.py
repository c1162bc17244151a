"""One article by its citation: a law's name (full, short or in 《》) and an article number
(第二十一条, 二十一 or 21) give the article's whole text with where it stands.

>>> find_article(kb.store, "安全生产法", "21").citation  # doctest: +SKIP
'《中华人民共和国安全生产法》第二十一条'
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from regkb.corpus.models import AUTHORITY_NAMES, Document
from regkb.corpus.numerals import chinese_number, numeral_value
from regkb.corpus.validity import Status, document_statuses, parse_as_of
from regkb.index.article_ref import parse_references
from regkb.service.validation import KnowledgeBaseError

_NUMBER = re.compile(r"^第?\s*([0-9０-９零〇一二两三四五六七八九十百千]+)\s*条?$")


class ArticleText(BaseModel):
    """An article's text and its citation (the article may span several chunks)."""

    law: str = Field(description="请求中的法规名称")
    title: str
    article: str = Field(description="第X条")
    citation: str = Field(description="引用格式，如《中华人民共和国安全生产法》第二十一条")
    text: str
    doc_id: str
    source: str
    authority: str | None = None
    authority_name: str | None = None
    region: str | None = None
    date: str | None = None
    section_path: list[str] = Field(default_factory=list)
    chunk_ids: list[str]


def article_number(number: str | int) -> str:
    """21 / "21" / "二十一" / "第二十一条" → 第二十一条."""
    found = _NUMBER.match(str(number).strip())
    value = numeral_value(found.group(1)) if found else None
    if value is None:
        raise KnowledgeBaseError(f"条号格式不正确：{str(number)[:20]}（例如 21、二十一 或 第二十一条）")
    if value < 1:
        raise KnowledgeBaseError("条号应从 1 开始")
    return f"第{chinese_number(value)}条"


def find_article(store, law: str, number: str | int) -> ArticleText:
    """The article ``number`` of the document cited as ``law``. Of several versions of that
    title, the one in force today (现行有效) answers; without it (or without the article
    there), the others, newest first."""
    article = article_number(number)
    name = law.strip().strip("《》")
    documents = [d for d in store.documents() if d.title]
    refs = parse_references(f"{name}{article}", sorted({d.title for d in documents}))
    if not name or not refs:
        raise KnowledgeBaseError(f"知识库中没有《{name[:60]}》（用 regkb documents 查看已导入的文档）")
    title = refs[0].title
    versions = sorted((d for d in documents if d.title == title), key=lambda d: d.date or "", reverse=True)
    statuses = document_statuses(versions, parse_as_of(None))
    versions.sort(key=lambda d: statuses[d.doc_id] is not Status.in_force)  # stable: newest first after it
    for document in versions:
        chunks = [c for c in store.chunks(document.doc_id) if c.article == article]
        if chunks:
            return _article_text(name, document, article, chunks)
    raise KnowledgeBaseError(f"《{title}》中没有{article}")


def _article_text(law: str, document: Document, article: str, chunks) -> ArticleText:
    return ArticleText(law=law, title=document.title, article=article, citation=f"《{document.title}》{article}",
                       text="\n".join(c.text for c in chunks), doc_id=document.doc_id, source=document.source,
                       authority=document.authority, authority_name=AUTHORITY_NAMES.get(document.authority or ""),
                       region=document.region, date=document.date, section_path=chunks[0].section_path,
                       chunk_ids=[c.chunk_id for c in chunks])
