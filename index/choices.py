"""A choice the user types (a search mode, a backend), read with a Chinese error that lists
the choices; the choices themselves, here so that the CLI lists them without loading the index.

>>> class Colour(Choice):
...     __label__ = "颜色"
...     red = "red"
>>> Colour.parse("blue")
Traceback (most recent call last):
ValueError: 未知的颜色:blue(可用:red)
"""

from __future__ import annotations

from enum import Enum


class Choice(str, Enum):
    @classmethod
    def parse(cls, value: str):
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"未知的{cls.__label__}:{value}(可用:{'、'.join(c.value for c in cls)})") from None


class SearchMode(Choice):
    __label__ = "检索模式"
    bm25 = "bm25"
    dense = "dense"
    hybrid = "hybrid"


class BackendKind(Choice):
    __label__ = "检索后端"
    faiss = "faiss"
    milvus = "milvus"


# where a local (faiss) knowledge base can be copied to (``regkb migrate --to``)
MIGRATION_TARGETS = tuple(k.value for k in BackendKind if k is not BackendKind.faiss)

# where the torch and sentence-transformers engines run (``cuda:N`` names one GPU too)
DEVICES = ("auto", "cpu", "cuda")
