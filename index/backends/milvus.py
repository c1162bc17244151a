"""The Milvus backend: the index rows of one knowledge base in a Milvus collection, searched
there with the filters pushed down.

One knowledge base is a collection-name prefix (``REGKB_MILVUS_COLLECTION``, default ``regkb``):

- ``<prefix>_chunks``: one entity per indexed chunk. ``pk`` (INT64, derived from the
  chunk's id, indexed text, metadata and model, so an unchanged chunk keeps its entity and a
  rebuild only writes what changed), the filterable scalars (``doc_type``, ``region``,
  ``level``, ``source``, ``authority``), ``chunk_id``/``doc_id``, ``title``/``article``/
  ``section_path`` (JSON; cited-article look-up, the legal prior), ``tokens`` (our jieba
  tokens as codes, kept to re-weight and to count), ``sparse`` (the chunk's BM25 term
  weights, ``SPARSE_INVERTED_INDEX``, inner product) and ``dense`` (the embedding, IVF_FLAT,
  inner product).
- ``<prefix>_sentences``: one entity per sentence of a multi-sentence chunk
  (``index/sentences.py``): ``pk``, ``chunk`` (the chunk entity's ``pk``), the filter scalars
  again (Milvus has no joins, so filters push down here too) and ``dense`` (IVF_FLAT, IP).
  Sentence entities are written and deleted with their chunk's.
- ``<prefix>_state``: small rows by key: ``index`` (the generation and manifest of the
  chunks collection), ``df:<code>`` (the vocabulary: document frequency and sparse
  dimension of each term), and the store's image (see ``milvus_store``).
- ``<prefix>_vectors_<dim>``: the embedding cache (see ``milvus_store``).
- ``<prefix>_duties``, ``<prefix>_duty_sentences``: the duty search (see ``milvus_duties``).

Keyword search: sparse vectors from our own jieba tokens (domain dictionary, stopwords,
search-mode sub-words), weighted so that the inner product is bm25s's score exactly. Milvus's
own BM25 function was measured first (our tokens as ASCII words through its ``standard``
analyser; its analysers are ``standard`` and ``jieba`` only, without our dictionary): its
scores were 1-5 % off bm25s's for the same tokens (even on a 4-document toy collection: it
stores document lengths lossily), which reordered the BM25 top 5 of 22 of 60 eval
questions and cost 0.02 hit@5 in bm25 mode (eval/RESULTS.md, "Milvus backend").

>>> storage = MilvusIndexStorage(connect("./milvus.db"), "regkb")  # doctest: +SKIP
>>> index = storage.load()  # doctest: +SKIP
>>> index.bm25.search(["尾矿库"], 5, index.allowed(SearchFilters(region="辽宁")))  # doctest: +SKIP
[(4821077, 9.1...), ...]
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from regkb.corpus.store import StoreError
from regkb.index.backends.base import Embed, Hits, Sentences, Tokenize
from regkb.index.duty_search import DutyTexts
from regkb.index.search_index import IndexRow, SearchFilters

FILTER_FIELDS = ("doc_type", "region", "level", "source", "authority")
ROW_FIELDS = ("chunk_id", "doc_id", *FILTER_FIELDS, "title", "article", "section_path")  # section_path: JSON
# Bumped with the collections' layout (2: row titles, articles and section paths, the sentences
# collection); a build finds an older layout, drops it and writes everything again.
FORMAT = 2
# IVF_FLAT, chosen by the 100k rows of the scale run (eval/RESULTS.md, "Milvus backend"):
# in Milvus Lite an HNSW index searched as an exact scan (recall 1.000 at ef=16, p50 895 ms),
# IVF_FLAT reached recall@10 0.976 at nprobe 16 with p50 127 ms; on the same data FAISS's IVF
# also beat its HNSW (recall 0.996 vs 0.968, build 26 s vs 98 s). Milvus trains IVF per
# segment; nlist is fixed when the collection is made, so below ~39 rows per list (where IVF
# cannot be trained well, as in index/ann.py) every list is probed: an exact search.
DENSE_INDEX = {"index_type": "IVF_FLAT", "metric_type": "IP", "params": {"nlist": 1024}}
DENSE_NPROBE = 16
IVF_ROWS_PER_LIST = 39
WRITE_BATCH = 500  # entities per insert/upsert/get call (well under gRPC's message limit)
MAX_TOKENS = 4000  # a VARCHAR holds 65,535 bytes; a code and its space take 17
BM25_K1, BM25_B = 1.2, 0.75  # bm25s's defaults (index/bm25.py)
AVGDL_SAMPLE = 5_000
REWEIGHT_DRIFT = 0.01
LITE_LOCK_WAIT_SECONDS = 5.0  # a second process waits this long for Milvus Lite's lock
_ROWS_REMEMBERED = 100_000  # the row cache of a long-running replica is cleared beyond this


@functools.cache
def connect(uri: str):
    """One client per database and process: Milvus Lite starts its server once per file."""
    from pymilvus import MilvusClient

    # pymilvus and Milvus Lite log warnings, failed calls and tracebacks on stderr; our errors
    # say what failed, in Chinese
    for name in ("pymilvus", "milvus_lite"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if "://" not in uri:  # a Milvus Lite file
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        wait_for_lite_lock(Path(uri))
    return MilvusClient(uri)


def wait_for_lite_lock(database: Path, seconds: float = LITE_LOCK_WAIT_SECONDS) -> None:
    """Milvus Lite lets one process at a time open a database (a ``flock`` on its ``LOCK``
    file): wait ``seconds`` for another holder to let go, then say who holds it."""
    lock = database / "LOCK"
    if not lock.is_file():
        return
    deadline = time.monotonic() + seconds
    with open(lock, "rb") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(_busy_message(database, lock_holder(lock))) from None
                time.sleep(0.2)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)  # free: Milvus Lite takes it itself
            return


def lock_holder(path: Path) -> int | None:
    """The process holding a lock on ``path``, from the kernel's table (Linux), or None."""
    inode = str(path.stat().st_ino)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.replace("->", "").split()
        for at, field in enumerate(fields):  # "... WRITE <pid> <major>:<minor>:<inode> ..."
            if field.count(":") == 2 and field.rsplit(":", 1)[1] == inode and fields[at - 1].isdigit():
                return int(fields[at - 1])
    return None


