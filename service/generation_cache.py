"""What the knowledge base builds from its store (the index, the retriever, one desk per
capability), kept for the store's generation: a commit, a rollback or a replica's refresh
moves the generation, and everything built for another one is dropped on the next read.

>>> generation = [1]
>>> cache = GenerationCache(lambda: generation[0])
>>> cache.get("desk", lambda: ["built for 1"])
['built for 1']
>>> cache.get("desk", lambda: ["built again"])  # same generation: the same object
['built for 1']
>>> generation[0] = 2
>>> cache.get("desk", lambda: ["built for 2"])
['built for 2']

A ``variant`` (the exam desk's day) keeps one value per name: asking for another replaces it.

>>> cache.get("exams", lambda: "2024-01-01 desk", variant="2024-01-01")
'2024-01-01 desk'
>>> cache.get("exams", lambda: "2025-06-01 desk", variant="2025-06-01")
'2025-06-01 desk'
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class GenerationCache:
    def __init__(self, generation: Callable[[], int]):
        self._generation = generation
        self._built_for: int | None = None
        self._values: dict[str, tuple[Hashable, object]] = {}

    def get(self, name: str, build: Callable[[], T], variant: Hashable = None) -> T:
        """The value under ``name`` built for the current generation (and ``variant``), built now if there is none."""
        self._follow_generation()
        held = self._values.get(name)
        if held is not None and held[0] == variant:
            return held[1]  # type: ignore[return-value]
        return self.put(name, build(), variant)

    def put(self, name: str, value: T, variant: Hashable = None) -> T:
        """Keep ``value`` (built elsewhere for the current generation) under ``name``."""
        self._follow_generation()
        self._values[name] = (variant, value)
        return value

    def _follow_generation(self) -> None:
        generation = self._generation()
        if generation != self._built_for:
            self._values.clear()
            self._built_for = generation

    def clear(self) -> None:
        self._values.clear()
