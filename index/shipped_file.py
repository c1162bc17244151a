"""Files that ship with the code (``index/data``), written by a trainer while a server may read them."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np


def write_shipped(path: Path, data: bytes) -> None:
    """Written beside the target and renamed over it: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the file ships with the code
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """``arrays`` as one compressed ``.npz`` file."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()