def _busy_message(database: Path, pid: int | None) -> str:
    who = "另一个进程"
    if pid is not None:
        try:
            command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split())
        except OSError:
            command = ""
        who = f"进程 {pid}" + (f"（{command[:80]}）" if command else "")
    return (f"Milvus Lite 数据库 {database} 正被{who}占用，Milvus Lite 同一时间只允许一个进程打开它；"
            f"请只让一个 regkb 进程使用它（例如只运行 regkb serve，通过其 HTTP 接口检索），"
            f"或改用 Milvus 服务器（REGKB_MILVUS_URI=http://主机:19530）")


def open_collection(client, name: str) -> bool:
    """Whether the collection exists, loaded for reading (Milvus Lite reopens a file's
    collections released; loading a loaded one costs about a millisecond)."""
    if not client.has_collection(name):
        return False
    client.load_collection(name)
    return True


def token_code(token: str) -> str:
    """A token as an ASCII word (60-bit hash) that Milvus's ``standard`` tokenizer keeps whole."""
    return "t" + hashlib.blake2b(token.encode("utf-8"), digest_size=8).hexdigest()[:15]


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def filter_expression(filters: SearchFilters | None) -> str | None:
    """The filters as a Milvus boolean expression (None when nothing is filtered)."""
    if filters is None or not filters.active():
        return None
    parts = [f'{name} == "{_quoted(getattr(filters, name))}"' for name in ("doc_type", "level", "source", "authority")
             if getattr(filters, name)]
    if filters.region:  # 辽宁 matches 辽宁省, as in the default backend
        parts.append(f'region like "%{_quoted(filters.region)}%"')
    if filters.excluded_docs:
        excluded = ", ".join(f'"{_quoted(doc_id)}"' for doc_id in filters.excluded_docs)
        parts.append(f"doc_id not in [{excluded}]")
    return " and ".join(parts)


def row_entity(row: IndexRow) -> dict:
    """An ``IndexRow`` as the chunks collection's scalar fields."""
    return {**{name: getattr(row, name) or "" for name in ROW_FIELDS[:-1]},
            "section_path": json.dumps(row.section_path, ensure_ascii=False)}


