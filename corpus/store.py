"""The SQLite store: documents, sections, chunks, duties, and the embedding cache.

One file, ``$REGKB_HOME/regkb.sqlite``. Every change of a document happens in one
transaction, so a crash leaves the previous state; the ``generation`` counter goes up
with each committed change and tells the on-disk indexes whether they are current.

>>> import tempfile
>>> store = Store(Path(tempfile.mkdtemp()) / "regkb.sqlite")
>>> document = Document(doc_id="d4", source="004_36275ac223ca7fcd.txt", content_hash="36275ac2", chunks=1)
>>> chunks = [Chunk(chunk_id="d4:00000", doc_id="d4", seq=0, text="到2025年，事故总量持续下降。")]
>>> with store.transaction():
...     store.put_document(document, [], chunks, [])
...     generation = store.bump_generation()
>>> [d.source for d in store.documents()], store.generation
(['004_36275ac223ca7fcd.txt'], 1)
>>> [c.text for c in store.chunks("d4")]
['到2025年，事故总量持续下降。']
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from regkb.corpus.models import Chunk, Document, Duty, Section, Target

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL,
    title TEXT, doc_type TEXT, issuer TEXT, doc_number TEXT, date TEXT, region TEXT, level TEXT,
    authority TEXT, chunks INTEGER NOT NULL DEFAULT 0, effective TEXT, repealed INTEGER
);
CREATE TABLE IF NOT EXISTS sections (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    heading TEXT NOT NULL, kind TEXT NOT NULL, depth INTEGER NOT NULL, path TEXT NOT NULL, parent_seq INTEGER,
    PRIMARY KEY (doc_id, seq)
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, text TEXT NOT NULL, section_path TEXT NOT NULL, article TEXT, page INTEGER,
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, seq);
CREATE TABLE IF NOT EXISTS duties (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    duty TEXT NOT NULL, PRIMARY KEY (doc_id, seq)
);
CREATE TABLE IF NOT EXISTS targets (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    target TEXT NOT NULL, PRIMARY KEY (doc_id, seq)
);
CREATE TABLE IF NOT EXISTS embedding_cache (
    model_id TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_hash)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_DOC_COLUMNS = ("doc_id", "source", "content_hash", "title", "doc_type", "issuer", "doc_number", "date",
                "region", "level", "authority", "chunks", "path", "effective", "repealed")


def _chunk(row: tuple) -> Chunk:
    return Chunk(chunk_id=row[0], doc_id=row[1], seq=row[2], text=row[3], section_path=json.loads(row[4]),
                 article=row[5], page=row[6], kind=row[7])


class StoreError(Exception):
    """A store that cannot be opened or used; the message is for the user."""


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.OperationalError as exc:
            if not self.path.is_file() or os.access(self.path.parent, os.W_OK) and os.access(self.path, os.W_OK):
                raise StoreError(f"无法打开知识库文件 {self.path}:{exc}") from exc
            self._db = self._read_only()  # a read-only folder or mount: reads still work, writes say why not
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"无法打开知识库文件 {self.path}:{exc}") from exc
        self._depth = 0

    def _read_only(self) -> sqlite3.Connection:
        """The store opened for reading only; ``immutable`` where SQLite cannot create the
        WAL's shared-memory file beside it (nothing can change the file there anyway)."""
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?{flags}", uri=True, isolation_level=None,
                                 check_same_thread=False)
            try:
                db.execute("SELECT count(*) FROM meta").fetchone()
                return db
            except sqlite3.OperationalError:
                db.close()
        raise StoreError(f"无法打开知识库文件 {self.path}(只读,且无法读取)")

    def _migrate(self) -> None:
        """Bring a store written by an earlier version up to this schema."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        if "path" not in columns:
            self._db.execute("ALTER TABLE documents ADD COLUMN path TEXT")
        if "authority" not in columns:
            self._db.execute("ALTER TABLE documents ADD COLUMN authority TEXT")
        # versions and validity: when a version takes effect, and whether it was repealed
        if "effective" not in columns:
            self._db.execute("ALTER TABLE documents ADD COLUMN effective TEXT")
        if "repealed" not in columns:
            self._db.execute("ALTER TABLE documents ADD COLUMN repealed INTEGER")

    def close(self) -> None:
        self._db.close()

    def hold_snapshot(self) -> None:
        """Keep reading the state committed now, whatever other connections commit later.

        A WAL read transaction: the HTTP service's serving copy holds one, so an ingest that
        commits from another connection stays invisible to it until the new copy is swapped in.
        """
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
            self._db.execute("SELECT count(*) FROM meta").fetchone()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing; nested uses join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    # --- meta -------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    def bump_generation(self) -> int:
        generation = self.generation + 1
        self.set_meta("generation", str(generation))
        return generation

    # --- documents ------------------------------------------------------------------

    def _document(self, row: tuple) -> Document:
        return Document(**dict(zip(_DOC_COLUMNS, row)))

    def documents(self) -> list[Document]:
        rows = self._db.execute(f"SELECT {', '.join(_DOC_COLUMNS)} FROM documents ORDER BY source").fetchall()
        return [self._document(row) for row in rows]

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute(f"SELECT {', '.join(_DOC_COLUMNS)} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return self._document(row) if row else None

    def document_by_source(self, source: str) -> Document | None:
        row = self._db.execute(f"SELECT {', '.join(_DOC_COLUMNS)} FROM documents WHERE source = ?", (source,)).fetchone()
        return self._document(row) if row else None

    def put_document(self, document: Document, sections: list[Section], chunks: list[Chunk], duties: list[Duty],
                     targets: list[Target] | None = None) -> None:
        """Insert a document with all its rows, replacing any earlier version of it."""
        with self.transaction():
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (document.doc_id,))
            values = document.model_dump(mode="json")
            self._db.execute(f"INSERT INTO documents({', '.join(_DOC_COLUMNS)}) VALUES ({', '.join('?' * len(_DOC_COLUMNS))})",
                             [values[c] for c in _DOC_COLUMNS])
            self._db.executemany(
                "INSERT INTO sections VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(document.doc_id, s.seq, s.heading, s.kind, s.depth, json.dumps(s.path, ensure_ascii=False), s.parent_seq)
                 for s in sections])
            self._db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.chunk_id, c.doc_id, c.seq, c.text, json.dumps(c.section_path, ensure_ascii=False), c.article, c.page, c.kind)
                 for c in chunks])
            self._db.executemany("INSERT INTO duties VALUES (?, ?, ?)",
                                 [(document.doc_id, i, d.model_dump_json()) for i, d in enumerate(duties)])
            self._db.executemany("INSERT INTO targets VALUES (?, ?, ?)",
                                 [(document.doc_id, i, t.model_dump_json()) for i, t in enumerate(targets or [])])

    def delete_document(self, doc_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    # --- chunks and duties ------------------------------------------------------------

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        query = "SELECT chunk_id, doc_id, seq, text, section_path, article, page, kind FROM chunks"
        args: tuple = ()
        if doc_id:
            query += " WHERE doc_id = ?"
            args = (doc_id,)
        return [_chunk(r) for r in self._db.execute(query + " ORDER BY doc_id, seq", args).fetchall()]

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        found: dict[str, Chunk] = {}
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            rows = self._db.execute(
                "SELECT chunk_id, doc_id, seq, text, section_path, article, page, kind FROM chunks "
                f"WHERE chunk_id IN ({', '.join('?' * len(part))})", part).fetchall()
            found.update((r[0], _chunk(r)) for r in rows)
        return found

    def sections(self, doc_id: str) -> list[Section]:
        rows = self._db.execute("SELECT seq, heading, kind, depth, path, parent_seq FROM sections WHERE doc_id = ? ORDER BY seq",
                                (doc_id,)).fetchall()
        return [Section(seq=r[0], heading=r[1], kind=r[2], depth=r[3], path=json.loads(r[4]), parent_seq=r[5]) for r in rows]

    def duties(self) -> list[Duty]:
        rows = self._db.execute("SELECT duty FROM duties ORDER BY doc_id, seq").fetchall()
        return [Duty.model_validate_json(r[0]) for r in rows]

    def targets(self) -> list[Target]:
        rows = self._db.execute("SELECT target FROM targets ORDER BY doc_id, seq").fetchall()
        return [Target.model_validate_json(r[0]) for r in rows]

    # --- embedding cache --------------------------------------------------------------

    def cached_vectors(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        hashes = list(hashes)
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            rows = self._db.execute(
                f"SELECT text_hash, vector FROM embedding_cache WHERE model_id = ? AND text_hash IN ({', '.join('?' * len(part))})",
                [model_id, *part]).fetchall()
            found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put_vectors(self, model_id: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        with self.transaction():
            self._db.executemany("INSERT OR REPLACE INTO embedding_cache VALUES (?, ?, ?)",
                                 [(model_id, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items])

    def all_vectors(self, batch: int = 1000) -> Iterator[list[tuple[str, str, np.ndarray]]]:
        """Every cached vector as (model_id, text_hash, vector), in batches (for a migration)."""
        cursor = self._db.execute("SELECT model_id, text_hash, vector FROM embedding_cache ORDER BY model_id, text_hash")
        while rows := cursor.fetchmany(batch):
            yield [(m, h, np.frombuffer(v, dtype=np.float32)) for m, h, v in rows]

    def prune_vectors(self, keep: set[str]) -> int:
        """Forget cached vectors of texts no chunk has any more (after a removal)."""
        rows = self._db.execute("SELECT DISTINCT text_hash FROM embedding_cache").fetchall()
        stale = [(h,) for (h,) in rows if h not in keep]
        with self.transaction():
            self._db.executemany("DELETE FROM embedding_cache WHERE text_hash = ?", stale)
        return len(stale)

    # --- the whole database as bytes (to publish it to, or load it from, elsewhere) ----

    def snapshot(self) -> bytes:
        return self._db.serialize()

    def restore(self, image: bytes) -> None:
        """Replace the database by a ``snapshot()`` image, brought up to this schema."""
        image = bytearray(image)
        image[18:20] = b"\x01\x01"  # the header's WAL flag: an in-memory database cannot open in WAL mode
        self._db.deserialize(bytes(image))
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)
        self._migrate()
