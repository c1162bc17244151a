"""Versions of a law in the store: their status on a day, and the articles that changed.

``regkb versions TITLE`` lists a law's versions with their status; ``regkb diff TITLE [OLD NEW]``
lines up the articles of two versions (by default the one in force and the one before it):
an article with the same text under another number is ``renumbered``, one whose text moved
on is ``changed`` (paired by shared wording), the rest are ``added`` or ``removed``.

>>> old = [("第一条", "为了加强安全生产监督管理，制定本条例。"), ("第二条", "本条例适用于本市。")]
>>> new = [("第一条", "为了加强安全生产工作，防止和减少生产安全事故，制定本条例。"), ("第二条", "安全生产工作坚持中国共产党的领导。"),
...        ("第三条", "本条例适用于本市。")]
>>> [(c.change, c.old_article, c.new_article) for c in align_articles(old, new)]
[('changed', '第一条', '第一条'), ('added', None, '第二条'), ('renumbered', '第二条', '第三条')]
"""

from __future__ import annotations

import re
import unicodedata

from regkb.corpus.models import Document
from regkb.corpus.store import Store
from regkb.corpus.validity import STATUS_NAMES, Status, document_statuses, versions_of
from regkb.index.restatements import bigrams
from regkb.service.schemas import (ArticleChange, DiffResponse, DocumentEntry, DocumentsResponse, VersionEntry,
                                   VersionsResponse)
from regkb.service.validation import KnowledgeBaseError

# Jaccard of character bigrams from which two articles of two versions count as one article changed
SAME_ARTICLE = 0.35
_LABEL = re.compile(r"^\s*第[一二三四五六七八九十百零〇]+条\s*")

Article = tuple[str, str]  # (第X条, text)


def _body(text: str) -> str:
    """An article's wording: no number, no spaces, full- and half-width punctuation alike."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _LABEL.sub("", text)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def align_articles(old: list[Article], new: list[Article]) -> list[ArticleChange]:
    """The differences between two versions' articles, in the new version's order, removed
    articles last; articles equal in number and text are left out."""
    paired: dict[int, int] = {}  # new position → old position
    by_body: dict[str, list[int]] = {}
    for position, (_, text) in enumerate(old):
        by_body.setdefault(_body(text), []).append(position)
    for position, (_, text) in enumerate(new):
        if by_body.get(_body(text)):
            paired[position] = by_body[_body(text)].pop(0)
    old_grams = [bigrams(text) for _, text in old]
    new_grams = [bigrams(text) for _, text in new]
    candidates = sorted(((_jaccard(new_grams[n], old_grams[o]), n, o)
                         for n in range(len(new)) if n not in paired
                         for o in range(len(old)) if o not in paired.values()), reverse=True)
    for similarity, n, o in candidates:
        if similarity < SAME_ARTICLE:
            break
        if n not in paired and o not in paired.values():
            paired[n] = o
    changes = []
    for n, (label, text) in enumerate(new):
        if n not in paired:
            changes.append(ArticleChange(change="added", new_article=label, new_text=text))
            continue
        old_label, old_text = old[paired[n]]
        if _body(old_text) != _body(text):
            changes.append(ArticleChange(change="changed", old_article=old_label, new_article=label,
                                         old_text=old_text, new_text=text))
        elif old_label != label:
            changes.append(ArticleChange(change="renumbered", old_article=old_label, new_article=label,
                                         old_text=old_text, new_text=text))
    kept = set(paired.values())
    changes += [ArticleChange(change="removed", old_article=label, old_text=text)
                for o, (label, text) in enumerate(old) if o not in kept]
    return changes


def document_articles(store: Store, doc_id: str) -> list[Article]:
    """A document's articles in order, each the text of its chunks joined."""
    articles: dict[str, list[str]] = {}
    for chunk in store.chunks(doc_id):
        if chunk.article:
            articles.setdefault(chunk.article, []).append(chunk.text)
    return [(label, "\n".join(parts)) for label, parts in articles.items()]


