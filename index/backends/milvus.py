"""The Milvus backend: the index rows of one knowledge base in a Milvus collection, searched
there with the filters pushed down.

One knowledge base is a collection-name prefix (``REGKB_MILVUS_COLLECTION``, default ``regkb``):

- ``<prefix>_chunks``: one entity per indexed chunk. ``pk`` (INT64, derived from the
  chunk's id, indexed text, metadata and model, so an unchanged chunk keeps its entity and a
  rebuild only writes what changed), the filterable scalars (``doc_type``, ``region``,
  ``level``, ``source``, ``authority``) and ``chunk_id``/``doc_id``, ``tokens`` (our jieba
  tokens as ASCII codes, see ``token_code``), ``sparse`` (Milvus's BM25 function over
  ``tokens``) and ``dense`` (the embedding, HNSW, inner product).
- ``<prefix>_state``: small rows by key: ``index`` (the generation and manifest of the
  chunks collection) and the store's image (see ``milvus_store``).
- ``<prefix>_vectors_<dim>``: the embedding cache (see ``milvus_store``).

Keyword search is BM25 computed by Milvus over *our* tokens: Milvus's analysers are only
``standard`` and ``jieba`` (no domain dictionary, stopwords or search-mode sub-words), so
each of our tokens is written as a short ASCII word that the ``standard`` tokenizer keeps
whole. Milvus then keeps the BM25 statistics as rows come and go, and the ranking is the
default's (same k1, b and idf; Milvus multiplies every score by k1+1, which no ranking or
fusion step sees). Milvus reports a BM25 match as a negative distance: score = −distance.

>>> storage = MilvusIndexStorage(connect("./milvus.db"), "regkb")
>>> index = storage.load()
>>> index.bm25.search(["尾矿库"], 5, index.allowed(SearchFilters(region="辽宁")))
[(4821077, 9.1...), ...]
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from regkb.index.backends.base import Embed, Hits, Tokenize
from regkb.index.search_index import IndexRow, SearchFilters

ROW_FIELDS = ("chunk_id", "doc_id", "source", "doc_type", "region", "level", "authority")
# HNSW with the parameters of the FAISS default (index/ann.py); chosen over IVF_FLAT by the
# Milvus Lite rows of the scale run (eval/RESULTS.md): at 100k HNSW reached the recall
# target at a lower p95 and, unlike IVF, needs no training data when rows trickle in.
DENSE_INDEX = {"index_type": "HNSW", "metric_type": "IP", "params": {"M": 32, "efConstruction": 80}}
DENSE_EF = 64
WRITE_BATCH = 500  # entities per insert/upsert/get call (well under gRPC's message limit)
MAX_TOKENS = 4000  # a VARCHAR holds 65,535 bytes; a code and its space take 16
_ROWS_REMEMBERED = 100_000  # the row cache of a long-running replica is cleared beyond this


@functools.cache
def connect(uri: str):
    """One client per database and process: Milvus Lite starts its server once per file."""
    from pymilvus import MilvusClient

    if "://" not in uri:  # a Milvus Lite file
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    return MilvusClient(uri)


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


def _codes(tokens: list[str]) -> str:
    return " ".join(token_code(t) for t in tokens[:MAX_TOKENS])


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
    return " and ".join(parts)


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
        if not self.ready():
            return None
        found = self.client.get(self.name, ids=[key], output_fields=["gen", "seq", "data"])
        return found[0] if found else None

    def put(self, rows: list[dict]) -> None:
        self.ensure()
        for start in range(0, len(rows), WRITE_BATCH // 10):  # rows of up to 64 KB each
            self.client.upsert(self.name, [{**r, "unused": [0.0, 0.0]} for r in rows[start : start + WRITE_BATCH // 10]])

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


class MilvusRows:
    """Row id → ``IndexRow``. Search results bring their rows along; others are fetched."""

    def __init__(self, client, collection: str, count: int):
        self.client = client
        self.collection = collection
        self.count = count
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
        self._known[row] = IndexRow(**{name: entity.get(name) or None for name in ROW_FIELDS})

    def hits(self, results: list[dict], sign: float) -> Hits:
        hits = []
        for result in results:
            self._remember(int(result["pk"]), result["entity"])
            hits.append((int(result["pk"]), sign * float(result["distance"])))
        return hits


class MilvusKeywordIndex:
    """BM25 by Milvus over our tokens; ``allowed`` is a filter expression."""

    def __init__(self, client, collection: str, rows: MilvusRows):
        self.client = client
        self.collection = collection
        self.rows = rows
        self._idf: dict[str, float] = {}

    def _search(self, tokens: list[str], k: int, allowed: str | None) -> Hits:
        results = self.client.search(self.collection, data=[_codes(tokens)], anns_field="sparse", limit=k,
                                     filter=allowed or "", output_fields=list(ROW_FIELDS),
                                     search_params={"metric_type": "BM25", "params": {}})
        return self.rows.hits(results[0], sign=-1.0)

    def search(self, query_tokens: list[str], k: int, allowed: str | None = None, expansion: list[str] | None = None,
               expansion_weight: float = 0.5) -> Hits:
        """As ``Bm25Index.search``; the expansion terms' list is searched on its own and added
        at ``expansion_weight`` (a row that only one list holds gets nothing from the other)."""
        if not len(self.rows):
            return []
        scores: dict[int, float] = {}
        for tokens, weight in ((list(dict.fromkeys(query_tokens)), 1.0), (expansion or [], expansion_weight)):
            if tokens:
                for row, score in self._search(tokens, k, allowed):
                    scores[row] = scores.get(row, 0.0) + weight * score
        ranked = sorted(((row, score) for row, score in scores.items() if score > 0), key=lambda item: -item[1])
        return ranked[:k]

    def idf(self, token: str) -> float:
        """As ``Bm25Index.idf``: the document frequency comes from Milvus's text match."""
        if token not in self._idf:
            found = self.client.query(self.collection, filter=f"TEXT_MATCH(tokens, '{token_code(token)}')",
                                      output_fields=["count(*)"])
            df = int(found[0]["count(*)"]) if found else 0
            n = len(self.rows)
            self._idf[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5))) if df else 0.0
        return self._idf[token]


