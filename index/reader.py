"""The reader: multilingual-e5-small reading a question and one candidate article together.

The search embeds the question and the article apart and compares the two vectors; the
reader puts both in one sequence (``<s> query: 问题 </s></s> passage: 条文 </s>``), so the
attention of every layer can match the question's words against the article's. Its score
is a linear head on the mean of the last layer. The weights are e5's own, with low-rank
updates ``W + B·A`` to the attention projections of the upper layers, learned by
``python -m regkb.eval.training.reader`` on labelled questions and the search's hits for
them (which questions, and the figures, are in that module and in ``eval/RESULTS.md``).
The updates are merged into a third ONNX graph of the built model, made like the passage
encoder's portable int8 graph (the same scores on every x86-64 CPU) on the reader's first
use; the head runs here.

The answer desk does not use it: it puts the gold article first among the search's five
more often on the held-out dev questions, but as a signal of the support model it lost on
dev (fewer gold answers at the thresholds the dev sets set), and it costs about as much as
the rest of an answer (``eval/RESULTS.md``, issue 21).

The file is ``index/data/reader.npz``: the factors as ``query_adapter.npz`` holds them,
``head.weight`` (hidden size) and ``head.bias``, and ``meta``.

>>> passage_text("安全生产法", "第一条", "为了加强安全生产工作。", 0)
'安全生产法第一条 为了加强安全生产工作。'
>>> pair_ids([7, 8], [9] * 300, bos=0, eos=2)[:6], len(pair_ids([7, 8], [9] * 300, bos=0, eos=2)) == MAX_TOKENS
([0, 7, 8, 2, 2, 9], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regkb.index.query_adapter import QueryAdapter, adapter_sha256

READER_FILE = Path(__file__).parent / "data" / "reader.npz"
MAX_TOKENS = 128  # one question and article, special tokens included
QUESTION_TOKENS = 40  # a longer question is cut here
WHOLE_ARTICLE_CHARS = 150  # an article this short is read whole; a longer one from its best sentence


def passage_text(title: str | None, article: str | None, text: str, best: int) -> str:
    """What the reader reads of a candidate: its law and article, then the article whole when
    short, else its first sentence (a list's lead-in, the article's subject) and the text from
    its best sentence (``text[best:]``, the sentence that covers most of the question) on."""
    heading = f"{(title or '').removeprefix('中华人民共和国')}{article or ''}"
    if len(text) <= WHOLE_ARTICLE_CHARS or best <= 0:
        body = text
    else:
        first = text.find("。") + 1 or len(text)
        body = text[:first] + ("…" + text[best:] if best > first else text[first:])
    return f"{heading} {body.strip()}"


def pair_ids(question: list[int], passage: list[int], *, bos: int, eos: int) -> list[int]:
    """One sequence of a question's and a passage's content token ids, cut to ``MAX_TOKENS``."""
    question = question[:QUESTION_TOKENS]
    return [bos, *question, eos, eos, *passage[: MAX_TOKENS - len(question) - 4], eos]


@dataclass(frozen=True)
class ReaderHead:
    """score = weight · mean of the last layer + bias."""

    weight: np.ndarray
    bias: float

    @classmethod
    def of(cls, factors: QueryAdapter) -> "ReaderHead":
        return cls(np.asarray(factors.arrays["head.weight"], dtype=np.float32).reshape(-1),
                   float(np.asarray(factors.arrays["head.bias"]).reshape(-1)[0]))

    def __call__(self, pooled: np.ndarray) -> np.ndarray:
        return np.asarray(pooled, dtype=np.float32) @ self.weight + self.bias


def load_factors(path: Path = READER_FILE) -> QueryAdapter | None:
    """The reader's factors and head, or None when the project ships none."""
    factors = QueryAdapter.load(path)
    if factors is not None and not {"head.weight", "head.bias"} <= set(factors.arrays):
        raise ValueError(f"阅读器文件 {path} 缺少 head.weight / head.bias")
    return factors


def reader_sha256(path: Path = READER_FILE) -> str | None:
    return adapter_sha256(path)


class Reader:
    """Scores (question, passage texts) with the merged int8 graph of a built model folder.

    ``Reader.load()`` builds the graph on first use in an older model folder (as the query
    graph is), and is None when the model or the factor file is missing.
    """

    def __init__(self, folder: Path, graph: Path, head: ReaderHead):
        from regkb.index.embedders import OnnxE5Embedder

        self._encoder = OnnxE5Embedder(folder, "int8", graph=graph)
        self.head = head

    @classmethod
    def load(cls) -> "Reader | None":
        from regkb.index.e5_convert import default_model_path, ensure_reader_graph

        folder = default_model_path()
        factors = load_factors()
        if folder is None or factors is None:
            return None
        return cls(folder, ensure_reader_graph(folder), ReaderHead.of(factors))

    def windows(self, question: str, passages: list[str]) -> list[list[int]]:
        encoder = self._encoder
        asked = encoder.tokenize([question], encoder.query_prefix)[0]
        return [pair_ids(asked, ids, bos=encoder.bos, eos=encoder.eos)
                for ids in encoder.tokenize(passages, encoder.passage_prefix)]

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """One score per passage (a logit: higher reads as more likely the answer)."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        return self.head(self._encoder.pooled(self.windows(question, passages)))
