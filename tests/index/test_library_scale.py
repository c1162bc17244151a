"""Index builds at library scale: a rebuild segments only the texts it has not seen (the
tokens of the previous build are kept beside it), unless the segmenter now cuts differently."""

from __future__ import annotations

import numpy as np

from regkb.index.backends.faiss_bm25s import _PROBE, FaissBm25sStorage
from regkb.index.search_index import IndexRow


def _rows(n: int) -> list[IndexRow]:
    return [IndexRow(f"d{i}:00000", f"d{i}", f"{i}.md", "law", None, "national") for i in range(n)]


def _embed(texts: list[str]) -> np.ndarray:
    return np.eye(len(texts), 8, dtype="float32")


def test_a_rebuild_segments_only_new_texts(tmp_path):
    storage = FaissBm25sStorage(tmp_path / "index")
    seen: list[str] = []

    def tokenize(text: str) -> list[str]:
        seen.append(text)
        return list(text)

    storage.build(_rows(2), ["安全生产", "消防设施"], tokenize, _embed, model_id="m", generation=1)
    seen.clear()
    index = storage.build(_rows(3), ["安全生产", "消防设施", "特种设备"], tokenize, _embed, model_id="m", generation=2)
    assert seen == [_PROBE, "特种设备"]
    assert index.bm25.search(["消", "防"], 1)[0][0] == 1  # the kept tokens are the ones searched


def test_a_changed_segmenter_segments_everything_again(tmp_path):
    storage = FaissBm25sStorage(tmp_path / "index")
    storage.build(_rows(2), ["安全生产", "消防设施"], list, _embed, model_id="m", generation=1)
    seen: list[str] = []

    def by_pairs(text: str) -> list[str]:  # another segmenter: it cuts the probe differently
        seen.append(text)
        return [text[i : i + 2] for i in range(0, len(text), 2)]

    storage.build(_rows(2), ["安全生产", "消防设施"], by_pairs, _embed, model_id="m", generation=2)
    assert seen == [_PROBE, "安全生产", "消防设施"]
