"""The answer desk reads each candidate with the reader: its score is a support signal, and
it moves which article is quoted first."""

from __future__ import annotations

import numpy as np
import pytest

from regkb.index.reader import passage_text
from regkb.service.answers.desk import AnswerDesk
from regkb.service.answers.support import SupportModel, feature_names

QUESTION = "车间里的灭火器过期了老板一直不换怎么办"  # written for this test, in no eval set


class FavouriteReader:
    """Scores one passage high and the others low, and records what it was given."""

    def __init__(self, favourite: int):
        self.favourite = favourite
        self.read: list[str] = []

    def scores(self, question, passages):
        self.read = list(passages)
        return np.array([5.0 if i == self.favourite else -5.0 for i in range(len(passages))])


def reader_only() -> SupportModel:
    names = feature_names()
    weights = np.array([1.0 if n == "reader" else 0.0 for n in names])
    return SupportModel(tuple(names), np.zeros(len(names)), np.ones(len(names)), weights, 0.0, np.zeros(384), 10.0,
                        {"medium": 0.0, "high": 0.0})


@pytest.mark.slow
def test_candidates_carry_the_readers_scores(law_kb):
    desk = AnswerDesk(law_kb)
    assert desk.reader is not None, "the built model has no reader graph (regkb model build)"
    candidates, _ = desk.candidates(QUESTION, desk.hits(QUESTION, None))
    texts = [passage_text(hit.title, hit.article, hit.text, unit.start) for hit, unit, _ in candidates]
    expected = desk.reader.scores(QUESTION, texts)
    assert [s.reader for _, _, s in candidates] == pytest.approx(expected.tolist(), abs=1e-5)
    assert len(set(np.round(expected, 4))) > 1  # read, not a constant


@pytest.mark.slow
@pytest.mark.parametrize("favourite", [1, 3])
def test_the_reader_decides_the_article_quoted_first(law_kb, favourite):
    desk = AnswerDesk(law_kb, support=reader_only())
    desk.reader = FavouriteReader(favourite)
    hits = desk.hits(QUESTION, None)
    candidates, _ = desk.candidates(QUESTION, hits)
    assert len(desk.reader.read) == len(candidates) == 5
    answer = desk.ask(QUESTION)
    assert answer.citations[0].chunk_id == candidates[favourite][0].chunk_id
