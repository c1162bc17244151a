"""Versions and validity (时效性): which text of a law applies on a given day.

Documents with the same title (``中华人民共和国`` aside) are versions of one law. A version
starts on its ``effective`` date (its 施行 date, else the date of the version). On a day
``as_of``: a repealed document is ``repealed``; a version that starts later is
``not_yet_effective``; of the versions already started, the latest is ``in_force`` and the
earlier ones are ``amended`` (a later version in the store replaced them).

>>> old = Document(doc_id="a", source="北京市安全生产条例.md", content_hash="", title="北京市安全生产条例",
...                date="2016-11-25")
>>> new = Document(doc_id="b", source="北京市安全生产条例(2022-05-25).md", content_hash="",
...                title="北京市安全生产条例", date="2022-05-25", effective="2022-08-01")
>>> {d: s.value for d, s in document_statuses([old, new], "2024-01-01").items()}
{'a': 'amended', 'b': 'in_force'}
>>> dict(sorted((d, s.value) for d, s in document_statuses([old, new], "2022-06-01").items()))
{'a': 'in_force', 'b': 'not_yet_effective'}
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from enum import Enum

from regkb.corpus.models import Document


class Status(str, Enum):
    in_force = "in_force"
    amended = "amended"
    not_yet_effective = "not_yet_effective"
    repealed = "repealed"


STATUS_NAMES = {Status.in_force: "现行有效", Status.amended: "已被修订", Status.not_yet_effective: "尚未生效",
                Status.repealed: "已废止"}

_TITLE_NOISE = re.compile(r"^中华人民共和国|\s+|[(（][^)）]*(?:修订|修正|草案)[^)）]*[)）]$")


def version_key(title: str | None) -> str:
    """What versions of one law share: the title without 中华人民共和国, spaces or a 修订 note."""
    return _TITLE_NOISE.sub("", title or "")


def starts(document: Document) -> str:
    """The day a version applies from ('' when unknown: the oldest)."""
    return document.effective or document.date or ""


def parse_as_of(value: str | None) -> str:
    """An ISO day (default: today); raises ``ValueError`` with a Chinese message."""
    if value is None or not str(value).strip():
        return dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueError(f"日期应写作 YYYY-MM-DD(例如 2019-01-01),收到:{value}") from None


def document_statuses(documents: Iterable[Document], as_of: str) -> dict[str, Status]:
    """Each document's status on ``as_of`` (ISO day)."""
    groups: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        groups[version_key(document.title) or document.doc_id].append(document)
    statuses: dict[str, Status] = {}
    for versions in groups.values():
        started = []
        for document in versions:
            if document.repealed:
                statuses[document.doc_id] = Status.repealed
            elif starts(document) > as_of:
                statuses[document.doc_id] = Status.not_yet_effective
            else:
                started.append(document)
        started.sort(key=lambda d: (starts(d), d.date or ""))
        for document in started[:-1]:
            statuses[document.doc_id] = Status.amended
        if started:
            statuses[started[-1].doc_id] = Status.in_force
    return statuses


def versions_of(documents: Iterable[Document], title: str) -> list[Document]:
    """The versions of the law called ``title`` (with or without 中华人民共和国), oldest first."""
    key = version_key(title)
    found = [d for d in documents if key and version_key(d.title) == key]
    return sorted(found, key=lambda d: (starts(d), d.date or ""))
