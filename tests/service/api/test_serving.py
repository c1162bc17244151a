"""The serving copy: requests read it side by side, and a copy swapped out by a write stays
open until its last request has finished."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from regkb.service.http.serving import ServingKnowledgeBase
from regkb.service.settings import Settings

QUESTION = "生产经营单位的主要负责人有哪些安全生产职责"


@pytest.fixture
def serving(served_home):
    serving = ServingKnowledgeBase(Settings(home=served_home, show_progress=False))
    yield serving
    serving.close()


def _answer(kb) -> str:
    """The first hit's chunk: what two copies of one state must agree on (the test is about
    serving, not ranking; 第二十一条 and 第五条 score within a few hundredths here)."""
    return kb.search(QUESTION, k=1).hits[0].chunk_id


def test_two_requests_read_at_once(serving):
    both_inside = threading.Barrier(2, timeout=30)
    answers = []
    with serving.reading() as kb:
        expected = _answer(kb)

    def request():
        with serving.reading() as kb:
            both_inside.wait()  # would time out if requests took turns
            answers.append(_answer(kb))

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [expected, expected]


def test_swapped_out_copy_closes_after_its_last_request(serving):
    inside, swapped = threading.Event(), threading.Event()
    seen = {}

    def long_request():
        with serving.reading() as kb:
            seen["copy"] = kb
            seen["before"] = _answer(kb)
            inside.set()
            swapped.wait(timeout=60)
            seen["after"] = _answer(kb)  # the old copy still answers, as it did

    thread = threading.Thread(target=long_request)
    thread.start()
    assert inside.wait(timeout=60)
    with serving.writing():
        pass  # a write that changes nothing still swaps in a fresh copy
    swapped.set()
    thread.join()
    assert seen["after"] == seen["before"]
    with pytest.raises(sqlite3.ProgrammingError):  # closed by its last request
        seen["copy"].store.documents()
    with serving.reading() as kb:
        assert kb is not seen["copy"]
        assert _answer(kb) == seen["before"]


def test_a_written_copy_shares_the_serving_copys_model(serving):
    with serving.reading() as kb:
        before = kb.embedder, kb.tokenizer
    with serving.writing() as written:
        assert (written.embedder, written.tokenizer) == before  # not a second model in memory
    with serving.reading() as kb:
        assert kb is written and kb.embedder is before[0] and kb.tokenizer is before[1]


def test_faiss_runs_one_thread_while_any_search_runs():
    """Overlapping searches: the count is restored when the last one ends, not the first."""
    import faiss

    from regkb.index.search_index import single_threaded

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(2)
    try:
        first, second = single_threaded(), single_threaded()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert faiss.omp_get_max_threads() == 1  # the second search is still running
        second.__exit__(None, None, None)
        assert faiss.omp_get_max_threads() == 2
    finally:
        faiss.omp_set_num_threads(before)
