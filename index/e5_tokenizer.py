"""The e5 (XLM-R) tokenizer, quick to load for the scripts regkb's texts are written in.

The model's ``tokenizer.json`` holds 250,002 pieces in a hundred scripts; parsing it takes
~1 s, a third of a cold ``regkb search``. A unigram tokenizer segments a text with the
pieces that occur in it and nothing else, so for a text whose characters all belong to
``COMMON_RANGES`` (Chinese, ASCII and their punctuation, full-width forms, …) the pieces
made of those characters give exactly the same tokens. That subset (~100k pieces) loads in
a quarter of the time. It is derived from ``tokenizer.json`` once and cached beside it;
a text with any other character goes to the full tokenizer, loaded the first time one comes.

>>> tokenizer = E5Tokenizer(model_folder / "tokenizer.json")
>>> tokenizer.encode(["query: 出了事故多久要上报"])[0][0][:3]
[41, 1294, 12]
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

# Code-point ranges whose characters (once normalised the tokenizer's way) need only the
# subset's pieces. A character whose normalised form leaves the ranges (¨ → space + U+0308)
# is dropped when the subset is derived.
COMMON_RANGES = (
    (0x09, 0x0D), (0x20, 0x7E), (0xA0, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7),  # whitespace, ASCII, Latin-1 signs
    (0x0391, 0x03C9),  # Greek letters (α, μ, Ω in standards)
    (0x2000, 0x206F), (0x2100, 0x23FF), (0x2460, 0x27BF),  # punctuation, symbols, ①, arrows, shapes
    (0x3000, 0x303F), (0x3200, 0x33FF),  # CJK punctuation, enclosed and compatibility (㎡)
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),  # CJK ideographs
    (0xFE10, 0xFE1F), (0xFE30, 0xFE6F), (0xFF00, 0xFFEF),  # vertical, small and full-width forms
)
SUBSET_FILE = "tokenizer_common.json"
SUBSET_META = "tokenizer_common.meta.json"
RECIPE = 1

Encoded = tuple[list[int], list[tuple[int, int]]]  # token ids of the full vocabulary, character offsets


class E5Tokenizer:
    """``encode`` gives the full tokenizer's ids and offsets, from the subset where it can."""

    def __init__(self, full_path: Path):
        from tokenizers import Tokenizer

        self.full_path = Path(full_path)
        self._full: Tokenizer | None = None
        loaded = _load_subset(self.full_path)
        if loaded is None:
            self._full = Tokenizer.from_file(str(self.full_path))
            loaded = _derive_subset(self._full, self.full_path)
        self._subset, self._subset_ids, self._outside = loaded
        for tokenizer in (self._subset, self._full):
            if tokenizer is not None:
                tokenizer.no_truncation()
                tokenizer.no_padding()

    @property
    def full(self):
        if self._full is None:
            from tokenizers import Tokenizer

            self._full = Tokenizer.from_file(str(self.full_path))
            self._full.no_truncation()
            self._full.no_padding()
        return self._full

    def token_to_id(self, token: str) -> int | None:
        subset_id = self._subset.token_to_id(token)
        return self._subset_ids[subset_id] if subset_id is not None else self.full.token_to_id(token)

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Ids (no special tokens added) and offsets of each text."""
        out: list[Encoded | None] = [None] * len(texts)
        common = [i for i, text in enumerate(texts) if not self._outside.search(text)]
        if common:
            ids = self._subset_ids
            for i, enc in zip(common, self._subset.encode_batch([texts[i] for i in common], add_special_tokens=False)):
                out[i] = ([ids[t] for t in enc.ids], enc.offsets)
        rest = [i for i, value in enumerate(out) if value is None]
        if rest:
            for i, enc in zip(rest, self.full.encode_batch([texts[i] for i in rest], add_special_tokens=False)):
                out[i] = (enc.ids, enc.offsets)
        return out  # type: ignore[return-value]


def _ranges_pattern(ranges: Sequence[Sequence[int]]) -> re.Pattern:
    """A pattern matching any character outside ``ranges``."""
    return re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]")


def _source_stamp(full_path: Path) -> dict:
    stat = full_path.stat()
    return {"recipe": RECIPE, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _load_subset(full_path: Path):
    from tokenizers import Tokenizer

    folder = full_path.parent
    try:
        meta = json.loads((folder / SUBSET_META).read_text(encoding="utf-8"))
        if meta["source"] != _source_stamp(full_path):
            return None
        return Tokenizer.from_file(str(folder / SUBSET_FILE)), meta["ids"], _ranges_pattern(meta["ranges"])
    except Exception:  # noqa: BLE001 - missing, stale or unreadable: derived again
        return None


def _derive_subset(full, full_path: Path):
    """The subset tokenizer, its ids in the full vocabulary and the characters it covers;
    written beside ``tokenizer.json`` when the folder is writable."""
    from tokenizers import AddedToken, Tokenizer, models

    normalise = full.normalizer.normalize_str
    in_ranges = {chr(cp) for lo, hi in COMMON_RANGES for cp in range(lo, hi + 1)}
    covered = [c for c in sorted(in_ranges) if all(x in in_ranges for x in normalise(c))]
    alphabet = {x for c in covered for x in normalise(c)} | {"▁"}
    spec = json.loads(full_path.read_text(encoding="utf-8"))
    vocab, unk_id = spec["model"]["vocab"], spec["model"]["unk_id"]
    special = [token["content"] for token in spec["added_tokens"]]
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])  # keeps the unknown-piece penalty the same
    keep = sorted({unk_id, lowest} | {token["id"] for token in spec["added_tokens"]}
                  | {i for i, (piece, _) in enumerate(vocab) if all(ch in alphabet for ch in piece)})
    position = {full_id: pos for pos, full_id in enumerate(keep)}
    subset = Tokenizer(models.Unigram([tuple(vocab[i]) for i in keep], unk_id=position[unk_id], byte_fallback=False))
    subset.normalizer = full.normalizer
    subset.pre_tokenizer = full.pre_tokenizer
    subset.add_special_tokens([AddedToken(content, special=True, normalized=False) for content in special])
    ranges = _runs([ord(c) for c in covered])
    try:
        folder = full_path.parent
        _write_atomically(folder / SUBSET_FILE, subset.to_str())
        _write_atomically(folder / SUBSET_META, json.dumps(
            {"source": _source_stamp(full_path), "ids": keep, "ranges": ranges}, separators=(",", ":")))
    except OSError:
        pass  # a read-only model folder: derived again next time
    return subset, keep, _ranges_pattern(ranges)


def _runs(code_points: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for cp in code_points:
        if runs and runs[-1][1] == cp - 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return runs


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o644)  # like the model's other files
    os.replace(tmp.name, path)