def entity_row(entity: dict) -> IndexRow:
    return IndexRow(**{name: entity.get(name) or None for name in ROW_FIELDS[:-1]},
                    section_path=json.loads(entity.get("section_path") or "[]"))


def row_key(row: IndexRow, text: str, model_id: str) -> int:
    """The entity's primary key: any change of text, metadata or model makes a new entity."""
    payload = json.dumps([row.__dict__, text, model_id], ensure_ascii=False, sort_keys=True)
    return int.from_bytes(hashlib.blake2b(payload.encode("utf-8"), digest_size=8).digest()) >> 1


class StateTable:
    """Small keyed rows (``key``, ``gen``, ``seq``, ``data``) in ``<prefix>_state``."""

    def __init__(self, client, name: str):
        self.client = client
        self.name = name
        self._ready = False

    def ready(self) -> bool:
        self._ready = self._ready or open_collection(self.client, self.name)
        return self._ready

    def ensure(self) -> None:
        from pymilvus import DataType

        if self.ready():
            return
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=128)
        schema.add_field("gen", DataType.INT64)
        schema.add_field("seq", DataType.INT64)
        schema.add_field("data", DataType.VARCHAR, max_length=65535)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
        index = self.client.prepare_index_params()
        index.add_index("unused", index_type="FLAT", metric_type="L2")
        self.client.create_collection(self.name, schema=schema, index_params=index, consistency_level="Strong")
        self._ready = True

    def get(self, key: str) -> dict | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str], fields: tuple[str, ...] = ("gen", "seq", "data")) -> dict[str, dict]:
        found: dict[str, dict] = {}
        if not self.ready():
            return found
        for start in range(0, len(keys), WRITE_BATCH):
            for row in self.client.get(self.name, ids=keys[start : start + WRITE_BATCH], output_fields=list(fields)):
                found[row["key"]] = row
        return found

    def put(self, rows: list[dict]) -> None:
        self.ensure()
        batch: list[dict] = []
        size = 0
        for row in rows:  # calls of at most ~4 MB: a row holds up to 64 KB, a df row a few bytes
            batch.append({**row, "unused": [0.0, 0.0]})
            size += len(row["data"]) + 100
            if size > 4_000_000 or len(batch) >= 10 * WRITE_BATCH:
                self.client.upsert(self.name, batch)
                batch, size = [], 0
        if batch:
            self.client.upsert(self.name, batch)

    def query(self, expression: str, fields: list[str]) -> list[dict]:
        if not self.ready():
            return []
        iterator = self.client.query_iterator(self.name, batch_size=100, filter=expression, output_fields=fields)
        rows: list[dict] = []
        while batch := iterator.next():
            rows.extend(batch)
        iterator.close()
        return rows

    def delete(self, expression: str) -> None:
        if self.ready():
            self.client.delete(self.name, filter=expression)

    def delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), WRITE_BATCH):
            self.client.delete(self.name, ids=keys[start : start + WRITE_BATCH])


