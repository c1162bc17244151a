"""The facade: one knowledge base in one folder, with the operations the CLI and the
HTTP API expose. Both are thin layers over this class.

>>> kb = KnowledgeBase.open(Settings(home=Path(".regkb")))  # doctest: +SKIP
>>> kb.ingest([Path("../shared/corpus/laws")]).added  # doctest: +SKIP
14
>>> hit = kb.search("出了事故多久要上报", k=1).hits[0]  # doctest: +SKIP
>>> hit.title, hit.article  # doctest: +SKIP
('生产安全事故报告和调查处理条例', '第十一条')
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from regkb.corpus.departments import DepartmentRegistry
from regkb.corpus.models import DocumentMeta
from regkb.corpus.store import Store, StoreError
from regkb.index.backends.base import BackendKind, IndexStorage, SearchBackend
from regkb.index.embedders import Embedder, EmbedderPreload, load_embedder
from regkb.index.search_index import SearchFilters
from regkb.index.tokenizer import ChineseTokenizer
from regkb.corpus.validity import parse_as_of
from regkb.index.regions import Gazetteer, is_national
from regkb.index.restatements import fold_restatements, legal_standing, lift_national_sources, restates
from regkb.service.schemas import DocumentsResponse, IngestReport, LocalCopy, RemoveResponse, SearchHit, SearchResponse
from regkb.service.generation_cache import GenerationCache
from regkb.service.library.ingest import MODEL_KEY, REGISTRY_KEY, LibraryIngest
from regkb.service.settings import Settings
from regkb.service.validation import KnowledgeBaseError, validate_query

if TYPE_CHECKING:  # the desks are imported when first used: a command loads only its own
    from regkb.service.answers.desk import AnswerDesk
    from regkb.service.duties.desk import DutyDesk
    from regkb.service.exams.desk import ExamDesk
    from regkb.service.library.versions import VersionDesk
    from regkb.service.targets.desk import TargetDesk


@contextmanager
def index_rebuild_lock(home: Path) -> Iterator[None]:
    """Held while a process rebuilds the index of the store in ``home``; on a read-only store
    (no lock file can be written, nor an index) nothing is held."""
    try:
        handle = open(home / ".index.lock", "w")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class KnowledgeBase:
    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        self._embedder_preload: EmbedderPreload | None = None
        # the index, the retriever and every desk, built for the store's generation
        self._cache = GenerationCache(lambda: self.store.generation)

    @classmethod
    def open(cls, settings: Settings | None = None, create: bool = True) -> "KnowledgeBase":
        """Open the store in ``settings.home``; with ``create=False`` a missing store is an error."""
        settings = settings or Settings.from_env()
        if BackendKind.parse(settings.backend) is BackendKind.milvus:  # no state on local disk
            from regkb.index.backends.milvus_store import open_milvus_store

            try:
                return cls(settings, open_milvus_store(settings.milvus_address, settings.milvus_collection, create))
            except StoreError as exc:
                raise KnowledgeBaseError(str(exc)) from exc
        if not settings.store_path.exists():
            if not create:
                raise KnowledgeBaseError(f"知识库不存在:{settings.home}(请先运行 regkb ingest 导入文件,或设置 REGKB_HOME)")
            settings.home.mkdir(parents=True, exist_ok=True)
        try:
            return cls(settings, Store(settings.store_path))
        except StoreError as exc:
            raise KnowledgeBaseError(str(exc)) from exc

    # --- lazily loaded parts ----------------------------------------------------------

    @cached_property
    def tokenizer(self) -> ChineseTokenizer:
        return ChineseTokenizer()

    @cached_property
    def embedder(self) -> Embedder:
        preloaded = self._embedder_preload.result() if self._embedder_preload else None
        self._embedder_preload = None
        return preloaded or load_embedder(self.settings.embedder, self.settings.device)

    def share_models(self, other: "KnowledgeBase") -> None:
        """Use ``other``'s embedder and segmenter (read-only once loaded) instead of loading new
        ones: a side copy written to while ``other`` serves costs no second model in memory."""
        for name in ("embedder", "tokenizer"):
            self.__dict__[name] = getattr(other, name)  # what cached_property would have stored

    def take_embedder_preload(self, preload: EmbedderPreload) -> None:
        """Use the embedder ``preload`` is building for ``settings`` (``embedder`` waits for it)."""
        self._embedder_preload = preload

    @cached_property
    def index_storage(self) -> IndexStorage:
        """Where the backend keeps the index of each generation (and says which one it holds)."""
        return self.settings.index_storage()

    @property
    def index(self) -> SearchBackend:
        return self._cache.get("index", self._load_index)

    def _load_index(self) -> SearchBackend:
        if self.index_storage.current_generation() == self.store.generation:
            return self.index_storage.load()
        # Processes that open a stale index together (the workers of one server, a CLI beside it,
        # after an upgrade that changed the index format) rebuild it one at a time: two builds of
        # one generation replace each other's folder mid-way. The next finds it built and loads it.
        with index_rebuild_lock(self.settings.home):
            if self.index_storage.current_generation() == self.store.generation:
                return self.index_storage.load()
            return self.library_ingest.rebuild_index()

    def serve_index(self, index: SearchBackend) -> None:
        """Serve ``index``, built and saved for the store's current generation, from now on (what
        was built over the index it replaces is dropped)."""
        self.forget_built()
        self._cache.put("index", index)

    def forget_built(self) -> None:
        """Drop the index and every desk built so far: the next read loads them for the store as it is."""
        self._cache.clear()

    @property
    def retriever(self):
        """The query pipelines over ``index`` (the query embedder is attached on the first
        search that needs it); ``retriever.using(embedder)`` ranks with another one."""
        return self._cache.get("retriever", self._built_retriever)

    def _built_retriever(self):
        from regkb.index.question_memory import QuestionMemory
        from regkb.index.regions import is_national
        from regkb.index.retrieval import Retriever

        documents = self.store.documents()
        memory = QuestionMemory.load()
        if memory is not None and memory.meta.get("model") != self.embedding_model():
            memory = None  # remembered as another model embeds queries: its cosines would mean nothing here
        return Retriever(self.index, self._chunk_texts, self.tokenizer, None, self.settings.fusion,
                         [d.region for d in documents], [d.title for d in documents if is_national(d)], memory)

    def _chunk_texts(self, rows: list[int]) -> list[str]:
        index_rows = self.index.rows
        chunks = self.store.chunks_by_id([index_rows[row].chunk_id for row in rows])
        return [chunks[index_rows[row].chunk_id].text for row in rows]

    # --- ingest, removal and index upkeep (service/library/ingest.py) ----------------------

    @cached_property
    def library_ingest(self) -> LibraryIngest:
        return LibraryIngest(self)

    def ingest(self, paths: list[Path], overrides: DocumentMeta | None = None, force: bool = False,
               checkpoint: Callable[[int], None] | None = None) -> IngestReport:
        """Add new files, replace changed ones, skip unchanged ones (``force`` re-reads them too).

        ``checkpoint(files read so far)`` is called after each file, as passages are embedded
        and before the commit; an exception it raises abandons the ingest, nothing stored
        (vectors already embedded stay in the cache, where only a later ingest looks)."""
        return self.library_ingest.ingest(paths, overrides, force, checkpoint)

    def departments_registry(self) -> DepartmentRegistry:
        """Department names met so far, with their aliases (stored with the documents)."""
        stored = self.store.get_meta(REGISTRY_KEY)
        return DepartmentRegistry.from_dict(json.loads(stored)) if stored else DepartmentRegistry()

    # --- queries ----------------------------------------------------------------------

    def documents(self, as_of: str | None = None) -> DocumentsResponse:
        """Every document in the store with its status on ``as_of``."""
        return self.versions_desk.documents(self.as_of(as_of))

    # --- versions and validity (service/library/versions.py) -------------------------------------

    @property
    def versions_desk(self) -> VersionDesk:
        from regkb.service.library.versions import VersionDesk

        return self._cache.get("versions", lambda: VersionDesk(self.store))

    @staticmethod
    def as_of(value: str | None) -> str:
        """The day asked (ISO), today when none; a bad date is the user's error."""
        try:
            return parse_as_of(value)
        except ValueError as exc:
            raise KnowledgeBaseError(str(exc)) from exc

    def versions(self, title: str, as_of: str | None = None):
        """A law's versions in the store, oldest first, with their status on the day (``VersionsResponse``)."""
        return self.versions_desk.versions(title, self.as_of(as_of))

    def diff(self, title: str, old: str | None = None, new: str | None = None, as_of: str | None = None):
        """The articles changed, added, removed and renumbered between two versions (``DiffResponse``)."""
        return self.versions_desk.diff(title, self.as_of(as_of), old, new)

    def with_status(self, passages: list, as_of: str | None = None) -> list:
        """Citations or related passages (anything with a ``chunk_id``) with their document's status set."""
        return self.versions_desk.with_status(passages, self.as_of(as_of))

    def remove(self, doc_id: str) -> RemoveResponse:
        """Delete a document (by id or file name) and its vectors no other text uses."""
        return self.library_ingest.remove(doc_id)

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
               region: str | None = None, as_of: str | None = None) -> SearchResponse:
        """Hits for the query. ``filters`` exclude documents (``SearchFilters(region=…)`` keeps
        only that region's); ``region`` ranks instead: that place's documents and the national
        ones lead, other places' drop below them. Only the texts in force on ``as_of`` (default
        today) are searched; local articles that restate a hit are folded under it."""
        import dataclasses

        from regkb.index.retrieval import CANDIDATES, SearchMode

        query = validate_query(query)
        day = self.as_of(as_of)
        if not 1 <= k <= 200:
            raise KnowledgeBaseError("k 应在 1 到 200 之间")
        try:
            search_mode = SearchMode.parse(mode)
        except ValueError as exc:
            raise KnowledgeBaseError(str(exc)) from exc
        retriever, index = self.retriever, self.index
        if search_mode is not SearchMode.bm25 and retriever.embedder is None and index.rows:
            retriever.embedder = self._query_embedder()
        if not index.rows:
            return SearchResponse(query=query, mode=search_mode.value, hits=[])
        filters = filters or SearchFilters()
        if not filters.excluded_docs:  # the texts in force, unless the caller names what to leave out
            filters = dataclasses.replace(filters, excluded_docs=self.versions_desk.not_in_force(day))
        ranked = retriever.retrieve(query, max(k, CANDIDATES), search_mode, filters, region)
        asked = region or self.places.find(query)
        sources = self._national_sources(ranked, index.allowed(filters))
        ranked, yields = self._with_national_sources(ranked, sources, asked)
        hits = self.search_hits(ranked, day)
        return SearchResponse(query=query, mode=search_mode.value,
                              hits=self._fold_restatements(hits, asked, [row for row, _ in ranked], yields)[:k])

    def _national_sources(self, ranked: list[tuple[int, float]], allowed) -> dict[int, int]:
        """The ranked articles that restate a national one the filters allow (a local article, or a
        national one that repeats a text of higher standing): row → national row."""
        if allowed is not None and not isinstance(allowed, np.ndarray):  # a backend's filter expression
            return {}
        index_rows = self.index.rows
        restating = {row: index_rows[row].restates for row, _ in ranked if index_rows[row].restates}
        if not restating:  # none known (or a backend that keeps no such map)
            return {}
        rows_by_chunk = self.index.row_numbers(list(restating.values()))
        sources = {row: rows_by_chunk[chunk_id] for row, chunk_id in restating.items() if chunk_id in rows_by_chunk}
        return {row: source for row, source in sources.items() if allowed is None or allowed[source]}

    def _with_national_sources(self, ranked: list[tuple[int, float]], sources: dict[int, int],
                               asked: str | None) -> tuple[list[tuple[int, float]], dict[int, int]]:
        """Each local article that restates a national one (``sources``) lifts that national article
        (``index/restatements.py``: ``lift_national_sources``; the fold then shows the law with the
        local article under it, or beside it when its place is ``asked``). The new ranking, and the
        local rows that yield → their national row."""
        if not sources:
            return ranked, {}
        index_rows, places = self.index.rows, self.places
        texts = dict(zip(rows := sorted({*sources, *sources.values()}), self._chunk_texts(rows)))
        return lift_national_sources(ranked, sources, lambda local, law: restates(texts[local], texts[law]),
                                     lambda row: asked is not None and places.applies(index_rows[row].region, asked))

    def search_replaced(self, query: str, k: int = 10, as_of: str | None = None) -> SearchResponse:
        """Hits among the texts replaced by a later version on ``as_of`` only (to tell an outdated
        exam key from a wrong one)."""
        day = self.as_of(as_of)
        replaced = self.versions_desk.replaced(day)
        if not replaced:
            return SearchResponse(query=query, mode="hybrid", hits=[])
        others = tuple(d.doc_id for d in self.store.documents() if d.doc_id not in replaced)
        return self.search(query, k=k, filters=SearchFilters(excluded_docs=others), as_of=day)

    @property
    def places(self) -> Gazetteer:
        """The places of the store's documents (which one a question names, which ones apply to it)."""
        return self._cache.get("places", lambda: Gazetteer([d.region for d in self.store.documents()]))

    def _fold_restatements(self, hits: list[SearchHit], asked: str | None, rows: list[int],
                           yields: dict[int, int]) -> list[SearchHit]:
        """One hit per group of near-identical articles, under the one of the highest standing (the
        law before a regulation, a national text before a local one), and the second and
        later local articles that yield to one national article folded under it (``yields``, by index
        row; ``rows``: the hits'; see ``index/restatements.py``); with a place ``asked`` (given or named
        in the query), its articles and the national ones stay apart."""
        places = self.places
        national = [is_national(h) for h in hits]

        def stays_apart(position: int) -> bool:
            return asked is not None and (national[position] or places.applies(hits[position].region, asked))

        position = {row: i for i, row in enumerate(rows)}
        groups = fold_restatements([(i, h.score) for i, h in enumerate(hits)], [h.text for h in hits],
                                   [h.doc_id for h in hits], [legal_standing(h) for h in hits], stays_apart,
                                   {position[local]: position[law] for local, law in yields.items()})
        folded = []
        for group in groups:
            hit = hits[group.row].model_copy(update={"score": round(group.score, 6)})
            hit.local_copies = [LocalCopy(**hits[i].model_dump(include=set(LocalCopy.model_fields)))
                                for i, _ in group.copies]
            folded.append(hit)
        return folded

    def _query_embedder(self) -> Embedder:
        self.check_model()
        return self.embedder

    def embedding_model(self) -> str:
        """The model the store's vectors were made with ("" before the first ingest)."""
        return self.store.get_meta(MODEL_KEY) or ""

    def check_model(self) -> None:
        """Vectors of two models cannot be compared: the store remembers the one it was built with."""
        built_with = self.embedding_model()
        if built_with and built_with != self.embedder.model_id:
            raise KnowledgeBaseError(
                f"知识库是用向量模型 {built_with} 建立的,当前模型是 {self.embedder.model_id};"
                f"请换回原模型(REGKB_EMBEDDER),或运行 regkb reindex 用当前模型重建向量索引")

    def reindex(self) -> dict:
        """Embed everything with the configured model (cached vectors are reused) and rebuild the index."""
        return self.library_ingest.reindex()

    def search_hits(self, hits: list[tuple[int, float]], as_of: str | None = None) -> list[SearchHit]:
        """The hits of a ranked list of ``(index row, score)``, with their chunks, documents and status."""
        day, index_rows, versions = self.as_of(as_of), self.index.rows, self.versions_desk
        rows = [index_rows[row] for row, _ in hits]
        chunks = self.store.chunks_by_id([r.chunk_id for r in rows])
        documents = {doc_id: self.store.document(doc_id) for doc_id in {r.doc_id for r in rows}}
        result = []
        for (row, score), index_row in zip(hits, rows):
            chunk = chunks[index_row.chunk_id]
            document = documents[chunk.doc_id]
            result.append(SearchHit(chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, source=document.source,
                                    title=document.title, doc_type=document.doc_type, authority=document.authority,
                                    region=document.region, section_path=chunk.section_path,
                                    article=chunk.article, text=chunk.text, score=round(score, 6), page=chunk.page,
                                    **versions.status_fields(chunk.doc_id, day)))
        return result

    def article(self, law: str, number: str | int):
        """One article's whole text and citation, by law name and article number (``ArticleText``)."""
        from regkb.service.answers.article_lookup import find_article

        return find_article(self.store, law, number)

    # --- who owns what: duties and departments ---------------------------------------------

    @property
    def duty_desk(self) -> DutyDesk:
        from regkb.service.duties.desk import DutyDesk

        return self._cache.get("duties", lambda: DutyDesk(self.store, self.departments_registry(), self.tokenizer,
                                                          lambda: self.embedder, self.settings.index_storage()))

    def duties(self, query: str, k: int = 5):
        """Duties whose task matches the question, best first (``DutiesResponse``)."""
        return self.duty_desk.search(query, k)

    def department(self, name: str, region: str | None = None):
        """A department's tasks with its role in each, under any spelling; ``region`` picks
        one body when the name fits several regions' (``DepartmentResponse``)."""
        return self.duty_desk.department(name, region)

    def departments(self):
        """Every department with its task counts per role (``DepartmentsResponse``)."""
        return self.duty_desk.departments()

    def export_duties(self, path: Path):
        """Write every duty to an .xlsx or .csv file (``DutyExport``)."""
        return self.duty_desk.export(path)

    def refresh(self) -> bool:
        """For a long-running replica on the Milvus backend: take up what a writer published
        since (one keyed read when nothing changed). True when something was reloaded."""
        if getattr(self.store, "refresh", None) and self.store.refresh():  # only MilvusStore has one
            self.forget_built()
            return True
        return False

    def migrate(self, to: str = "milvus"):
        """Copy this local knowledge base to the Milvus of the settings, embedding nothing again
        (``MigrationReport``); see ``service/library/migration.py``."""
        from regkb.index.choices import MIGRATION_TARGETS
        from regkb.service.library.migration import migrate_to_milvus

        if to not in MIGRATION_TARGETS:
            raise KnowledgeBaseError(f"不能迁移到 {to}(可用:{'、'.join(MIGRATION_TARGETS)})")
        return migrate_to_milvus(self)

    # --- answers, targets and exams (each a package of its own in service/) ------------------

    @property
    def answer_desk(self) -> AnswerDesk:
        """Answers from this knowledge base's own search, duties, departments and targets."""
        from regkb.service.answers.desk import AnswerDesk
        from regkb.service.answers.writer import AnswerWriter

        return self._cache.get("answers", lambda: AnswerDesk(self, writer=AnswerWriter.from_settings(self.settings)))

    @property
    def target_desk(self) -> TargetDesk:
        from regkb.service.targets.desk import TargetDesk

        return self._cache.get("targets", lambda: TargetDesk(self.store))

    def exam_desk(self, as_of: str | None = None) -> ExamDesk:
        """The exam desk of the texts in force on ``as_of`` (one day's desk kept at a time)."""
        from regkb.service.exams.desk import ExamDesk

        day = self.as_of(as_of)

        def build() -> ExamDesk:
            replaced = partial(self.search_replaced, as_of=day) if self.versions_desk.replaced(day) else None
            return ExamDesk(self.store, self.departments_registry(), partial(self.search, as_of=day), replaced,
                            frozenset(self.versions_desk.not_in_force(day)), day)

        return self._cache.get("exams", build, variant=day)

    def ask(self, question: str, region: str | None = None, as_of: str | None = None):
        """An extractive, cited answer from the texts in force on ``as_of``, or an abstention (``AskResponse``)."""
        day = self.as_of(as_of)
        answer = self.answer_desk.ask(question, region, as_of=day)
        self.with_status(answer.citations, day)
        self.with_status(answer.related, day)
        return answer

    def targets(self, region: str | None = None, indicator: str | None = None, compare: str | None = None):
        """Plan targets, filtered, or one indicator lined up across regions (``TargetsResponse``)."""
        return self.target_desk.targets(region, indicator, compare)

    def export_targets(self, path: Path):
        """Write every target to an .xlsx or .csv file (``TargetExport``)."""
        return self.target_desk.export(path)

    def exam(self, count: int = 20, types: list[str] | None = None, source: str | None = None,
             topic: str | None = None, seed: int = 0, out: Path | None = None, as_of: str | None = None):
        """A paper of grounded questions on the texts in force on ``as_of`` (``ExamResponse``); with
        ``out`` also written to a .docx paper, an .xlsx bank or a .json file."""
        desk = self.exam_desk(as_of)
        paper = desk.paper(count=count, types=types, source=source, topic=topic, seed=seed)
        return desk.export(paper, Path(out)) if out else paper

    def check_exam(self, path: Path, report: bool = True, as_of: str | None = None):
        """Each question of an existing bank checked against the articles in force on ``as_of``
        (``ExamCheckResponse``); ``report`` writes an xlsx report beside the bank."""
        return self.exam_desk(as_of).check_bank(Path(path), report=report)

    def solve(self, stem: str, options: list[str] | None = None, kind: str | None = None):
        """One question answered from the articles (``ExamSolveResponse``); ``kind`` (judge,
        single, multi, blank) is guessed from the stem and options when None."""
        return self.exam_desk().solve(stem, options or [], kind)

    # --- what the HTTP service reads (one block): the store's state, a chunk in context, a follow-up

    @property
    def generation(self) -> int:
        """The store's generation: it grows with every committed write."""
        return self.store.generation

    def document_count(self) -> int:
        return len(self.store.documents())

    def has_document(self, name: str) -> bool:
        """Whether a document of this id or source file name is stored."""
        return self.store.document(name) is not None or self.store.document_by_source(name) is not None

    def chunk_context(self, chunk_id: str, around: int = 1):
        """A chunk with ``around`` chunks of its document before and after it (``ChunkContext``)."""
        from regkb.service.schemas import ChunkContext
        from regkb.service.validation import MAX_NAME_CHARS, NotFoundError

        found = self.store.chunks_by_id([chunk_id]).get(chunk_id)
        if found is None:
            raise NotFoundError(f"没有这个文本块：{chunk_id[:MAX_NAME_CHARS]}")
        document = self.store.document(found.doc_id)
        siblings = self.store.chunks(found.doc_id)
        at = next(i for i, c in enumerate(siblings) if c.chunk_id == chunk_id)
        return ChunkContext(chunk_id=chunk_id, doc_id=found.doc_id, source=document.source, title=document.title,
                            section_path=found.section_path, article=found.article, text=found.text,
                            before=[c.text for c in siblings[max(0, at - around):at]],
                            after=[c.text for c in siblings[at + 1:at + 1 + around]])

    def read_conversation(self, questions: list[str]):
        """The user's questions in order, the last completed from the earlier ones when it is a
        follow-up, with the law titles and regions of the store as vocabulary (``ReadAs``)."""
        from regkb.service.answers.conversation import Vocabulary, read_conversation

        return read_conversation(questions, Vocabulary.of(self.store.documents()))
