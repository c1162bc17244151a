"""Disk trouble said in one Chinese line: a full disk, and a store that cannot be written.

The operating system reports these as ``OSError`` (``ENOSPC``, ``EROFS``, ``EACCES``…) and
SQLite as ``sqlite3.OperationalError`` ("database or disk is full", "attempt to write a
readonly database"); the user sees one sentence, with HTTP 507 or 403.

>>> import errno
>>> str(storage_error(OSError(errno.ENOSPC, "No space left on device")))
'磁盘空间不足，本次写入已撤销，知识库保持原样；请清理磁盘后重试'
>>> storage_error(ValueError("x")) is None
True
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from regkb.service.validation import KnowledgeBaseError

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_CANTOPEN = 13, 8, 14


class StorageFullError(KnowledgeBaseError):
    """The disk is full (HTTP 507 Insufficient Storage)."""

    status = 507


class ReadOnlyStoreError(KnowledgeBaseError):
    """The store's folder or files cannot be written (HTTP 403)."""

    status = 403


def storage_error(exc: BaseException) -> KnowledgeBaseError | None:
    """The user's error for a failed write, or None when ``exc`` is not disk trouble."""
    if isinstance(exc, KnowledgeBaseError):
        return exc
    code = None
    if isinstance(exc, sqlite3.OperationalError):
        primary = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        code = {_SQLITE_FULL: errno.ENOSPC, _SQLITE_READONLY: errno.EROFS, _SQLITE_CANTOPEN: errno.EACCES}.get(primary)
    elif isinstance(exc, OSError):
        code = exc.errno
    if code in _FULL:
        return StorageFullError("磁盘空间不足，本次写入已撤销，知识库保持原样；请清理磁盘后重试")
    if code in _READ_ONLY:
        return ReadOnlyStoreError("知识库目录是只读的，无法写入（导入、删除都不可用，检索照常）；请检查目录权限或挂载方式")
    return None


@contextmanager
def said_in_chinese() -> Iterator[None]:
    """Re-raise disk trouble inside the block as the user's error; anything else as it is."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        error = storage_error(exc)
        if error is None:
            raise
        raise error from exc
