"""Ingest orchestration and index upkeep: read files, chunk, embed, store, and keep the search
index in step with the store (``KnowledgeBase`` delegates ``ingest``, ``remove``, ``reindex``
and its index rebuild here).

An ingest that only adds documents appends them to the live index (their chunk and sentence
vectors, their BM25 rows, the national articles their local articles restate) instead of
rebuilding it: on a library of 15k chunks a rebuild reads and re-indexes everything for one
regulation. The result is the index a rebuild over the same documents would give, rows aside
(appended rows follow the live ones); a change it cannot append (a replaced or removed
document, a vector index that would change kind) rebuilds.

>>> ingest = LibraryIngest(kb)  # doctest: +SKIP
>>> ingest.ingest([Path("../shared/corpus/laws")]).added  # doctest: +SKIP
14
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from regkb.corpus.departments import DepartmentRegistry
from regkb.corpus.models import Chunk, Document, DocumentMeta, Duty, ParsedDocument, Target, doc_id_for, text_hash
from regkb.index.backends.base import SearchBackend
from regkb.index.chunker import StructureChunker
from regkb.index.regions import is_national
from regkb.index.restatements import higher_sources, legal_standing, national_sources
from regkb.index.search_index import IndexRow
from regkb.index.sentences import sentence_evidence
from regkb.index.vector_cache import cached_embeddings
from regkb.ingest.readers import SUPPORTED_SUFFIXES, IngestError, content_hash_of
from regkb.index.duty_search import sentence_texts
from regkb.service.schemas import IngestErrorItem, IngestReport, RemovedDocument, RemoveResponse
from regkb.service.storage_errors import said_in_chinese
from regkb.service.validation import KnowledgeBaseError

if TYPE_CHECKING:
    from regkb.service.knowledge_base import KnowledgeBase

REGISTRY_KEY = "departments"
MODEL_KEY = "embedding_model"


def indexed_text(title: str | None, chunk: Chunk) -> str:
    """What BM25 and the embedder see for a chunk: its text under its title and headings."""
    heading = " ".join(part for part in [title or "", *chunk.section_path] if part)
    return f"{heading}\n{chunk.text}" if heading else chunk.text


def chunk_sentence_evidence(chunks: list[Chunk], documents: dict[str, Document]) -> tuple[list[str], list[int]]:
    """The sentence texts of the chunks (in row order) and their rows; a sentence repeated word for
    word in several documents is embedded once, under the national document's title when one holds it."""
    titles = [documents[c.doc_id].title for c in chunks]
    precedence = [(not is_national(documents[c.doc_id]), title or "", c.doc_id) for c, title in zip(chunks, titles)]
    return sentence_evidence([(title, c.text) for c, title in zip(chunks, titles)], precedence)


def index_rows(chunks: list[Chunk], documents: dict[str, Document], sources: dict[int, int]) -> list[IndexRow]:
    """The index rows of ``chunks`` (``sources``: a row → the national row it restates)."""
    rows = []
    for row, c in enumerate(chunks):
        document = documents[c.doc_id]
        rows.append(IndexRow(chunk_id=c.chunk_id, doc_id=c.doc_id, source=document.source, doc_type=document.doc_type,
                             region=document.region, level=document.level, authority=document.authority,
                             title=document.title, article=c.article, section_path=c.section_path,
                             restates=chunks[sources[row]].chunk_id if row in sources else None))
    return rows


def restated(chunks: list[Chunk], documents: dict[str, Document], vectors: np.ndarray,
             locals_of: set[str] | None = None) -> dict[int, int]:
    """Local article → the national article it restates (rows of ``chunks``), for the local
    articles of the documents ``locals_of`` (all when None); when all, also a national article →
    the one of a text of higher standing that it repeats word for word (``higher_sources``; only
    an added national document changes those). Worked out in store order (document, then
    position), so that the rows' order (an appended index's) does not break a tie."""
    order = sorted(range(len(chunks)), key=lambda row: (chunks[row].doc_id, chunks[row].seq))
    national = [is_national(documents[chunks[row].doc_id]) for row in order]
    articles = [position for position, row in enumerate(order) if chunks[row].article]
    local = [p for p in articles if not national[p] and (locals_of is None or chunks[order[p]].doc_id in locals_of)]
    texts, ordered_vectors = [chunks[row].text for row in order], vectors[order]
    found = national_sources(texts, ordered_vectors, [p for p in articles if national[p]], local)
    if locals_of is None:
        found |= higher_sources(texts, ordered_vectors, {p: legal_standing(documents[chunks[order[p]].doc_id])
                                                         for p in articles if national[p]})
    return {order[a]: order[b] for a, b in found.items()}