class MilvusSearchIndex:
    """What the retrieval components use (see ``base.SearchBackend``), over ``<prefix>_chunks``."""

    def __init__(self, client, collection: str, manifest: dict):
        self.client = client
        self.collection = collection
        self.manifest = manifest
        open_collection(client, collection)
        self.rows = MilvusRows(client, collection, manifest["rows"])
        self.bm25 = MilvusKeywordIndex(client, collection, self.rows)

    def allowed(self, filters: SearchFilters | None) -> str | None:
        return filter_expression(filters)

    def dense_search(self, query_vector: np.ndarray, k: int, allowed: str | None) -> Hits:
        if not len(self.rows):
            return []
        vector = np.asarray(query_vector, dtype=np.float32).reshape(-1).tolist()
        results = self.client.search(self.collection, data=[vector], anns_field="dense", limit=k, filter=allowed or "",
                                     output_fields=list(ROW_FIELDS),
                                     search_params={"metric_type": "IP", "params": {"ef": max(DENSE_EF, k)}})
        return self.rows.hits(results[0], sign=1.0)


class MilvusIndexStorage:
    """Keeps ``<prefix>_chunks`` equal to the store's chunks, writing only what changed."""

    def __init__(self, client, prefix: str):
        self.client = client
        self.collection = f"{prefix}_chunks"
        self.state = StateTable(client, f"{prefix}_state")

    def current_generation(self) -> int | None:
        marker = self.state.get("index")
        return int(marker["gen"]) if marker else None

    def load(self) -> MilvusSearchIndex:
        return MilvusSearchIndex(self.client, self.collection, json.loads(self.state.get("index")["data"]))

    def build(self, rows: list[IndexRow], texts: list[str], tokenize: Tokenize, embed: Embed, *, model_id: str,
              generation: int) -> MilvusSearchIndex:
        keys = [row_key(row, text, model_id) for row, text in zip(rows, texts)]
        existing = self._existing_keys()
        new = [i for i, key in enumerate(keys) if key not in existing]
        previous = self.state.get("index")
        dim = json.loads(previous["data"]).get("dim", 0) if previous else 0
        for start in range(0, len(new), WRITE_BATCH):
            part = new[start : start + WRITE_BATCH]
            vectors = embed([texts[i] for i in part])
            dim = int(vectors.shape[1])
            self._ensure_collection(dim)
            self.client.upsert(self.collection, [
                {"pk": keys[i], **{name: getattr(rows[i], name) or "" for name in ROW_FIELDS},
                 "tokens": _codes(tokenize(texts[i])), "dense": vector.tolist()} for i, vector in zip(part, vectors)])
        stale = list(existing - set(keys))
        for start in range(0, len(stale), WRITE_BATCH):
            self.client.delete(self.collection, ids=stale[start : start + WRITE_BATCH])
        manifest = {"generation": generation, "model_id": model_id, "rows": len(set(keys)), "backend": "milvus",
                    "dim": dim, "vector_index": DENSE_INDEX["index_type"],
                    "written": len(new), "deleted": len(stale)}
        self.state.put([{"key": "index", "gen": generation, "seq": 0, "data": json.dumps(manifest)}])
        return MilvusSearchIndex(self.client, self.collection, manifest)

    def _existing_keys(self) -> set[int]:
        if not open_collection(self.client, self.collection):
            return set()
        iterator = self.client.query_iterator(self.collection, batch_size=10_000, filter="", output_fields=["pk"])
        keys: set[int] = set()
        while batch := iterator.next():
            keys.update(int(entity["pk"]) for entity in batch)
        iterator.close()
        return keys

    def _ensure_collection(self, dim: int) -> None:
        if not self.client.has_collection(self.collection):
            create_chunk_collection(self.client, self.collection, dim)


def create_chunk_collection(client, name: str, dim: int, dense_index: dict | None = None) -> None:
    """The chunks collection: scalars, our tokens with Milvus's BM25 function, the embedding."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    for name_ in ROW_FIELDS:
        schema.add_field(name_, DataType.VARCHAR, max_length=1024)
    schema.add_field("tokens", DataType.VARCHAR, max_length=65535, enable_analyzer=True, enable_match=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["tokens"],
                                 output_field_names=["sparse"]))
    index = client.prepare_index_params()
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                    params={"bm25_k1": 1.2, "bm25_b": 0.75})  # bm25s's defaults (index/bm25.py)
    dense = dense_index or DENSE_INDEX
    index.add_index("dense", index_type=dense["index_type"], metric_type=dense["metric_type"], params=dense["params"])
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