class VersionDesk:
    """Statuses of the store's documents on a day, a law's versions, and their differences.
    Built for one state of the store (the knowledge base builds a new desk after a change)."""

    def __init__(self, store: Store):
        self.store = store
        self._statuses: dict[str, dict[str, Status]] = {}

    def statuses(self, as_of: str) -> dict[str, Status]:
        if as_of not in self._statuses:
            self._statuses = {as_of: document_statuses(self.store.documents(), as_of)}  # one day kept at a time
        return self._statuses[as_of]

    def status_fields(self, doc_id: str, as_of: str) -> dict:
        """The document's ``status`` and ``status_name`` on the day (in force unless a version says otherwise)."""
        status = self.statuses(as_of).get(doc_id, Status.in_force)
        return {"status": status.value, "status_name": STATUS_NAMES[status]}

    def with_status(self, passages: list, as_of: str) -> list:
        """Citations or related passages (anything with a ``chunk_id``) with their document's status set."""
        for passage in passages:
            if passage.chunk_id:  # "{doc_id}:{seq}"
                fields = self.status_fields(passage.chunk_id.split(":")[0], as_of)
                passage.status, passage.status_name = fields["status"], fields["status_name"]
        return passages

    def documents(self, as_of: str) -> DocumentsResponse:
        """Every document in the store with its status on the day."""
        return DocumentsResponse(documents=[DocumentEntry(**d.model_dump(), **self.status_fields(d.doc_id, as_of))
                                            for d in self.store.documents()])

    def not_in_force(self, as_of: str) -> tuple[str, ...]:
        return tuple(sorted(d for d, s in self.statuses(as_of).items() if s is not Status.in_force))

    def replaced(self, as_of: str) -> frozenset[str]:
        """Documents a later version replaced (``amended``) on the day."""
        return frozenset(d for d, s in self.statuses(as_of).items() if s is Status.amended)

    def entry(self, document: Document, as_of: str) -> VersionEntry:
        return VersionEntry(doc_id=document.doc_id, source=document.source, title=document.title, date=document.date,
                            effective=document.effective, **self.status_fields(document.doc_id, as_of))

    def _versions(self, title: str) -> list[Document]:
        title = (title or "").strip().strip("《》")
        found = versions_of(self.store.documents(), title)
        if not found:
            raise KnowledgeBaseError(f"没有找到名为《{title}》的文档(用 regkb documents 查看已导入的文档)")
        return found

    def versions(self, title: str, as_of: str) -> VersionsResponse:
        found = self._versions(title)
        return VersionsResponse(title=found[-1].title or title, as_of=as_of,
                                versions=[self.entry(d, as_of) for d in found])

    def diff(self, title: str, as_of: str, old: str | None = None, new: str | None = None) -> DiffResponse:
        """``old`` and ``new`` name a version by doc_id, file name or date (a prefix: 2016);
        by default the version in force and the one before it."""
        found = self._versions(title)
        if len(found) < 2:
            raise KnowledgeBaseError(f"《{found[0].title}》在知识库中只有一个版本,无可比较")
        if (old is None) != (new is None):
            raise KnowledgeBaseError("请同时给出旧版本和新版本(doc_id、文件名或日期),或都不给")
        if old is None:
            statuses = self.statuses(as_of)
            current = next((i for i, d in reversed(list(enumerate(found))) if statuses.get(d.doc_id) is Status.in_force),
                           len(found) - 1)
            older, newer = found[max(current - 1, 0)], found[max(current, 1)]
        else:
            older, newer = self._pick(found, old), self._pick(found, new)
        new_articles = document_articles(self.store, newer.doc_id)
        articles = align_articles(document_articles(self.store, older.doc_id), new_articles)
        return DiffResponse(title=newer.title or title, old=self.entry(older, as_of), new=self.entry(newer, as_of),
                            articles=articles, unchanged=len(new_articles) - sum(c.change != "removed" for c in articles))

    @staticmethod
    def _pick(found: list[Document], wanted: str) -> Document:
        wanted = wanted.strip()
        match = [d for d in found if wanted in (d.doc_id, d.source)] or \
                [d for d in found if (d.date or "").startswith(wanted) or (d.effective or "").startswith(wanted)]
        if len(match) != 1:
            names = "、".join(f"{d.source}({d.date or '日期不详'})" for d in found)
            raise KnowledgeBaseError(f"无法确定版本「{wanted}」;可选:{names}")
        return match[0]
