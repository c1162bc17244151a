"""The e5 (XLM-R) tokenizer, quick to load for the scripts regkb's texts are written in.

The model's ``tokenizer.json`` holds 250,002 pieces in a hundred scripts; parsing it takes
~1 s, most of a cold ``regkb search``, and holds the GIL. A unigram tokenizer segments a text
with the pieces that occur in it and nothing else, so for a text whose characters all
belong to a set of code-point ranges, the pieces made of those characters give exactly the
same tokens. Two such subsets are derived from ``tokenizer.json`` once and cached beside it:

- ``chinese``: Chinese, digits, punctuation and the letters of the e5 prefixes (``query:``,
  ``passage:``), ~26k pieces, ~0.07 s: nearly every question;
- ``common``: with all Latin and Greek letters added (GB 30871, LNG, α), ~105k pieces;

and any other text goes to the full tokenizer, each loaded the first time a text needs it.

>>> tokenizer = E5Tokenizer(model_folder / "tokenizer.json")  # doctest: +SKIP
>>> tokenizer.encode(["query: 出了事故多久要上报"])[0][0][:3]  # doctest: +SKIP
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
# subset's pieces. A character whose normalised form leaves its ranges (¨ → space + U+0308)
# is dropped when the subset is derived.
_SIGNS = (
    (0x09, 0x0D), (0x20, 0x40), (0x5B, 0x60), (0x7B, 0x7E),  # whitespace, ASCII digits and signs
    (0xA0, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7),  # Latin-1 signs
    (0x2000, 0x206F), (0x2100, 0x23FF), (0x2460, 0x27BF),  # punctuation, symbols, ①, arrows, shapes
    (0x3000, 0x303F), (0x3200, 0x33FF),  # CJK punctuation, enclosed and compatibility (㎡)
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),  # CJK ideographs
    (0xFE10, 0xFE1F), (0xFE30, 0xFE6F), (0xFF00, 0xFFEF),  # vertical, small and full-width forms
)
_PREFIX_LETTERS = tuple((ord(c), ord(c)) for c in sorted(set("querypassage")))
SUBSETS = {
    "chinese": _SIGNS + _PREFIX_LETTERS,
    "common": _SIGNS + ((0x41, 0x5A), (0x61, 0x7A), (0x0391, 0x03C9)),  # + Latin and Greek letters
}
RECIPE = 2


def _outside(ranges: Sequence[Sequence[int]]) -> re.Pattern:
    """A pattern matching any character outside ``ranges``."""
    return re.compile("[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]")


_NOMINAL = {name: _outside(ranges) for name, ranges in SUBSETS.items()}  # a subset covers no more

Encoded = tuple[list[int], list[tuple[int, int]]]  # token ids of the full vocabulary, character offsets


class _Subset:
    """One subset tokenizer: its ids in the full vocabulary, and the characters it covers."""

    def __init__(self, tokenizer, full_ids: list[int], ranges: Sequence[Sequence[int]]):
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer, self.full_ids = tokenizer, full_ids
        self._outside = _outside(ranges)

    def covers(self, text: str) -> bool:
        return self._outside.search(text) is None


class E5Tokenizer:
    """``encode`` gives the full tokenizer's ids and offsets, from the smallest subset that
    covers each text."""

    def __init__(self, full_path: Path):
        self.full_path = Path(full_path)
        self._full = None
        self._subsets: dict[str, _Subset | None] = dict.fromkeys(SUBSETS)
        self._subset("chinese")

    @property
    def full(self):
        if self._full is None:
            from tokenizers import Tokenizer

            self._full = Tokenizer.from_file(str(self.full_path))
            self._full.no_truncation()
            self._full.no_padding()
        return self._full

    def _subset(self, name: str) -> _Subset:
        subset = self._subsets[name]
        if subset is None:
            subset = self._subsets[name] = _load_subset(self.full_path, name) or _derive_subset(self.full, self.full_path, name)
        return subset

    def loaded(self) -> set[str]:
        """The tokenizers parsed so far: subset names, and ``full`` once the whole vocabulary is."""
        return {name for name, subset in self._subsets.items() if subset is not None} | ({"full"} if self._full else set())

    def token_to_id(self, token: str) -> int | None:
        chinese = self._subset("chinese")
        found = chinese.tokenizer.token_to_id(token)
        return chinese.full_ids[found] if found is not None else self.full.token_to_id(token)

    def encode(self, texts: Sequence[str]) -> list[Encoded]:
        """Ids (no special tokens added) and offsets of each text."""
        out: list[Encoded | None] = [None] * len(texts)
        for name, nominal in _NOMINAL.items():
            todo = [i for i, value in enumerate(out) if value is None and not nominal.search(texts[i])]
            if not todo:
                continue  # not even loaded
            subset = self._subset(name)
            mine = [i for i in todo if subset.covers(texts[i])]
            encodings = subset.tokenizer.encode_batch([texts[i] for i in mine], add_special_tokens=False) if mine else []
            for i, enc in zip(mine, encodings):
                out[i] = ([subset.full_ids[t] for t in enc.ids], enc.offsets)
        rest = [i for i, value in enumerate(out) if value is None]
        if rest:
            for i, enc in zip(rest, self.full.encode_batch([texts[i] for i in rest], add_special_tokens=False)):
                out[i] = (enc.ids, enc.offsets)
        return out  # type: ignore[return-value]


def derive_subsets(full_path: Path) -> None:
    """Write every subset beside ``tokenizer.json`` now (``regkb model build`` does), so no
    later process pays for deriving one."""
    from tokenizers import Tokenizer

    full = Tokenizer.from_file(str(full_path))
    spec = json.loads(Path(full_path).read_text(encoding="utf-8"))
    for name in SUBSETS:
        _derive_subset(full, Path(full_path), name, spec)


def _paths(full_path: Path, name: str) -> tuple[Path, Path]:
    folder = full_path.parent
    return folder / f"tokenizer_{name}.json", folder / f"tokenizer_{name}.meta.json"


def _source_stamp(full_path: Path) -> dict:
    stat = full_path.stat()
    return {"recipe": RECIPE, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _load_subset(full_path: Path, name: str) -> _Subset | None:
    from tokenizers import Tokenizer

    tokenizer_path, meta_path = _paths(full_path, name)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["source"] != _source_stamp(full_path):
            return None
        return _Subset(Tokenizer.from_file(str(tokenizer_path)), meta["ids"], meta["ranges"])
    except Exception:  # noqa: BLE001 - missing, stale or unreadable: derived again
        return None


def _derive_subset(full, full_path: Path, name: str, spec: dict | None = None) -> _Subset:
    """The subset tokenizer of ``name``, written beside ``tokenizer.json`` when the folder is
    writable; ``spec`` is the file's JSON, if the caller has read it already."""
    from tokenizers import AddedToken, Tokenizer, models

    normalise = full.normalizer.normalize_str
    in_ranges = {chr(cp) for lo, hi in SUBSETS[name] for cp in range(lo, hi + 1)}
    covered = [c for c in sorted(in_ranges) if all(x in in_ranges for x in normalise(c))]
    alphabet = {x for c in covered for x in normalise(c)} | {"▁"}
    spec = spec or json.loads(full_path.read_text(encoding="utf-8"))
    vocab, unk_id = spec["model"]["vocab"], spec["model"]["unk_id"]
    lowest = min(range(len(vocab)), key=lambda i: vocab[i][1])  # keeps the unknown-piece penalty the same
    keep = sorted({unk_id, lowest} | {token["id"] for token in spec["added_tokens"]}
                  | {i for i, (piece, _) in enumerate(vocab) if all(ch in alphabet for ch in piece)})
    position = {full_id: pos for pos, full_id in enumerate(keep)}
    subset = Tokenizer(models.Unigram([tuple(vocab[i]) for i in keep], unk_id=position[unk_id], byte_fallback=False))
    subset.normalizer = full.normalizer
    subset.pre_tokenizer = full.pre_tokenizer
    subset.add_special_tokens([AddedToken(token["content"], special=True, normalized=False)
                               for token in spec["added_tokens"]])
    ranges = _runs([ord(c) for c in covered])
    tokenizer_path, meta_path = _paths(full_path, name)
    try:
        _write_atomically(tokenizer_path, subset.to_str())
        _write_atomically(meta_path, json.dumps({"source": _source_stamp(full_path), "ids": keep, "ranges": ranges},
                                                separators=(",", ":")))
    except OSError:
        pass  # a read-only model folder: derived again next time
    return _Subset(subset, keep, ranges)


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