class MilvusRows:
    """Row id → ``IndexRow``. Search results bring their rows along; others are fetched."""

    fields = ROW_FIELDS  # what a search brings along

    def __init__(self, client, collection: str, count: int, titles: list[str] = ()):
        self.client = client
        self.collection = collection
        self.count = count
        self.titles = list(titles)  # the titles of documents with numbered articles, for citations
        self._known: dict[int, IndexRow] = {}

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, row: int) -> IndexRow:
        if row not in self._known:
            found = self.client.get(self.collection, ids=[row], output_fields=list(ROW_FIELDS))
            if not found:
                raise KeyError(row)
            self._remember(row, found[0])
        return self._known[row]

    def _remember(self, row: int, entity: dict) -> None:
        if len(self._known) >= _ROWS_REMEMBERED:
            self._known.clear()
        self._known[row] = entity_row(entity)

    def article_rows(self, title: str, article: str, allowed: str | None) -> list[int]:
        """The rows of one cited article, in the document's order (as the default backend's)."""
        expression = f'title == "{_quoted(title)}" and article == "{_quoted(article)}"'
        if allowed:
            expression += f" and ({allowed})"
        found = self.client.query(self.collection, filter=expression, output_fields=["pk", *ROW_FIELDS])
        for entity in found:
            self._remember(int(entity["pk"]), entity)
        return [int(e["pk"]) for e in sorted(found, key=lambda e: e["chunk_id"])]

    def numbers(self, chunk_ids: list[str]) -> dict[str, int]:
        """The row of each of ``chunk_ids`` the collection holds: the rows a search just brought
        along are known; the others are looked up by chunk id."""
        known = {row.chunk_id: number for number, row in self._known.items()}
        missing = [chunk_id for chunk_id in dict.fromkeys(chunk_ids) if chunk_id not in known]
        for start in range(0, len(missing), WRITE_BATCH):
            listed = ", ".join(f'"{_quoted(chunk_id)}"' for chunk_id in missing[start : start + WRITE_BATCH])
            for entity in self.client.query(self.collection, filter=f"chunk_id in [{listed}]",
                                            output_fields=["pk", *ROW_FIELDS]):
                self._remember(int(entity["pk"]), entity)
                known[entity["chunk_id"]] = int(entity["pk"])
        return {chunk_id: known[chunk_id] for chunk_id in chunk_ids if chunk_id in known}

    def hits(self, results: list[dict], sign: float) -> Hits:
        hits = []
        for result in results:
            self._remember(int(result["pk"]), result["entity"])
            hits.append((int(result["pk"]), sign * float(result["distance"])))
        return hits


class MilvusKeywordIndex:
    """BM25 over our tokens as a sparse inner product; ``allowed`` is a filter expression.

    A chunk's sparse vector holds, per term, bm25s's ("lucene") term-frequency part
    tf / (tf + k1·(1 − b + b·dl/avgdl)); the query's holds the terms' idf (an expansion
    term's times ``expansion_weight``), read from the vocabulary at query time. Their inner
    product is the default backend's BM25 score, term for term.
    """

    def __init__(self, client, collection: str, rows: MilvusRows, vocabulary: "Vocabulary"):
        self.client = client
        self.collection = collection
        self.rows = rows
        self.vocabulary = vocabulary
        self._terms: dict[str, tuple[int, float] | None] = {}  # token → (term id, idf), None when unknown

    def _fetch(self, tokens: list[str]) -> None:
        todo = [t for t in dict.fromkeys(tokens) if t not in self._terms]
        found = self.vocabulary.lookup([token_code(t) for t in todo])
        n = len(self.rows)
        for token in todo:
            entry = found.get(token_code(token))
            self._terms[token] = (entry[1], float(np.log(1 + (n - entry[0] + 0.5) / (entry[0] + 0.5)))) if entry else None

    def search(self, query_tokens: list[str], k: int, allowed: str | None = None,
               expansion: list[str] | dict[str, float] | None = None, expansion_weight: float = 0.5) -> Hits:
        """As ``Bm25Index.search``."""
        return self.search_including(query_tokens, k, allowed, expansion, expansion_weight)

    def search_including(self, query_tokens: list[str], k: int, allowed: str | None = None,
                         expansion: list[str] | dict[str, float] | None = None, expansion_weight: float = 0.5,
                         include: Iterable[int] = ()) -> Hits:
        """As ``Bm25Index.search_including``: the rows of ``include`` below the top ``k`` by a second
        search among them only."""
        if not len(self.rows):
            return []
        self._fetch(list(query_tokens) + list(expansion or []))
        vector: dict[int, float] = {}
        # expansion: tokens, or tokens with a weight each (a thesaurus term's pieces share one)
        weights = expansion if isinstance(expansion, dict) else dict.fromkeys(expansion or [], 1.0)
        for tokens, weight in ((dict.fromkeys(query_tokens, 1.0), 1.0), (weights, expansion_weight)):
            for token, own in tokens.items():
                term = self._terms[token]
                if term:
                    vector[term[0]] = vector.get(term[0], 0.0) + weight * own * term[1]
        if not vector:
            return []
        top = self._search(vector, k, allowed or "")
        chosen = {row for row, _ in top}
        extra = [row for row in dict.fromkeys(include) if row not in chosen]
        if extra:
            among = f"pk in [{', '.join(map(str, extra))}]"
            top += self._search(vector, len(extra), f"{among} and ({allowed})" if allowed else among)
        return top

    def _search(self, vector: dict[int, float], k: int, expression: str) -> Hits:
        results = self.client.search(self.collection, data=[vector], anns_field="sparse", limit=k, filter=expression,
                                     output_fields=list(self.rows.fields), search_params={"metric_type": "IP", "params": {}})
        return [(row, score) for row, score in self.rows.hits(results[0], sign=1.0) if score > 0]

    def idf(self, token: str) -> float:
        """As ``Bm25Index.idf`` (0 for a token no chunk has)."""
        self._fetch([token])
        term = self._terms[token]
        return term[1] if term else 0.0


