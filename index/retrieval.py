"""Retrieval: Haystack components for BM25, dense and fused search, and the query pipeline.

``build_query_pipeline`` wires them; ``Retriever`` runs the pipeline for one mode.

>>> retriever = Retriever(index, chunk_texts, tokenizer, embedder)  # doctest: +SKIP
>>> retriever.retrieve("生产经营单位主要负责人有哪些职责", k=5, mode=SearchMode.hybrid)  # doctest: +SKIP
[(812, 0.88...), ...]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from regkb.haystack_import import import_haystack

import_haystack()
from haystack import Pipeline, component  # noqa: E402

from regkb.index.article_ref import ArticleReferenceLookup, ArticleRows
from regkb.index.choices import SearchMode
from regkb.index.bm25 import phrase_boost
from regkb.index.embedders import Embedder, embed_search_queries
from regkb.index.fusion import FusionWeights, fuse, lift
from regkb.index.hits import HitList, Hits
from regkb.index.legal_prior import LegalPriorRanker, title_subjects
from regkb.index.question_memory import QuestionMemory
from regkb.index.regions import is_national
from regkb.index.search_index import SearchFilters, SearchIndex, single_threaded
from regkb.index.tokenizer import ChineseTokenizer, compounds

ChunkTexts = Callable[[list[int]], list[str]]  # index rows → the chunks' texts

# Each list feeding the fusion is this deep, whatever k the user asked for.
CANDIDATES = 50


@dataclass(frozen=True)
class QueryTerms:
    """The query's BM25 ``tokens``; the documents' ``terms`` for its plain words (thesaurus),
    whole for the embedder and as weighted BM25 tokens in ``expansion``.

    Immutable and copied as itself: Haystack deep-copies component inputs element by element
    with a slow type check on each, which cost ~4 ms a query on plain lists and dicts."""

    tokens: tuple[str, ...]
    expansion: Mapping[str, float]
    terms: tuple[str, ...]

    def __deepcopy__(self, memo) -> "QueryTerms":
        return self


@component
class QueryTokenizer:
    """Segments the query and finds the documents' terms for its plain words (thesaurus)."""

    def __init__(self, tokenizer: ChineseTokenizer):
        self.tokenizer = tokenizer

    @component.output_types(terms=QueryTerms, thesaurus=list[str])
    def run(self, query: str) -> dict:
        terms = QueryTerms(tokens=tuple(self.tokenizer.tokenize(query)),
                           expansion=MappingProxyType(self.tokenizer.weighted_expansion(query)),
                           terms=tuple(self.tokenizer.expansion_terms(query)))
        return {"terms": terms, "thesaurus": list(terms.terms)}


@component
class Bm25Retriever:
    """BM25 over the indexed chunks, re-ranked by verbatim phrase overlap with the query;
    also reports how much of the query's rarity it matched.

    ``also``: the dense retriever's hits, which keep their BM25 score below the top ``top_k``:
    in a library the local copies of an article can
    fill BM25's first fifty with their titles, and the national article the embeddings rank
    second would otherwise be fused as if BM25 had found nothing in it.

    A compound token whose two pieces are tokens too (``tokenizer.compounds``) weighs
    ``compound_weight``: of two articles of one law, the one that writes the compound across
    another word (应急管理体制) is not outscored by one that only repeats the question's other words."""

    def __init__(self, index: SearchIndex, chunk_texts: ChunkTexts, expansion_weight: float = 1.0,
                 phrase_weight: float = 2.0, compound_weight: float = 0.5):
        self.index = index
        self.chunk_texts = chunk_texts
        self.expansion_weight = expansion_weight
        self.phrase_weight = phrase_weight
        self.compound_weight = compound_weight

    @component.output_types(hits=HitList, coverage=float)
    def run(self, query: str, terms: QueryTerms, top_k: int, allowed: np.ndarray | None = None,
            also: HitList | None = None) -> dict:
        tokens = list(terms.tokens)
        joined = compounds(tokens)  # weighed as expansion terms are (by expansion_weight too, hence the division)
        expansion = {**terms.expansion, **dict.fromkeys(joined, self.compound_weight / self.expansion_weight)}
        hits = self.index.bm25.search_including([t for t in tokens if t not in joined], top_k, allowed, expansion,
                                                self.expansion_weight, also.rows() if also else ())
        hits = phrase_boost(query, hits, self.chunk_texts([row for row, _ in hits]), self.phrase_weight)
        idfs = [self.index.bm25.idf(w) for w in set(tokens)]
        unknown_weight = max(idfs, default=0.0) or 1.0  # a word the corpus never uses counts as rare and unmatched
        total = sum(i if i > 0 else unknown_weight for i in idfs)
        coverage = sum(idfs) / total if total else 0.0
        return {"hits": HitList.of(hits), "coverage": coverage}


def embedded_query(query: str, terms: Sequence[str]) -> str:
    """The text the embedder sees: the query, and the documents' terms for its plain words in
    brackets after it (老板 → 主要负责人), so the embedder meets the statute's vocabulary too."""
    return f"{query}（{'、'.join(terms)}）" if terms else query


