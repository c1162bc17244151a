"""The store of a stateless replica: the SQLite store held in memory and published to Milvus.

With ``REGKB_BACKEND=milvus`` a replica keeps nothing of the knowledge base on local disk:

- **Documents, sections, chunks, duties, the department registry and every other table of
  the store** (including those other modules add, such as targets) are the ordinary SQLite
  store, opened in memory. After each committed transaction the writing process publishes
  the database image (zlib, base64, pieces of 60,000 characters) to ``<prefix>_state`` under a
  new publication number, moves the ``store`` pointer row to it, and then deletes the older
  pieces; a replica loads the image the pointer names. Why: this state is small beside the
  vectors (the shared corpus: 19 documents, about 1 MB compressed), every request reads it,
  and only ingest and remove write it; a copy in each replica's memory answers documents,
  duties and departments without a round trip, keeps the store's SQL and transactions as
  they are, and one pointer row makes a publication all-or-nothing. One writer at a time.
- **The embedding cache** grows with the corpus (1.5 KB per text), so it is not in the
  image: it is ``<prefix>_vectors_<dim>``, keyed by ``model_id|text_hash``; any machine that
  ingests reuses the vectors another one computed.

>>> store = MilvusStore(connect("http://milvus:19530"), "regkb")  # doctest: +SKIP
>>> [d.source for d in store.documents()][:1]  # doctest: +SKIP
['004_36275ac223ca7fcd.txt']
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from regkb.corpus.store import Store, StoreError
from regkb.index.backends.milvus import WRITE_BATCH, StateTable, open_collection

PIECE_CHARS = 60_000  # of base64 text; a VARCHAR holds at most 65,535 bytes
_POINTER = "store"


class MilvusVectorCache:
    """The embedding cache in ``<prefix>_vectors_<dim>`` collections (one per vector size)."""

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = f"{prefix}_vectors_"

    def _collections(self) -> list[str]:
        return [name for name in self.client.list_collections()
                if name.startswith(self.prefix) and open_collection(self.client, name)]

    def get(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        keys = [f"{model_id}|{h}" for h in hashes]
        found: dict[str, np.ndarray] = {}
        for name in self._collections():
            for start in range(0, len(keys), WRITE_BATCH):
                for entity in self.client.get(name, ids=keys[start : start + WRITE_BATCH], output_fields=["text_hash", "vector"]):
                    found[entity["text_hash"]] = np.asarray(entity["vector"], dtype=np.float32)
        return found

    def put(self, model_id: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        items = list(items)
        if not items:
            return
        name = self._ensure(len(items[0][1]))
        for start in range(0, len(items), WRITE_BATCH):
            self.client.upsert(name, [{"key": f"{model_id}|{h}", "text_hash": h,
                                       "vector": np.asarray(v, dtype=np.float32).tolist()}
                                      for h, v in items[start : start + WRITE_BATCH]])

    def prune(self, keep: set[str]) -> int:
        stale_total = 0
        for name in self._collections():
            iterator = self.client.query_iterator(name, batch_size=10_000, filter="", output_fields=["key", "text_hash"])
            stale = []
            while batch := iterator.next():
                stale.extend(entity["key"] for entity in batch if entity["text_hash"] not in keep)
            iterator.close()
            for start in range(0, len(stale), WRITE_BATCH):
                self.client.delete(name, ids=stale[start : start + WRITE_BATCH])
            stale_total += len(stale)
        return stale_total

    def _ensure(self, dim: int) -> str:
        from pymilvus import DataType

        name = f"{self.prefix}{dim}"
        if not self.client.has_collection(name):
            schema = self.client.create_schema(auto_id=False)
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
            schema.add_field("text_hash", DataType.VARCHAR, max_length=128)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            index = self.client.prepare_index_params()
            index.add_index("vector", index_type="FLAT", metric_type="IP")  # read by key only, never searched
            self.client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
        return name


class MilvusStore(Store):
    """``Store`` with its database in memory, loaded from and published to Milvus."""

    def __init__(self, client, prefix: str):
        super().__init__(Path(":memory:"))
        self.state = StateTable(client, f"{prefix}_state")
        self.cache = MilvusVectorCache(client, prefix)
        self.prefix = prefix
        self.publication = 0
        self.refresh()

    @staticmethod
    def exists(client, prefix: str) -> bool:
        return StateTable(client, f"{prefix}_state").get(_POINTER) is not None

    def refresh(self) -> bool:
        """Load the newest published image if it is not the one held; True when it loaded one."""
        for _ in range(3):  # a writer may publish a newer image, and drop this one, while we read
            pointer = self.state.get(_POINTER)
            if pointer is None or int(pointer["gen"]) == self.publication:
                return False
            publication = int(pointer["gen"])
            pieces = self.state.query(f'key like "image:{publication}:%"', ["seq", "data"])
            if len(pieces) == int(pointer["seq"]):
                data = "".join(p["data"] for p in sorted(pieces, key=lambda p: p["seq"]))
                self.restore(zlib.decompress(base64.b64decode(data)))
                self.publication = publication
                return True
        raise StoreError(f"Milvus 中的知识库 {self.prefix} 不完整(第 {publication} 版缺少数据块),请重新运行 regkb migrate")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        outermost = not self._depth
        with super().transaction():
            yield
        if outermost:
            self.publish()

    def publish(self) -> None:
        """Write the image under a new publication number, then point to it, then drop older ones."""
        pointer = self.state.get(_POINTER)
        publication = max(self.publication, int(pointer["gen"]) if pointer else 0) + 1
        data = base64.b64encode(zlib.compress(self.snapshot(), 6)).decode("ascii")
        pieces = [data[i : i + PIECE_CHARS] for i in range(0, len(data), PIECE_CHARS)] or [""]
        self.state.put([{"key": f"image:{publication}:{seq}", "gen": publication, "seq": seq, "data": piece}
                        for seq, piece in enumerate(pieces)])
        self.state.put([{"key": _POINTER, "gen": publication, "seq": len(pieces),
                         "data": json.dumps({"compressed_bytes": len(data) * 3 // 4})}])
        self.state.delete(f'key like "image:%" and gen != {publication}')
        self.publication = publication

    def adopt(self, image: bytes) -> None:
        """Take over another store's database (a migration); its vectors go to the cache separately."""
        self.restore(image)
        self._db.execute("DELETE FROM embedding_cache")
        self.publish()

    # --- the embedding cache lives in Milvus, not in the image --------------------------

    def cached_vectors(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        return self.cache.get(model_id, hashes)

    def put_vectors(self, model_id: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        self.cache.put(model_id, items)

    def prune_vectors(self, keep: set[str]) -> int:
        return self.cache.prune(keep)


def open_milvus_store(uri: str, prefix: str, create: bool) -> MilvusStore:
    """The knowledge base ``prefix`` in the Milvus at ``uri``; with ``create=False`` it must exist."""
    from regkb.index.backends.milvus import connect

    try:
        client = connect(uri)
        found = MilvusStore.exists(client, prefix)
    except StoreError:
        raise
    except Exception as exc:  # pymilvus raises its own and gRPC errors for an unreachable server
        raise StoreError(f"无法连接 Milvus:{uri}({type(exc).__name__}: {exc})") from exc
    if not create and not found:
        raise StoreError(f"知识库不存在:Milvus {uri} 中没有知识库 {prefix}"
                         f"(请先运行 regkb ingest 导入文件,或用 regkb migrate --to milvus 迁移已有知识库)")
    return MilvusStore(client, prefix)
