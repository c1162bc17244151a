"""Shared paths and fixtures: the repository, the shared corpus beside it (``$REGKB_SHARED``
overrides, see ``eval/paths.py``), and knowledge bases in tmp folders.

The one conftest of the suite: test modules import these paths with ``from conftest import …``.
Markers (pyproject.toml): ``slow`` builds models, trains, ingests beyond ``law_kb``, serves over a
socket or in its own process, or feeds hostile input; ``browser`` drives chromium; ``quality`` holds
figures to their bars. ``make test-fast`` leaves all three out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from regkb.eval.paths import shared_corpus

if TYPE_CHECKING:
    import numpy as np

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

REPOSITORY = Path(__file__).resolve().parents[1]
EVAL_DATA = REPOSITORY / "eval" / "data"
SHARED_CORPUS = shared_corpus()
SEEDS = SHARED_CORPUS / "seeds"
LAWS = SHARED_CORPUS / "laws"
SAFETY_LAW = LAWS / "安全生产法(2021-06-10).md"
DIVISION_PLAN = SEEDS / "004_36275ac223ca7fcd.txt"


def pytest_collection_modifyitems(config, items):
    if not SHARED_CORPUS.is_dir():
        pytest.exit(f"shared corpus not found at {SHARED_CORPUS} (set REGKB_SHARED to the folder that holds corpus/)", returncode=4)


# Vectors of the shared corpus's texts embedded so far this session, by (model, text hash): the
# stores the fixtures below build from the same laws share them instead of embedding each law again
# (embedding is most of an ingest). Only these fixtures use it: tests of ingest itself embed afresh.
_EMBEDDED: dict[tuple[str, str], "np.ndarray"] = {}


def pooled_ingest(kb, paths: list[Path]):
    """``kb.ingest(paths)``, its store's embedding cache first filled, text by text as the ingest
    asks, from the vectors other fixtures' stores embedded this session; what this ingest
    embeds joins them, even when the ingest fails. The store ends up holding the vectors a plain
    ingest would have cached."""
    store = kb.store
    own_cached = store.cached_vectors

    def cached_vectors(model_id: str, hashes):
        hashes = list(hashes)
        found = own_cached(model_id, hashes)
        borrowed = [(h, _EMBEDDED[model_id, h]) for h in hashes if h not in found and (model_id, h) in _EMBEDDED]
        if borrowed:
            store.put_vectors(model_id, borrowed)
            found.update(borrowed)
        return found

    store.cached_vectors = cached_vectors  # this store object only, for this ingest only
    try:
        return kb.ingest(paths)
    finally:
        del store.cached_vectors
        # an ingest that fails after embedding (a test of failure) has cached its vectors all the same
        for batch in store.all_vectors():
            _EMBEDDED.update(((model_id, text_hash), vector) for model_id, text_hash, vector in batch)


def laws_kb(home: Path, paths: list[Path]):
    """A knowledge base in ``home`` holding the files ``paths`` (default embedder)."""
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    kb = KnowledgeBase.open(Settings(home=home, show_progress=False))
    report = pooled_ingest(kb, paths)
    assert report.errors == [] and report.added == len(paths)
    return kb


def audited(kb, tmp_path: Path, questions: list[dict]) -> list:
    """The bank audit's results on ``questions`` (type, stem, options, answer) written as a JSON bank."""
    bank = tmp_path / "bank.json"
    bank.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    return kb.check_exam(bank, report=False).results


def audit_verdict(kb, tmp_path: Path, question: dict) -> str:
    """The bank audit's verdict on one question."""
    return audited(kb, tmp_path, [question])[0].verdict


def audit_verdicts(kb, tmp_path: Path, kind: str, stem: str, options: list[str], keys) -> list[str]:
    """The audit's verdict on one question under each of ``keys`` in turn."""
    return [audit_verdict(kb, tmp_path, {"type": kind, "stem": stem, "options": options, "answer": key}) for key in keys]


def judged_false(kb, tmp_path: Path, statement: str) -> tuple[list[str], str | None]:
    """A 判断 statement read by the audit with the key 错 then 对, and by the solver: a false statement
    gives (["agrees", "disagrees"], "false")."""
    verdicts = [audit_verdict(kb, tmp_path, {"type": "judge", "stem": statement, "options": [], "answer": key})
                for key in ("false", "true")]
    return verdicts, kb.solve(statement, [], kind="judge").answer


@pytest.fixture(scope="session")
def law_kb(tmp_path_factory):
    """A knowledge base holding the 安全生产法 and the Liaoning 分工方案, default embedder."""
    return laws_kb(tmp_path_factory.mktemp("law_kb"), [SAFETY_LAW, DIVISION_PLAN])


@pytest.fixture
def small_kb(tmp_path):
    """An empty knowledge base in a fresh folder, default embedder."""
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    return KnowledgeBase.open(Settings(home=tmp_path / "kb", show_progress=False))


@pytest.fixture
def served_home(law_kb, tmp_path):
    """A private copy of ``law_kb``'s folder, for a test that serves it over HTTP and may write to it."""
    from live_server import copy_store

    return copy_store(law_kb.settings.home, tmp_path / "served")


@pytest.fixture
def schemathesis_node_id(request):
    """schemathesis 4.32 reads ``Function._nodeid`` to name the subtest of each operation of a
    schema taken from a fixture; pytest 9.2 keeps the id elsewhere."""
    request.node._nodeid = request.node.nodeid
