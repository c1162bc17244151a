"""``regkb migrate --to milvus``: copy a local knowledge base (SQLite + FAISS + bm25s) to the
Milvus backend without embedding anything again.

The documents, sections, chunks, duties and meta rows go over as the store's database image;
the cached vectors (chunks', duties' and sentences') go to the Milvus embedding cache; then
the chunks and sentences collections are built from them. Texts whose vector the cache
lacks (none, unless the cache was damaged) are embedded and counted in ``embedded``.

>>> report = migrate_to_milvus(KnowledgeBase.open(Settings(home=Path(".regkb"))))  # doctest: +SKIP
>>> report.embedded  # doctest: +SKIP
0
"""

from __future__ import annotations

import dataclasses
import time

from pydantic import BaseModel

from regkb.corpus.models import text_hash
from regkb.index.choices import BackendKind
from regkb.service.validation import KnowledgeBaseError


class MigrationReport(BaseModel):
    to: str
    uri: str
    collection: str
    documents: int
    chunks: int
    duties: int
    vectors: int  # cached vectors copied
    sentences: int  # sentence vectors of multi-sentence chunks put in the sentences collection
    embedded: int  # chunk and sentence texts embedded because the cache lacked them
    seconds: float


def migrate_to_milvus(source) -> MigrationReport:
    """``source`` is a ``KnowledgeBase`` on the local store; the target is its settings' Milvus."""
    from regkb.index.backends.milvus_store import open_milvus_store
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.library.ingest import chunk_sentence_evidence, indexed_text

    started = time.perf_counter()
    settings = dataclasses.replace(source.settings, backend=BackendKind.milvus.value)
    target_store = open_milvus_store(settings.milvus_address, settings.milvus_collection, create=True)
    if target_store.documents():
        raise KnowledgeBaseError(f"Milvus 中的知识库 {settings.milvus_collection} 已有 {len(target_store.documents())} 篇文档;"
                                 f"请换一个 REGKB_MILVUS_COLLECTION,或先在那里删除这些文档")
    vectors = 0
    for batch in source.store.all_vectors():
        for model_id in dict.fromkeys(m for m, _, _ in batch):
            target_store.put_vectors(model_id, [(h, v) for m, h, v in batch if m == model_id])
        vectors += len(batch)
    target_store.adopt(source.store.snapshot())
    target = KnowledgeBase(settings, target_store)
    documents = {d.doc_id: d for d in target_store.documents()}
    chunks = target_store.chunks()
    sentence_texts = chunk_sentence_evidence(chunks, documents)[0]
    hashes = [text_hash(t) for t in [indexed_text(documents[c.doc_id].title, c) for c in chunks] + sentence_texts]
    model_id = target.embedding_model()
    missing = len(set(hashes) - set(target_store.cached_vectors(model_id, hashes))) if chunks else 0
    index = target.index  # builds the chunks and sentences collections from the cache
    return MigrationReport(to=BackendKind.milvus.value, uri=settings.milvus_address, collection=settings.milvus_collection,
                           documents=len(documents), chunks=len(chunks), duties=len(target_store.duties()),
                           vectors=vectors, sentences=index.manifest.get("sentences", 0), embedded=missing,
                           seconds=round(time.perf_counter() - started, 2))