def _progress(total: int, unit: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, disable=not enabled, leave=False, dynamic_ncols=True)


class LibraryIngest:
    """The writing side of one knowledge base (``kb``: its store, settings, embedder, index storage)."""

    def __init__(self, kb: "KnowledgeBase"):
        self.kb = kb

    @property
    def store(self):
        return self.kb.store

    # --- ingest -----------------------------------------------------------------------

    def ingest(self, paths: list[Path], overrides: DocumentMeta | None = None, force: bool = False,
               checkpoint: Callable[[int], None] | None = None) -> IngestReport:
        """See ``KnowledgeBase.ingest``."""
        started = time.perf_counter()
        report = IngestReport()
        files = self._expand(paths, report)
        parsed: list[tuple[ParsedDocument, Path, bool]] = []  # (document, file, replaces an older version)
        with _progress(len(files), "文件", self.kb.settings.show_progress) as bar:
            for read, path in enumerate(files, start=1):
                bar.set_description(path.name[:24])
                self._parse_one(path, overrides is not None or force, report, parsed, overrides)
                bar.update(1)
                if checkpoint:
                    checkpoint(read)
        if parsed:
            with said_in_chinese():
                self._store_parsed(parsed, report, lambda: checkpoint and checkpoint(len(files)))
        report.documents = len(self.store.documents())
        report.seconds = round(time.perf_counter() - started, 2)
        return report

    @staticmethod
    def _expand(paths: list[Path], report: IngestReport) -> list[Path]:
        files: list[Path] = []
        for path in map(Path, paths):
            if path.is_dir():
                found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                               and not p.name.startswith("."))
                if not found:
                    report.errors.append(IngestErrorItem(path=str(path), error=f"目录中没有可导入的文件(支持 {'、'.join(SUPPORTED_SUFFIXES)})"))
                files.extend(found)
            elif path.is_file():
                files.append(path)
            else:
                report.errors.append(IngestErrorItem(path=str(path), error="文件或目录不存在"))
        return files

    def _parse_one(self, path: Path, reread: bool, report: IngestReport, parsed: list[tuple[ParsedDocument, Path, bool]],
                   overrides: DocumentMeta | None) -> None:
        from regkb.ingest.pipeline import parse_file

        existing = self.store.document_by_source(path.name)
        try:
            if existing and existing.content_hash == content_hash_of(path.read_bytes()) and not reread:
                report.unchanged += 1
                return
            document = parse_file(path, overrides, self._pipeline)
        except IngestError as exc:
            report.errors.append(IngestErrorItem(path=str(path), error=str(exc)))
            return
        except Exception:  # a reader library failing on a malformed file; its English is for the log
            logging.getLogger("regkb.ingest").debug("cannot parse %s", path, exc_info=True)
            report.errors.append(IngestErrorItem(path=str(path), error=f"{path.name}:无法解析文件(文件已损坏,或内容与扩展名不符)"))
            return
        if not document.blocks:
            report.errors.append(IngestErrorItem(path=str(path), error=f"{path.name}:没有识别出正文内容"))
            return
        parsed.append((document, path, existing is not None))

    @cached_property
    def _pipeline(self):
        from regkb.ingest.pipeline import build_ingest_pipeline

        return build_ingest_pipeline()

    def _store_parsed(self, parsed: list[tuple[ParsedDocument, Path, bool]], report: IngestReport,
                      checkpoint: Callable[[], None]) -> None:
        chunker = StructureChunker(self.kb.settings.chunker)
        registry = self.kb.departments_registry()
        prepared = []
        for document, path, replaces in parsed:
            doc_id = doc_id_for(document.source)
            chunks = chunker.split(doc_id, document.blocks)
            duties = self.duties_of(document, doc_id, registry)
            targets = self.targets_of(document, doc_id)
            record = Document(doc_id=doc_id, source=document.source, content_hash=document.content_hash,
                              chunks=len(chunks), path=str(path.resolve()), **document.meta.model_dump())
            prepared.append((record, document, chunks, duties, targets))
            report.chunks += len(chunks)
            report.duties += len(duties)
            report.targets += len(targets)
            if replaces:
                report.updated += 1
            else:
                report.added += 1
        # Embed first (the cache commits as it goes), then write every document in one
        # transaction: a crash before the commit leaves the previous store untouched.
        texts = [indexed_text(record.title, chunk) for record, _, chunks, *_ in prepared for chunk in chunks]
        texts += sentence_texts([duty for *_, duties, _ in prepared for duty in duties])[0]
        texts += self._new_sentence_texts(prepared)
        if not self.store.documents():
            self.store.set_meta(MODEL_KEY, self.kb.embedder.model_id)  # an empty store takes any model
        self.kb.check_model()
        embedding_started = time.perf_counter()
        report.embedded = self._embed_missing(texts, checkpoint)
        checkpoint()
        report.embed_seconds = round(time.perf_counter() - embedding_started, 2)
        added = set() if report.updated else {record.doc_id for record, *_ in prepared}
        with self.committing(added):
            for record, document, chunks, duties, targets in prepared:
                self.store.put_document(record, document.sections, chunks, duties, targets)
            self.store.set_meta(REGISTRY_KEY, json.dumps(registry.to_dict(), ensure_ascii=False))

    def _new_sentence_texts(self, prepared: list) -> list[str]:
        """The sentence texts of the new chunks, each sentence said elsewhere in the store under the
        text chosen store-wide (already cached when another document holds it first)."""
        written = {record.doc_id: record for record, *_ in prepared}
        documents = {d.doc_id: d for d in self.store.documents() if d.doc_id not in written} | written
        kept = [c for c in self.store.chunks() if c.doc_id not in written]
        texts, rows = chunk_sentence_evidence(kept + [c for _, _, chunks, *_ in prepared for c in chunks], documents)
        return [text for text, row in zip(texts, rows) if row >= len(kept)]

    @staticmethod
    def duties_of(document: ParsedDocument, doc_id: str, registry: DepartmentRegistry) -> list[Duty]:
        """The document's duties (see ``regkb.ingest.pipeline.document_duties``)."""
        from regkb.ingest.pipeline import document_duties

        return document_duties(document, doc_id, registry)

    @staticmethod
    def targets_of(document: ParsedDocument, doc_id: str) -> list[Target]:
        """Quantified goals of a plan or opinion: indicator tables, 专栏 boxes and prose."""
        from regkb.ingest.targets import TargetExtractor

        meta = document.meta
        if meta.doc_type not in ("plan", "opinion", "division_of_labour", "notice", None):
            return []  # a law's numbers are rules and limits, not goals
        extractor = TargetExtractor(region=meta.region, level=meta.level, title=meta.title)
        return extractor.run(document.blocks, source=document.source, doc_id=doc_id)["targets"]

    def _embed_missing(self, texts: list[str], checkpoint: Callable[[], None] = lambda: None) -> int:
        """Embed the texts the cache lacks, with a progress bar; returns how many were embedded."""

        def advanced(count: int) -> None:
            bar.update(count)
            checkpoint()

        with _progress(len(texts), "块", self.kb.settings.show_progress) as bar:
            bar.set_description("向量化")
            _, embedded = cached_embeddings(self.store, self.kb.embedder, texts, progress=advanced)
        return embedded

    # --- removal and reindex ------------------------------------------------------------

    def remove(self, doc_id: str) -> RemoveResponse:
        document = self.store.document(doc_id) or self.store.document_by_source(doc_id)
        if document is None:
            raise KnowledgeBaseError(f"没有这个文档:{doc_id}(用 regkb documents 查看已导入的文档)")
        with self.committing():  # no index file mentions the document any more
            self.store.delete_document(document.doc_id)
            self._rebuild_registry()
        documents = {d.doc_id: d for d in self.store.documents()}
        keep = {text_hash(indexed_text(documents[c.doc_id].title, c)) for c in self.store.chunks()}
        keep |= {text_hash(t) for t in sentence_texts(self.store.duties())[0]}
        keep |= {text_hash(t) for t in chunk_sentence_evidence(self.store.chunks(), documents)[0]}
        try:
            self.store.prune_vectors(keep)
        except sqlite3.OperationalError:  # it only frees space; the removal has committed
            pass
        return RemoveResponse(removed=RemovedDocument(doc_id=document.doc_id, source=document.source, chunks=document.chunks))

    def _rebuild_registry(self) -> None:
        """After a removal: only departments that still have duties stay registered."""
        documents = {d.doc_id: d for d in self.store.documents()}
        registry = DepartmentRegistry()
        for duty in self.store.duties():
            document = documents[duty.doc_id]
            registry.add_all(duty.lead + duty.responsible + duty.cooperating, document.level, document.region)
        self.store.set_meta(REGISTRY_KEY, json.dumps(registry.to_dict(), ensure_ascii=False))

    def reindex(self) -> dict:
        """See ``KnowledgeBase.reindex``."""
        kb = self.kb
        with self.store.transaction():
            self.store.set_meta(MODEL_KEY, kb.embedder.model_id)
            self.store.bump_generation()
        kb.forget_built()
        texts = [indexed_text(d.title, c) for d in self.store.documents() for c in self.store.chunks(d.doc_id)]
        texts += chunk_sentence_evidence(self.store.chunks(), {d.doc_id: d for d in self.store.documents()})[0]
        embedded = self._embed_missing(texts + sentence_texts(self.store.duties())[0])
        return {"model_id": kb.embedder.model_id, "chunks": len(kb.index.rows), "embedded": embedded}

    # --- index ------------------------------------------------------------------------

    @contextmanager
    def committing(self, added: set[str] = frozenset()) -> Iterator[None]:
        """One change of the store and its index, committed as one unit: the new generation's
        index is written before the store commits, and if that or the commit fails (a full
        disk), the transaction rolls back and the previous index is live again. ``added``: the
        documents the change only adds (none replaced), which the live index can take by appending."""
        kb = self.kb
        try:
            with said_in_chinese(), self.store.transaction():
                yield
                previous = self.store.generation
                self.store.bump_generation()
                kb.forget_built()
                appended = self._appended_index(previous, added) if added else None
                # the index is built and saved here, inside the transaction
                kb.serve_index(appended or self.rebuild_index())
        except BaseException:
            kb.forget_built()
            kb.index_storage.restore(self.store.generation)
            raise

    def rebuild_index(self) -> SearchBackend:
        """The index of everything in the store, from the embedding cache."""
        documents = {d.doc_id: d for d in self.store.documents()}
        chunks = self.store.chunks()
        texts = [indexed_text(documents[c.doc_id].title, c) for c in chunks]
        if texts:
            self.kb.check_model()
        embed = self._cached_embed  # embeds only after a crash mid-way; otherwise all come from the cache
        sources = restated(chunks, documents, embed(texts)) if texts else {}
        return self.kb.index_storage.build(index_rows(chunks, documents, sources), texts, self.kb.tokenizer.tokenize,
                                            embed, model_id=self.kb.embedder.model_id if texts else "",
                                            generation=self.store.generation,
                                            sentences=chunk_sentence_evidence(chunks, documents))

    def _cached_embed(self, texts: list[str]) -> np.ndarray:
        return cached_embeddings(self.store, self.kb.embedder, texts)[0]

    def _appended_index(self, previous: int, added: set[str]) -> SearchBackend | None:
        """The live index (of generation ``previous``) with the ``added`` documents' chunks appended,
        saved as the store's new generation; None when it cannot be appended to."""
        storage = self.kb.index_storage
        if not hasattr(storage, "append") or storage.current_generation() != previous:
            return None  # a backend that keeps no appendable files, or a live index behind the store
        live = storage.load()
        if not live.rows or any(row.doc_id in added for row in live.rows):  # nothing to add to, or a document replaced
            return None
        documents = {d.doc_id: d for d in self.store.documents()}
        stored = {c.chunk_id: c for c in self.store.chunks()}
        old = [stored.get(row.chunk_id) for row in live.rows]
        new = [c for c in stored.values() if c.doc_id in added]
        if None in old or len(old) + len(new) != len(stored):
            return None
        chunks = old + new
        texts = [indexed_text(documents[c.doc_id].title, c) for c in chunks]
        sentences, sentence_rows = chunk_sentence_evidence(chunks, documents)
        before = chunk_sentence_evidence(old, documents)[0]
        # a sentence the new documents share with an indexed one may now be embedded under a new title
        moved = [number for number, (now, then) in enumerate(zip(sentences, before)) if now != then]
        self.kb.check_model()
        vectors = np.concatenate([live.chunk_vectors(), self._cached_embed(texts[len(old):])])
        if any(is_national(documents[doc_id]) for doc_id in added):  # old local articles may restate it
            sources = restated(chunks, documents, vectors)
        else:
            by_chunk = {c.chunk_id: row for row, c in enumerate(chunks)}
            sources = {row: by_chunk[r.restates] for row, r in enumerate(live.rows) if r.restates in by_chunk}
            sources |= restated(chunks, documents, vectors, added)
        return storage.append(live, index_rows(chunks, documents, sources), texts, self.kb.tokenizer.tokenize,
                              vectors[len(old):], self._cached_embed, generation=self.store.generation,
                              sentences=(sentences[len(before):], sentence_rows[len(before):]),
                              moved=(moved, [sentences[number] for number in moved]))
