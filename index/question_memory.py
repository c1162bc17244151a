"""A memory of labelled questions: who asked something like this before, and which article settled it.

People ask the same everyday matters again in other words (叉车证要不要考, 工伤认定多久内申请).
The project holds several hundred questions labelled by hand with the article that answers
them; the memory keeps each one's query vector (embedded as the query pipeline embeds a
query: the tuned query encoder, the thesaurus terms in brackets) and its gold articles as
(document title, 第X条), so they map onto the chunks of any store that holds that title.
At search time a query close to a remembered question (cosine at least the threshold) lifts
that question's articles in the fusion (``index/fusion.py``, ``lift``); a query far from
every remembered question gets nothing from it.

The file is ``index/data/question_memory.npz``: ``vectors`` (questions × dimensions, unit
length), ``golds`` (JSON: one list of [title, article] per question), ``hashes`` (sha1 of
each normalised question, to check what is in it) and ``meta`` (JSON: the encoder it was
embedded with, the sets it holds). ``python -m regkb.eval.training.question_memory`` builds it.

>>> memory = QuestionMemory(np.eye(2, dtype=np.float32), ((("工伤保险条例", "第十七条"),), (("消防法", "第二条"),)))
>>> memory.recall(np.array([0.96, 0.28], dtype=np.float32), threshold=0.9)
{('工伤保险条例', '第十七条'): 0.96}
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regkb.index.shipped_file import npz_bytes, write_shipped

MEMORY_FILE = Path(__file__).parent / "data" / "question_memory.npz"

Article = tuple[str, str]  # (document title, 第X条)
FOLDS = 5


def question_hash(question: str) -> str:
    """A remembered question's key, as the held-out list writes it: sha1 of the NFKC text
    without whitespace and punctuation."""
    text = "".join(c for c in unicodedata.normalize("NFKC", question)
                   if not c.isspace() and not unicodedata.category(c).startswith("P"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class QuestionMemory:
    vectors: np.ndarray  # one unit row per remembered question
    golds: tuple[tuple[Article, ...], ...]  # each question's gold articles
    hashes: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def recall(self, vector: np.ndarray, threshold: float) -> dict[Article, float]:
        """The articles of the remembered questions within ``threshold`` cosine of ``vector``,
        each with its closest question's cosine. Nothing when the vector is of another size
        (an embedder the memory was not built with)."""
        if vector.shape[-1] != self.vectors.shape[1]:
            return {}
        cosines = self.vectors @ vector
        found: dict[Article, float] = {}
        for number in np.flatnonzero(cosines >= threshold):
            for article in self.golds[number]:
                found[article] = max(found.get(article, 0.0), round(float(cosines[number]), 6))
        return found

    def without(self, numbers) -> "QuestionMemory":
        """The memory less the questions ``numbers`` (to score a question it must not find)."""
        kept = np.setdiff1d(np.arange(len(self.golds)), np.asarray(list(numbers), dtype=np.int64))
        return QuestionMemory(self.vectors[kept], tuple(self.golds[i] for i in kept),
                              tuple(self.hashes[i] for i in kept) if self.hashes else (), self.meta)

    def folded(self, question: str, folds: int = FOLDS) -> "QuestionMemory":
        """The memory to search ``question`` with where its answer must not come from itself:
        less every remembered question of its fold (the hash modulo ``folds``) when it is
        remembered, else the whole memory."""
        key = question_hash(question)
        if key not in self.hashes:
            return self
        fold = int(key, 16) % folds
        return self.without(i for i, h in enumerate(self.hashes) if int(h, 16) % folds == fold)

    def __deepcopy__(self, memo) -> "QuestionMemory":
        return self  # immutable; Haystack deep-copies every component input

    def to_bytes(self) -> bytes:
        return npz_bytes(vectors=self.vectors.astype(np.float32),
                         golds=np.array(json.dumps([[list(a) for a in g] for g in self.golds], ensure_ascii=False)),
                         hashes=np.array(self.hashes, dtype=str),
                         meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)))

    def save(self, path: Path = MEMORY_FILE) -> None:
        write_shipped(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path = MEMORY_FILE) -> "QuestionMemory | None":
        """The memory in ``path``, or None when there is none (the search then goes without)."""
        if not path.is_file():
            return None
        with np.load(path) as data:
            vectors = data["vectors"].astype(np.float32)
            golds = tuple(tuple((title, article) for title, article in g) for g in json.loads(str(data["golds"])))
            hashes = tuple(str(h) for h in data["hashes"])
            meta = json.loads(str(data["meta"]))
        if vectors.ndim != 2 or len(vectors) != len(golds):
            raise ValueError(f"问题记忆文件 {path} 不完整:{vectors.shape} 个向量,{len(golds)} 组答案条文")
        return cls(vectors, golds, hashes, meta)
