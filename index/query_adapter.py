"""The query side of the embedder, tuned: low-rank updates to the encoder's attention weights.

People ask in everyday words (厂里没交保险，受伤了谁出钱); the statute says 用人单位 and
工伤保险待遇. The stored passage vectors stay as multilingual-e5-small made them; only the
encoder that embeds questions moves. Each attention projection ``W`` of the query encoder
becomes ``W + B·A`` with ``A`` (rank × in) and ``B`` (out × rank) learned on labelled
questions by ``python -m regkb.eval.training.query_adapter`` (how, and on which questions, is
in that module and in ``eval/RESULTS.md``). ``regkb model build`` merges the update into a
second ONNX graph for queries, so a query costs what it cost before.

The file is ``index/data/query_adapter.npz``: ``<weight name>.A`` / ``<weight name>.B`` per
adapted weight and ``meta`` (JSON: rank, training settings, question counts).

>>> adapter = QueryAdapter.load()
>>> sorted(adapter.deltas())[0]
'encoder.layer.0.attention.output.dense.weight'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regkb.index.shipped_file import npz_bytes, write_shipped

ADAPTER_FILE = Path(__file__).parent / "data" / "query_adapter.npz"
# the projections adapted in every layer (query, key, value and the attention output)
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")


def target_weights(layers: int) -> list[str]:
    return [f"encoder.layer.{i}.{target}.weight" for i in range(layers) for target in TARGETS]


@dataclass(frozen=True)
class QueryAdapter:
    factors: dict[str, tuple[np.ndarray, np.ndarray]]  # weight name → (A, B)
    meta: dict = field(default_factory=dict)

    def deltas(self) -> dict[str, np.ndarray]:
        """weight name → B·A, to be added to that weight (out × in)."""
        return {name: (b @ a).astype(np.float32) for name, (a, b) in self.factors.items()}

    @classmethod
    def mean(cls, adapters: "list[QueryAdapter]", meta: dict | None = None) -> "QueryAdapter":
        """The adapter whose update is the mean of ``adapters``' updates, exactly: the factors
        are stacked (A) and side by side (B / n), so its rank is the sum of theirs."""
        n = len(adapters)
        factors = {name: (np.vstack([a.factors[name][0] for a in adapters]),
                          np.hstack([a.factors[name][1] for a in adapters]) / n)
                   for name in adapters[0].factors}
        return cls(factors, meta or {})

    def to_bytes(self) -> bytes:
        arrays = {"meta": np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True))}
        for name, (a, b) in sorted(self.factors.items()):
            arrays[f"{name}.A"], arrays[f"{name}.B"] = a.astype(np.float32), b.astype(np.float32)
        return npz_bytes(**arrays)

    def save(self, path: Path = ADAPTER_FILE) -> None:
        write_shipped(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path = ADAPTER_FILE) -> "QueryAdapter | None":
        """The adapter in ``path``, or None when there is none (queries then use the plain encoder)."""
        if not path.is_file():
            return None
        with np.load(path) as data:
            names = {key[:-2] for key in data.files if key.endswith((".A", ".B"))}
            factors = {name: (data[f"{name}.A"], data[f"{name}.B"]) for name in names}
            meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        for name, (a, b) in factors.items():
            if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
                raise ValueError(f"查询适配器文件 {path} 中 {name} 的形状不对:A {a.shape},B {b.shape}")
        return cls(factors, meta)


def adapter_sha256(path: Path = ADAPTER_FILE) -> str | None:
    """Identifies the adapter a built model merged, so a changed file means a rebuild."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
