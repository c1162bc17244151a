"""The knowledge base the HTTP service reads from, and how a write replaces it.

The service keeps one warmed *serving copy*: every lazily built part is loaded before it
serves, after which requests only read it, ``READERS`` at a time (the query model and FAISS
run outside the GIL, so two requests overlap on two cores). A write (ingest, delete) runs on
a second copy with its own connection, off to the side; when it has finished and its index
is built, the copy is warmed and swapped in; the old copy is closed when its last request
has finished. Until then the serving copy holds a SQLite read snapshot, so requests see the
old state whole, never half of a commit. Several worker processes stay in step through the index's
``CURRENT`` generation: a worker that finds it newer than its own loads the new state.

>>> serving = ServingKnowledgeBase(Settings(home=Path(".regkb")))  # doctest: +SKIP
>>> with serving.reading() as kb:  # doctest: +SKIP
...     kb.search("出了事故多久要上报", k=1).hits[0].article
'第十一条'
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from regkb.service.knowledge_base import KnowledgeBase
from regkb.service.settings import Settings
from regkb.service.validation import KnowledgeBaseError

WARM_QUERY = "安全生产责任"
GENERATION_CHECK_SECONDS = 1.0  # how often a worker looks for a newer index written by another one
READERS = max(2, os.cpu_count() or 1)  # requests served at once by one worker process


class WriterBusy(KnowledgeBaseError):
    """Another write is running and the caller chose not to wait (HTTP 409)."""


class ServingKnowledgeBase:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()  # guards the serving copy and its count of requests
        self._slots = threading.BoundedSemaphore(READERS)
        self._requests: dict[int, int] = {}  # id(copy) → requests using it
        self._write_lock = threading.Lock()  # one write at a time in this process
        self._reload_lock = threading.Lock()
        self._checked_at = 0.0
        self._current = self._warmed(KnowledgeBase.open(settings, create=True))

    # --- reads ----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[KnowledgeBase]:
        """The serving copy, for the length of one request."""
        self._follow_other_workers()
        with self._slots:
            with self._lock:
                kb = self._current
                self._requests[id(kb)] = self._requests.get(id(kb), 0) + 1
            try:
                yield kb
            finally:
                with self._lock:
                    left = self._requests.pop(id(kb)) - 1
                    if left:
                        self._requests[id(kb)] = left
                    retired = not left and kb is not self._current
                if retired:  # swapped out while this request used it
                    kb.store.close()

    @property
    def generation(self) -> int:
        with self._lock:
            return self._current.store.generation

    # --- writes ---------------------------------------------------------------------

    @contextmanager
    def writing(self, wait: bool = True) -> Iterator[KnowledgeBase]:
        """A fresh copy to write with; on success it is warmed and becomes the serving copy.

        Writers queue here and, through a lock file, across worker processes; with
        ``wait=False`` a busy writer raises ``WriterBusy`` instead.
        """
        if not self._write_lock.acquire(blocking=wait):
            raise WriterBusy("正在导入或删除文档，请稍后再试")
        try:
            with open(self.settings.home / ".write.lock", "w") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                yield from self._write_on_side_copy()
        finally:
            self._write_lock.release()

    def _write_on_side_copy(self) -> Iterator[KnowledgeBase]:
        kb = self._side_copy()
        try:
            yield kb
        except BaseException:
            kb.store.close()
            raise
        self._swap(self._warmed(kb))

    def _side_copy(self) -> KnowledgeBase:
        kb = KnowledgeBase.open(self.settings, create=True)
        with self._lock:  # the model and the segmenter are read-only once loaded: share them
            kb.share_models(self._current)
        return kb

    def _swap(self, kb: KnowledgeBase) -> None:
        with self._lock:
            old, self._current = self._current, kb
            in_use = id(old) in self._requests
        if not in_use:  # otherwise its last request closes it
            old.store.close()

    @staticmethod
    def _warmed(kb: KnowledgeBase) -> KnowledgeBase:
        """Load everything a request needs now, then pin the store's snapshot."""
        kb.search(WARM_QUERY, k=1)
        kb.duties(WARM_QUERY, k=1)
        kb.departments()
        for feature in (lambda: kb.ask(WARM_QUERY), lambda: kb.targets()):
            try:
                feature()
            except KnowledgeBaseError:  # a feature not built yet, or nothing to answer from
                pass
        if hasattr(kb.store, "hold_snapshot"):  # the local SQLite store; Milvus has no transactions to pin
            kb.store.hold_snapshot()
        return kb

    def _follow_other_workers(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < GENERATION_CHECK_SECONDS:
            return
        self._checked_at = now
        # this process's own write swaps its result in itself
        if self._write_lock.locked() or not self._behind():
            return
        if self._reload_lock.acquire(blocking=False):  # one reload at a time; readers keep the old copy
            threading.Thread(target=self._reload, daemon=True, name="regkb-reload").start()

    def _behind(self) -> bool:
        storage = self._current.index_storage  # where the index generations are published
        newest = storage.current_generation()
        return newest is not None and newest > self._current.index.manifest["generation"]

    def _reload(self) -> None:
        try:
            with self._write_lock:
                if self._behind():
                    self._swap(self._warmed(self._side_copy()))
        finally:
            self._reload_lock.release()

    def close(self) -> None:
        with self._lock:
            self._current.store.close()