class Vocabulary:
    """Our terms in the state table: row ``df:<code>`` holds the term's document frequency
    (``gen``) and its sparse-vector dimension (``seq``); row ``vocabulary`` the next free one.
    Another collection's vocabulary has its keys under a ``namespace`` (``duties.df:<code>``)."""

    def __init__(self, state: StateTable, namespace: str = ""):
        self.state = state
        self.namespace = namespace

    def lookup(self, codes: list[str]) -> dict[str, tuple[int, int]]:
        """code → (document frequency, term id), for the codes the index holds."""
        prefix = f"{self.namespace}df:"
        found = self.state.get_many([prefix + c for c in codes], fields=("gen", "seq"))
        return {key[len(prefix):]: (int(row["gen"]), int(row["seq"])) for key, row in found.items()}

    def count(self, delta: Counter, sign: int) -> dict[str, int]:
        """Add ``sign`` × ``delta`` to the document frequencies; returns the ids of the terms
        that remain (a term no chunk has any more is dropped; its id is not reused)."""
        current = self.lookup(list(delta))
        prefix, marker_key = f"{self.namespace}df:", f"{self.namespace}vocabulary"
        marker = self.state.get(marker_key)
        next_id = int(marker["gen"]) if marker else 1  # dimension 0 marks a chunk without tokens
        ids, rows, dropped = {}, [], []
        for code, change in delta.items():
            df, term = current.get(code, (0, None))
            df += sign * change
            if df <= 0:
                dropped.append(code)
                continue
            if term is None:
                term, next_id = next_id, next_id + 1
            ids[code] = term
            rows.append({"key": prefix + code, "gen": df, "seq": term, "data": ""})
        self.state.put(rows + [{"key": marker_key, "gen": next_id, "seq": 0, "data": ""}])
        self.state.delete_keys([prefix + code for code in dropped if code in current])
        return ids

    def drop(self) -> None:
        """Forget every term of this vocabulary."""
        self.state.delete(f'key like "{self.namespace}df:%" or key == "{self.namespace}vocabulary"')


def term_weights(codes: list[str], ids: dict[str, int], avgdl: float) -> dict[int, float]:
    """A chunk's sparse vector: bm25s's term-frequency part per term (k1 = 1.2, b = 0.75)."""
    if not codes:
        return {0: 1.0}  # Milvus refuses an empty sparse vector; no query has dimension 0
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(codes) / avgdl)
    return {ids[code]: tf / (tf + norm) for code, tf in Counter(codes).items()}


