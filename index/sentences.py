"""Sentence-level evidence: the clauses of a chunk, each embedded on its own.

A long article that answers a question in one sentence scores low as a whole: its other
sentences pull the chunk's embedding elsewhere. Each sentence (cut at 。；！？ and line
breaks; very short pieces join their neighbour) is embedded with the document's title in
front, and a chunk is scored by its best sentence as well as by its whole text.

>>> split_sentences("第十条 用人单位应当按时缴纳工伤保险费。职工个人不缴纳工伤保险费。")
['第十条 用人单位应当按时缴纳工伤保险费。', '职工个人不缴纳工伤保险费。']
>>> evidence_text("工伤保险条例", "职工个人不缴纳工伤保险费。")
'工伤保险条例 职工个人不缴纳工伤保险费。'
"""

from __future__ import annotations

import re
from functools import lru_cache

_BOUNDARY = re.compile(r"(?<=[。；;！？!?])|\n")
MIN_CHARS = 8  # shorter pieces (a bare "（一）" or heading) join the next sentence


def split_sentences(text: str) -> list[str]:
    """The chunk's sentences in order; a chunk of one sentence gives one."""
    sentences: list[str] = []
    pending = ""
    for piece in _BOUNDARY.split(text):
        piece = piece.strip()
        if not piece:
            continue
        pending += piece
        if len(pending) >= MIN_CHARS:
            sentences.append(pending)
            pending = ""
    if pending:
        if sentences:
            sentences[-1] += pending
        else:
            sentences.append(pending)
    return sentences


@lru_cache(maxsize=1 << 17)
def _split(text: str) -> tuple[str, ...]:
    """``split_sentences``, remembered: an add to a library splits every indexed chunk again."""
    return tuple(split_sentences(text))


def evidence_text(title: str | None, sentence: str) -> str:
    """What the embedder sees for one sentence: the document's title gives it its context."""
    return f"{title} {sentence}" if title else sentence


def chunk_evidence(title: str | None, text: str) -> list[str]:
    """The texts to embed for a chunk's sentences; none when the chunk is a single sentence
    (the chunk's own vector already is that sentence's)."""
    sentences = split_sentences(text)
    return [evidence_text(title, s) for s in sentences] if len(sentences) > 1 else []


def sentence_evidence(chunks: list[tuple[str | None, str]],
                      precedence: list[tuple] | None = None) -> tuple[list[str], list[int]]:
    """For ``(title, chunk text)`` pairs in row order: the sentence texts to embed, and the
    row each belongs to (ascending).

    With ``precedence`` (a sort key per chunk), a sentence said word for word in several
    chunks (a local regulation restating the law) is embedded once: every chunk holding it
    uses the text of the chunk whose key sorts first, e.g. the national document's.

    >>> law, copy = "第五条 甲应当做乙事项。丙应当做丁事项。", "第九条 戊应当做己事项。丙应当做丁事项。"
    >>> sentence_evidence([("安全生产法", law), ("某省条例", copy)], [(0, "安全生产法"), (1, "某省条例")])
    (['安全生产法 第五条 甲应当做乙事项。', '安全生产法 丙应当做丁事项。', '某省条例 第九条 戊应当做己事项。', '安全生产法 丙应当做丁事项。'], [0, 0, 1, 1])
    """
    split = [_split(text) for _, text in chunks]
    first: dict[str, tuple[tuple, str]] = {}  # sentence → (key, its evidence text) of the chunk first in precedence
    if precedence is not None:
        for row, ((title, _), sentences) in enumerate(zip(chunks, split)):
            for sentence in sentences if len(sentences) > 1 else ():
                if sentence not in first or precedence[row] < first[sentence][0]:
                    first[sentence] = (precedence[row], evidence_text(title, sentence))
    texts: list[str] = []
    rows: list[int] = []
    for row, ((title, _), sentences) in enumerate(zip(chunks, split)):
        if len(sentences) < 2:
            continue  # the chunk's own vector already is that sentence's
        texts += [first[s][1] if s in first else evidence_text(title, s) for s in sentences]
        rows += [row] * len(sentences)
    return texts, rows