@component
class QueryEmbedder:
    """Embeds the query as ``embedded_query`` writes it, with the encoder tuned for search
    where the embedder has one."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    @component.output_types(vector=np.ndarray)
    def run(self, query: str, terms: QueryTerms) -> dict:
        return {"vector": embed_search_queries(self.embedder, [embedded_query(query, terms.terms)])[0]}


@component
class DenseRetriever:
    """Nearest chunks by embedding (FAISS), each scored by its whole text and its best
    sentence: (1 − w)·cos(chunk) + w·max cos(sentence), so the one sentence that answers
    is not diluted by the rest of a long article."""

    def __init__(self, index: SearchIndex, evidence_weight: float = 0.7):
        self.index = index
        self.evidence_weight = evidence_weight

    @component.output_types(hits=HitList)
    def run(self, vector: np.ndarray, top_k: int, allowed: np.ndarray | None = None) -> dict:
        with single_threaded():
            chunks = dict(self.index.dense_search(vector, top_k, allowed))
            if not self.evidence_weight or getattr(self.index, "sentences", None) is None:  # a backend without them
                return {"hits": HitList.ranked(chunks.items())}
            best = self.index.sentence_search(vector, 2 * top_k, allowed)
            chunks.update(self.index.chunk_scores(vector, [row for row in best if row not in chunks]))
            best.update(self.index.sentence_scores(vector, [row for row in chunks if row not in best]))
        weight = self.evidence_weight
        scores = {row: (1 - weight) * score + weight * best.get(row, score) for row, score in chunks.items()}
        return {"hits": HitList.ranked(scores.items()).top(top_k)}


@component
class RankFuser:
    """Score (or reciprocal-rank) fusion, BM25's weight following its query coverage."""

    def __init__(self, weights: FusionWeights):
        self.weights = weights

    @component.output_types(hits=HitList)
    def run(self, bm25_hits: HitList, dense_hits: HitList, coverage: float) -> dict:
        return {"hits": HitList.of(fuse(list(bm25_hits), list(dense_hits), coverage, self.weights))}


@component
class MemoryLift:
    """Lifts the articles that settled remembered questions close to this one (the question
    memory, an input of each run: ``Retriever.memory``): their chunks among the fused
    candidates (in force, not filtered out) gain."""

    def __init__(self, rows, weights: FusionWeights):
        self.article_rows = ArticleRows(rows)
        self.weights = weights

    @component.output_types(hits=HitList)
    def run(self, vector: np.ndarray, hits: HitList, memory: QuestionMemory | None = None,
            allowed: np.ndarray | None = None) -> dict:
        found = memory.recall(vector, self.weights.memory_threshold) if memory is not None else {}
        if not found:
            return {"hits": hits}
        recalled: dict[int, float] = {}
        for (title, article), cosine in found.items():
            for row in self.article_rows(title, article, allowed):
                recalled[row] = max(recalled.get(row, 0.0), cosine)
        return {"hits": HitList.of(lift(list(hits), recalled, self.weights.memory_weight,
                                        self.weights.memory_threshold))}


@component
class ListQuestionBooster:
    """Lifts enumerating clauses (``…下列职责：（一）…``) for questions that ask for a list
    (``有哪些`` / ``包括什么``): the article that lists the items answers them, not the
    one that merely names the topic. Only the top of the fused list is re-ordered."""

    LIST_QUESTION = re.compile(r"哪些|哪几|包括什么|有什么|几种|几类|都有啥|有啥")
    ENUMERATION = re.compile(r"下列[^。]{0,12}[:：]\s*\n?[（(]一[)）]")

    def __init__(self, chunk_texts: ChunkTexts, boost: float = 1.3, depth: int = 20):
        self.chunk_texts = chunk_texts
        self.boost = boost
        self.depth = depth

    @component.output_types(hits=HitList)
    def run(self, query: str, hits: HitList) -> dict:
        if not self.LIST_QUESTION.search(query):
            return {"hits": hits}
        top, rest = hits[: self.depth], hits[self.depth :]
        texts = self.chunk_texts([row for row, _ in top])
        top = [(row, score * (self.boost if self.ENUMERATION.search(text) else 1.0)) for (row, score), text in zip(top, texts)]
        return {"hits": HitList(HitList.ranked(top).pairs + rest)}


