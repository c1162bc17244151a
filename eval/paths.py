"""Where the shared data lies: ``$REGKB_SHARED`` if set, else the ``shared/`` folder beside the
checkout (``../shared`` seen from the repository root), as DESIGN.md lays it out.

>>> shared_dir(environ={"REGKB_SHARED": "/data/shared"}).as_posix()
'/data/shared'
>>> shared_corpus(environ={"REGKB_SHARED": "/data/shared"}).as_posix()
'/data/shared/corpus'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# eval/paths.py → the repository root is one folder up, and shared/ is its sibling
REPOSITORY = Path(__file__).resolve().parents[1]


def shared_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The shared folder: ``$REGKB_SHARED``, else ``../shared`` beside the repository."""
    return Path(environ["REGKB_SHARED"]) if environ.get("REGKB_SHARED") else REPOSITORY.parent / "shared"


def shared_corpus(environ: Mapping[str, str] = os.environ) -> Path:
    """The shared corpus (``seeds/`` and ``laws/``)."""
    return shared_dir(environ) / "corpus"


def shared_data(environ: Mapping[str, str] = os.environ) -> Path:
    """The shared question and bank files (``data/``), holdout hashes included."""
    return shared_dir(environ) / "data"


def holdout_hashes(environ: Mapping[str, str] = os.environ) -> Path:
    """The hashes of the held-out questions, never trained or tuned on."""
    return shared_data(environ) / "holdout_question_hashes.txt"