class MilvusSearchIndex:
    """What the retrieval components use (see ``base.SearchBackend``), over ``<prefix>_chunks``
    and ``<prefix>_sentences``: the same chunk and sentence scores as ``SearchIndex``'s, so
    ``DenseRetriever`` combines them alike."""

    def __init__(self, client, prefix: str, manifest: dict, state: StateTable):
        self.client = client
        self.collection = f"{prefix}_chunks"
        self.manifest = manifest
        open_collection(client, self.collection)
        self.rows = MilvusRows(client, self.collection, manifest["rows"], manifest.get("titles", []))
        self.bm25 = MilvusKeywordIndex(client, self.collection, self.rows, Vocabulary(state))
        # the sentences collection's name, or None when no chunk has several sentences
        self.sentences = f"{prefix}_sentences" if manifest.get("sentences") else None
        if self.sentences:
            open_collection(client, self.sentences)

    def allowed(self, filters: SearchFilters | None) -> str | None:
        return filter_expression(filters)

    def dense_search(self, query_vector: np.ndarray, k: int, allowed: str | None) -> Hits:
        if not len(self.rows):
            return []
        results = self.client.search(self.collection, data=[as_list(query_vector)], anns_field="dense", limit=k,
                                     filter=allowed or "", output_fields=list(ROW_FIELDS),
                                     search_params=dense_search_params(len(self.rows)))
        return self.rows.hits(results[0], sign=1.0)

    def row_numbers(self, chunk_ids: list[str]) -> dict[str, int]:
        """As ``SearchIndex.row_numbers``."""
        return self.rows.numbers(chunk_ids)

    def chunk_scores(self, query_vector: np.ndarray, rows: list[int]) -> dict[int, float]:
        """Exact cosine of the query with each of ``rows``' chunk vectors."""
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        scores: dict[int, float] = {}
        for start in range(0, len(rows), WRITE_BATCH):
            for entity in self.client.get(self.collection, ids=rows[start : start + WRITE_BATCH],
                                          output_fields=["pk", *ROW_FIELDS, "dense"]):
                self.rows._remember(int(entity["pk"]), entity)
                scores[int(entity["pk"])] = float(np.dot(query, np.asarray(entity["dense"], dtype=np.float32)))
        return scores

    def sentence_search(self, query_vector: np.ndarray, k: int, allowed: str | None) -> dict[int, float]:
        """The best sentence score of each row among the ``k`` nearest sentences."""
        if not self.sentences:
            return {}
        results = self.client.search(self.sentences, data=[as_list(query_vector)], anns_field="dense", limit=k,
                                     filter=allowed or "", output_fields=["chunk"],
                                     search_params=dense_search_params(self.manifest["sentences"]))
        best: dict[int, float] = {}
        for result in results[0]:
            row = int(result["entity"]["chunk"])
            best[row] = max(best.get(row, -1.0), float(result["distance"]))
        return best

    def sentence_scores(self, query_vector: np.ndarray, rows: list[int]) -> dict[int, float]:
        """The best sentence score of each of ``rows`` (rows without sentence vectors are left out)."""
        return {row: max(scores) for row, scores in self.sentence_cosines(query_vector, rows).items()}

    def sentence_cosines(self, query_vector: np.ndarray, rows: list[int]) -> dict[int, list[float]]:
        """The score of each sentence of each of ``rows``, in the order of ``split_sentences`` (the
        ``n``-th is keyed ``sentence_key(row, n)``; rows without sentence vectors are left out)."""
        if not self.sentences or not rows:
            return {}
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        found: dict[int, dict[int, float]] = {}
        for start in range(0, len(rows), WRITE_BATCH):
            part = ", ".join(str(int(r)) for r in rows[start : start + WRITE_BATCH])
            for entity in self.client.query(self.sentences, filter=f"chunk in [{part}]", output_fields=["pk", "chunk", "dense"]):
                found.setdefault(int(entity["chunk"]), {})[int(entity["pk"])] = float(
                    np.dot(query, np.asarray(entity["dense"], dtype=np.float32)))
        ordered = {row: [sentence_key(row, n) for n in range(len(scores))] for row, scores in found.items()}
        return {row: [found[row][key] for key in keys] for row, keys in ordered.items() if all(k in found[row] for k in keys)}


def as_list(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float32).reshape(-1).tolist()


def dense_search_params(count: int) -> dict:
    """IVF search parameters for a collection of ``count`` vectors (exact below ``IVF_ROWS_PER_LIST`` a list)."""
    nlist = DENSE_INDEX["params"]["nlist"]
    return {"metric_type": "IP", "params": {"nprobe": nlist if count < IVF_ROWS_PER_LIST * nlist else DENSE_NPROBE}}