def build_query_pipeline(mode: SearchMode, index: SearchIndex, chunk_texts: ChunkTexts, tokenizer: ChineseTokenizer,
                         embedder: Embedder | None, weights: FusionWeights,
                         document_regions: list[str | None] | None = None,
                         national_titles: list[str] | None = None) -> Pipeline:
    """query → tokens and thesaurus terms → BM25 and/or dense (chunk + sentence) → score
    fusion → the question memory's lift → list booster → legal prior (authority, region, a
    sector not named, penalty articles) → cited articles first."""
    pipeline = Pipeline()
    pipeline.add_component("query_tokenizer", QueryTokenizer(tokenizer))
    if mode in (SearchMode.bm25, SearchMode.hybrid):
        pipeline.add_component("bm25", Bm25Retriever(index, chunk_texts))
        pipeline.connect("query_tokenizer.terms", "bm25.terms")
    if mode in (SearchMode.dense, SearchMode.hybrid):
        pipeline.add_component("query_embedder", QueryEmbedder(embedder))
        pipeline.add_component("dense", DenseRetriever(index))
        pipeline.connect("query_tokenizer.terms", "query_embedder.terms")
        pipeline.connect("query_embedder.vector", "dense.vector")
    if document_regions is None:
        document_regions = sorted({row.region for row in index.rows if row.region})
    if national_titles is None:
        national_titles = sorted({row.title for row in index.rows if is_national(row) and row.title})
    pipeline.add_component("legal_prior", LegalPriorRanker(index.rows, document_regions,
                                                           subjects=title_subjects(national_titles, tokenizer.tokenize)))
    pipeline.connect("query_tokenizer.thesaurus", "legal_prior.thesaurus")
    if mode is SearchMode.hybrid:
        pipeline.add_component("fuser", RankFuser(weights))
        pipeline.connect("bm25.hits", "fuser.bm25_hits")
        pipeline.connect("bm25.coverage", "fuser.coverage")
        pipeline.connect("dense.hits", "fuser.dense_hits")
        pipeline.connect("dense.hits", "bm25.also")
        pipeline.add_component("memory", MemoryLift(index.rows, weights))
        pipeline.connect("query_embedder.vector", "memory.vector")
        pipeline.connect("fuser.hits", "memory.hits")
        pipeline.add_component("list_booster", ListQuestionBooster(chunk_texts))
        pipeline.connect("memory.hits", "list_booster.hits")
        pipeline.connect("list_booster.hits", "legal_prior.hits")
    else:
        pipeline.connect(f"{mode.value}.hits", "legal_prior.hits")
    pipeline.add_component("references", ArticleReferenceLookup(index.rows, chunk_texts))
    pipeline.connect("legal_prior.hits", "references.hits")
    return pipeline


class Retriever:
    """Runs the query pipeline of a mode over one index; pipelines are built once."""

    def __init__(self, index: SearchIndex, chunk_texts: ChunkTexts, tokenizer: ChineseTokenizer,
                 embedder: Embedder | None, weights: FusionWeights | None = None,
                 document_regions: list[str | None] | None = None, national_titles: list[str] | None = None,
                 memory: QuestionMemory | None = None):
        self.index = index
        # the places the documents are of and the national documents' titles (None: read from the
        # rows, which a backend that fetches rows one by one passes instead)
        self.document_regions = document_regions
        self.national_titles = national_titles
        self.chunk_texts = chunk_texts
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.weights = weights or FusionWeights()
        # the question memory, embedded with ``embedder``'s query encoder; read on each search, so a
        # trainer may search a question with the memory less that question's fold
        self.memory = memory
        self._pipelines: dict[SearchMode, Pipeline] = {}

    def using(self, embedder: Embedder) -> "Retriever":
        """The same retriever with another embedder (its own pipelines; this one is untouched), and
        without the question memory, whose vectors that embedder did not make."""
        return Retriever(self.index, self.chunk_texts, self.tokenizer, embedder, self.weights, self.document_regions,
                         self.national_titles)

    def retrieve(self, query: str, k: int, mode: SearchMode = SearchMode.hybrid,
                 filters: SearchFilters | None = None, region: str | None = None) -> Hits:
        """The top ``k`` rows; ``filters`` exclude rows, ``region`` (辽宁) only ranks: that
        place's documents and the national ones lead, other places' drop below them."""
        if mode is not SearchMode.bm25 and self.embedder is None:
            raise ValueError("没有可用的向量模型,只能使用 bm25 检索模式")
        pipeline = self._pipelines.get(mode)
        if pipeline is None:
            pipeline = self._pipelines[mode] = build_query_pipeline(mode, self.index, self.chunk_texts, self.tokenizer,
                                                                    self.embedder, self.weights, self.document_regions,
                                                                    self.national_titles)
        allowed = self.index.allowed(filters)
        depth = max(k, CANDIDATES)
        inputs: dict = {"query_tokenizer": {"query": query}, "legal_prior": {"query": query, "region": region},
                        "references": {"query": query, "allowed": allowed}}
        if mode in (SearchMode.bm25, SearchMode.hybrid):
            inputs["bm25"] = {"query": query, "top_k": depth, "allowed": allowed}
        if mode in (SearchMode.dense, SearchMode.hybrid):
            inputs["query_embedder"] = {"query": query}
            inputs["dense"] = {"top_k": depth, "allowed": allowed}
        if mode is SearchMode.hybrid:
            inputs["list_booster"] = {"query": query}
            inputs["memory"] = {"memory": self.memory, "allowed": allowed}
        return list(pipeline.run(inputs)["references"]["hits"][:k])
