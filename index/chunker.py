"""Structure-aware chunking: blocks → chunks of roughly 100–500 characters.

A chunk never crosses a section boundary, and never crosses a law article: an article
is one chunk unless it is long, then it is split between its 款/项. Short paragraphs of
one section are packed together; a long paragraph is cut at sentence ends. Table rows
of one table are packed together, each row keeping its header.

>>> blocks = [Block(text="第二十一条 主要负责人负有下列职责：", kind="article", article="第二十一条"),
...           Block(text="（一）建立健全全员安全生产责任制；", kind="item", article="第二十一条"),
...           Block(text="第二十二条 全员安全生产责任制应当明确……", kind="article", article="第二十二条")]
>>> chunks = StructureChunker().split("d1", blocks)
>>> [(c.chunk_id, c.article) for c in chunks]
[('d1:00000', '第二十一条'), ('d1:00001', '第二十二条')]
>>> chunks[0].text.splitlines()
['第二十一条 主要负责人负有下列职责：', '（一）建立健全全员安全生产责任制；']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regkb.corpus.models import Block, Chunk

_SENTENCE = re.compile(r"(?<=[。！？；;!?])")


@dataclass(frozen=True)
class ChunkerSettings:
    max_chars: int = 500  # hard upper bound of a chunk (except one sentence longer than it)
    target_chars: int = 320  # pack paragraphs of a section until about this size


def _unit_key(block: Block) -> tuple:
    """Blocks with the same key may share a chunk."""
    return (tuple(block.section_path), block.article, block.kind == "table_row")


def _split_long(text: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in filter(None, _SENTENCE.split(text)):
        if current and len(current) + len(sentence) > max_chars:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


class StructureChunker:
    def __init__(self, settings: ChunkerSettings | None = None):
        self.settings = settings or ChunkerSettings()

    def split(self, doc_id: str, blocks: list[Block]) -> list[Chunk]:
        chunks: list[Chunk] = []
        group: list[Block] = []

        def emit(text: str, first: Block) -> None:
            chunks.append(Chunk(
                chunk_id=f"{doc_id}:{len(chunks):05d}", doc_id=doc_id, seq=len(chunks), text=text,
                section_path=first.section_path, article=first.article, page=first.page,
                kind="table" if first.kind == "table_row" else "text",
            ))

        def flush() -> None:
            if not group:
                return
            limit = self.settings.max_chars if group[0].article else self.settings.target_chars
            current: list[Block] = []
            size = 0
            for block in group:
                if current and size + len(block.text) > limit:
                    emit("\n".join(b.text for b in current), current[0])
                    current, size = [], 0
                if len(block.text) > self.settings.max_chars:
                    for piece in _split_long(block.text, self.settings.max_chars):
                        emit(piece, block)
                    continue
                current.append(block)
                size += len(block.text) + 1
            if current:
                emit("\n".join(b.text for b in current), current[0])
            group.clear()

        for block in blocks:
            if group and _unit_key(group[0]) != _unit_key(block):
                flush()
            group.append(block)
        flush()
        return chunks