class MilvusIndexStorage:
    """Keeps ``<prefix>_chunks`` equal to the store's chunks, writing only what changed.

    Chunk vectors are weighted with the ``avgdl`` of the manifest (at the first build: the
    mean length of up to ``AVGDL_SAMPLE`` chunks). When removals and additions move the true
    mean length more than ``REWEIGHT_DRIFT`` away from it, every chunk is re-weighted from its
    stored tokens, so BM25 never drifts far from what the default backend computes.
    """

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix
        self.collection = f"{prefix}_chunks"
        self.sentences = f"{prefix}_sentences"
        self.state = StateTable(client, f"{prefix}_state")
        self.vocabulary = Vocabulary(self.state)

    def manifest(self) -> dict:
        """The stored index's manifest (its generation, layout and counts); empty when none is stored."""
        marker = self.state.get("index")
        return json.loads(marker["data"]) if marker else {}

    def current_generation(self) -> int | None:
        """None for an index of an older layout, so that the knowledge base rebuilds it."""
        manifest = self.manifest()
        return manifest["generation"] if manifest.get("format") == FORMAT else None

    def restore(self, generation: int) -> None:
        """Milvus keeps one build, updated in place: nothing to go back to."""

    def load(self) -> MilvusSearchIndex:
        return MilvusSearchIndex(self.client, self.prefix, self.manifest(), self.state)

    def build(self, rows: list[IndexRow], texts: list[str], tokenize: Tokenize, embed: Embed, *, model_id: str,
              generation: int, sentences: Sentences | None = None) -> MilvusSearchIndex:
        """``sentences`` go to ``<prefix>_sentences``, each keyed to its chunk's entity."""
        previous = self.manifest()
        if previous and previous.get("format") != FORMAT:
            self._drop()
            previous = {}
        keys = [row_key(row, text, model_id) for row, text in zip(rows, texts)]
        existing = self._existing_keys()
        total = previous.get("tokens", 0) - self._delete(sorted(existing - set(keys)))
        new = [i for i, key in enumerate(keys) if key not in existing]
        avgdl = previous.get("avgdl") or _sample_avgdl([texts[i] for i in new], tokenize)
        dim = previous.get("dim", 0)
        by_row: dict[int, list[str]] = {}
        for text, row in zip(*(sentences or ([], []))):
            by_row.setdefault(row, []).append(text)
        for start in range(0, len(new), WRITE_BATCH):
            part = new[start : start + WRITE_BATCH]
            codes = [[token_code(t) for t in tokenize(texts[i])[:MAX_TOKENS]] for i in part]
            ids = self.vocabulary.count(Counter(c for chunk in codes for c in set(chunk)), +1)
            vectors = embed([texts[i] for i in part])
            dim = int(vectors.shape[1])
            if not open_collection(self.client, self.collection):
                create_chunk_collection(self.client, self.collection, dim)
            self.client.upsert(self.collection, [
                {"pk": keys[i], **row_entity(rows[i]), "tokens": " ".join(chunk),
                 "sparse": term_weights(chunk, ids, avgdl), "dense": vector.tolist()}
                for i, chunk, vector in zip(part, codes, vectors)])
            self._write_sentences([(keys[i], rows[i], by_row.get(i, [])) for i in part], embed, dim)
            total += sum(map(len, codes))
        count = len(set(keys))
        if count and abs(total / count - avgdl) > REWEIGHT_DRIFT * avgdl:
            avgdl = total / count
            self._reweight(avgdl)
        unique = dict(zip(keys, range(len(keys))))
        manifest = {"format": FORMAT, "generation": generation, "model_id": model_id, "rows": count, "backend": "milvus",
                    "dim": dim, "vector_index": DENSE_INDEX["index_type"], "avgdl": avgdl, "tokens": total,
                    "sentences": sum(len(by_row.get(i, [])) for i in unique.values()),
                    "titles": sorted({r.title for r in rows if r.title and r.article}),
                    "written": len(new), "deleted": len(existing - set(keys))}
        self.state.put([{"key": "index", "gen": generation, "seq": 0, "data": json.dumps(manifest, ensure_ascii=False)}])
        return MilvusSearchIndex(self.client, self.prefix, manifest, self.state)

    def duty_index(self, texts: DutyTexts, tokenize: Tokenize, embed: Embed, *, generation: int):
        """The duties in ``<prefix>_duties`` and ``<prefix>_duty_sentences`` (``milvus_duties``)."""
        from regkb.index.backends.milvus_duties import MilvusDutyStorage

        return MilvusDutyStorage(self.client, self.prefix).load(texts, tokenize, embed, generation=generation)

    def _write_sentences(self, chunks: list[tuple[int, IndexRow, list[str]]], embed: Embed, dim: int) -> None:
        """Each chunk's sentence vectors, with its filter fields so that filters push down here too."""
        texts = [text for *_, evidence in chunks for text in evidence]
        if not texts:
            return
        vectors = iter(embed(texts))
        if not open_collection(self.client, self.sentences):
            create_sentence_collection(self.client, self.sentences, dim)
        entities = [{"pk": sentence_key(key, n), "chunk": key, **{f: getattr(row, f) or "" for f in FILTER_FIELDS},
                     "dense": next(vectors).tolist()}
                    for key, row, evidence in chunks for n in range(len(evidence))]
        for start in range(0, len(entities), WRITE_BATCH):
            self.client.upsert(self.sentences, entities[start : start + WRITE_BATCH])

    def _drop(self) -> None:
        """Forget an index of an older layout: its collections and its vocabulary."""
        for name in (self.collection, self.sentences):
            if self.client.has_collection(name):
                self.client.drop_collection(name)
        self.vocabulary.drop()

    def _delete(self, stale: list[int]) -> int:
        """Remove chunks and their terms' counts; returns how many tokens they held."""
        tokens = 0
        for start in range(0, len(stale), WRITE_BATCH):
            part = stale[start : start + WRITE_BATCH]
            codes = [row["tokens"].split() for row in self.client.get(self.collection, ids=part, output_fields=["tokens"])]
            self.client.delete(self.collection, ids=part)
            if open_collection(self.client, self.sentences):
                self.client.delete(self.sentences, filter=f"chunk in [{', '.join(map(str, part))}]")
            self.vocabulary.count(Counter(c for chunk in codes for c in set(chunk)), -1)
            tokens += sum(map(len, codes))
        return tokens

    def _reweight(self, avgdl: float) -> None:
        fields = ["pk", *ROW_FIELDS, "tokens", "dense"]
        iterator = self.client.query_iterator(self.collection, batch_size=WRITE_BATCH, filter="", output_fields=fields)
        while batch := iterator.next():
            lookup = self.vocabulary.lookup(list({c for row in batch for c in row["tokens"].split()}))
            ids = {code: entry[1] for code, entry in lookup.items()}
            self.client.upsert(self.collection, [{**{f: row[f] for f in fields}, "dense": list(row["dense"]),
                                                  "sparse": term_weights(row["tokens"].split(), ids, avgdl)}
                                                 for row in batch])
        iterator.close()

    def _existing_keys(self) -> set[int]:
        if not open_collection(self.client, self.collection):
            return set()
        iterator = self.client.query_iterator(self.collection, batch_size=10_000, filter="", output_fields=["pk"])
        keys: set[int] = set()
        while batch := iterator.next():
            keys.update(int(entity["pk"]) for entity in batch)
        iterator.close()
        return keys


def sentence_key(chunk_key: int, n: int) -> int:
    """The ``n``-th sentence of a chunk entity: a new chunk entity has new sentence entities."""
    return int.from_bytes(hashlib.blake2b(f"{chunk_key}:{n}".encode(), digest_size=8).digest()) >> 1


def _sample_avgdl(texts: list[str], tokenize: Tokenize) -> float:
    """Mean token count of the texts (of a fixed sample of ``AVGDL_SAMPLE`` when there are more)."""
    if len(texts) > AVGDL_SAMPLE:
        texts = [texts[i] for i in np.random.default_rng(0).choice(len(texts), AVGDL_SAMPLE, replace=False)]
    return float(np.mean([min(len(tokenize(t)), MAX_TOKENS) for t in texts])) if texts else 1.0


def create_chunk_collection(client, name: str, dim: int, dense_index: dict | None = None) -> None:
    """The chunks collection: scalars, our tokens, their BM25 weights (sparse), the embedding."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    for field in ROW_FIELDS:
        schema.add_field(field, DataType.VARCHAR, max_length=4096 if field == "section_path" else 1024)
    schema.add_field("tokens", DataType.VARCHAR, max_length=65535)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    dense = dense_index or DENSE_INDEX
    index.add_index("dense", index_type=dense["index_type"], metric_type=dense["metric_type"], params=dense["params"])
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")


def create_sentence_collection(client, name: str, dim: int) -> None:
    """The sentences collection: the chunk entity each belongs to, its filter fields, the embedding."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("chunk", DataType.INT64)
    for field in FILTER_FIELDS:
        schema.add_field(field, DataType.VARCHAR, max_length=1024)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("dense", index_type=DENSE_INDEX["index_type"], metric_type=DENSE_INDEX["metric_type"],
                    params=DENSE_INDEX["params"])
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
