"""The duty search on the Milvus backend: the duties of one knowledge base in two collections,
scored there.

- ``<prefix>_duties``: one entity per duty (``pk`` = its row in the store's order), ``sparse``:
  the BM25 term weights of its whole text (headings, task, departments).
- ``<prefix>_duty_sentences``: one entity per sentence (``pk`` = its number), ``sparse`` (the
  sentence's BM25 weights, over the sentences' own statistics) and ``dense`` (its embedding).
- ``<prefix>_state``: row ``duties`` (the store generation the collections reflect) and the two
  vocabularies (``duties.df:<code>``, ``duty_sentences.df:<code>``), as for the chunks.

Duties are few (hundreds in the shared corpus) and every duty is scored for every question
(the scores are scaled over all duties), so the collections are rewritten whole when the
store's generation moves on, and a search asks for every entity: up to ``MAX_RESULTS`` (Milvus's
largest ``limit``); beyond that the sentences left out score as the lowest one returned.
BM25 is the chunks' sparse inner product (``milvus.MilvusKeywordIndex``), so the scores are
bm25s's, term for term.

>>> index = MilvusDutyStorage(connect("./milvus.db"), "regkb").load(texts, str.split, embed, generation=7)  # doctest: +SKIP
>>> index.dense_scores(query_vector).shape  # doctest: +SKIP
(412,)
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from regkb.index.backends.milvus import (DENSE_INDEX, MAX_TOKENS, WRITE_BATCH, MilvusKeywordIndex, StateTable, Vocabulary,
                                         as_list, dense_search_params, open_collection, term_weights, token_code)
from regkb.index.duty_search import EXPANSION_WEIGHT, DutyTexts, Embed, Tokenize

FORMAT = 1
MAX_RESULTS = 16_384  # Milvus's largest search limit
_MANIFEST = "duties"


class _Entities:
    """The rows side of ``MilvusKeywordIndex`` for a collection searched by ``pk`` only."""

    fields: tuple[str, ...] = ()

    def __init__(self, count: int):
        self.count = count

    def __len__(self) -> int:
        return self.count

    def hits(self, results: list[dict], sign: float) -> list[tuple[int, float]]:
        return [(int(result["pk"]), sign * float(result["distance"])) for result in results]


class MilvusDutyIndex:
    """``DutyIndex`` over the two collections (see the module's docstring)."""

    def __init__(self, client, prefix: str, manifest: dict, state: StateTable):
        self.client = client
        self.sentences = f"{prefix}_duty_sentences"
        self.size, self.sentence_count = manifest["duties"], manifest["sentences"]
        self.whole = MilvusKeywordIndex(client, f"{prefix}_duties", _Entities(self.size), Vocabulary(state, "duties."))
        self.sentence_keywords = MilvusKeywordIndex(client, self.sentences, _Entities(self.sentence_count),
                                                    Vocabulary(state, "duty_sentences."))
        if self.size:
            open_collection(client, f"{prefix}_duties")
            open_collection(client, self.sentences)

    def bm25_scores(self, tokens: list[str], expansion: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return (self._scores(self.whole, self.size, tokens, expansion),
                self._scores(self.sentence_keywords, self.sentence_count, tokens, expansion))

    @staticmethod
    def _scores(index: MilvusKeywordIndex, size: int, tokens: list[str], expansion: list[str]) -> np.ndarray:
        scores = np.zeros(size, dtype=np.float32)
        for row, score in index.search(tokens, min(size, MAX_RESULTS), None, expansion, EXPANSION_WEIGHT):
            scores[row] = score
        return scores

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        if not self.sentence_count:
            return np.zeros(0, dtype=np.float32)
        results = self.client.search(self.sentences, data=[as_list(query_vector)], anns_field="dense",
                                     limit=min(self.sentence_count, MAX_RESULTS), output_fields=[],
                                     search_params=dense_search_params(self.sentence_count))[0]
        found = {int(result["pk"]): float(result["distance"]) for result in results}
        scores = np.full(self.sentence_count, min(found.values(), default=0.0), dtype=np.float32)
        scores[list(found)] = list(found.values())
        return scores


class MilvusDutyStorage:
    """Keeps the duty collections equal to the store's duties of one generation."""

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix
        self.state = StateTable(client, f"{prefix}_state")
        self.vocabularies = {"duties": Vocabulary(self.state, "duties."),
                             "duty_sentences": Vocabulary(self.state, "duty_sentences.")}

    def load(self, texts: DutyTexts, tokenize: Tokenize, embed: Embed, *, generation: int) -> MilvusDutyIndex:
        marker = self.state.get(_MANIFEST)
        manifest = json.loads(marker["data"]) if marker else {}
        if (manifest.get("format"), manifest.get("generation")) != (FORMAT, generation):
            manifest = self._build(texts, tokenize, embed, generation)
        return MilvusDutyIndex(self.client, self.prefix, manifest, self.state)

    def _build(self, texts: DutyTexts, tokenize: Tokenize, embed: Embed, generation: int) -> dict:
        for name, vocabulary in self.vocabularies.items():
            if self.client.has_collection(f"{self.prefix}_{name}"):
                self.client.drop_collection(f"{self.prefix}_{name}")
            vocabulary.drop()
        if texts.whole:
            vectors = embed(texts.sentences)
            self._write("duties", texts.whole, tokenize, None)
            self._write("duty_sentences", texts.sentences, tokenize, vectors)
        manifest = {"format": FORMAT, "generation": generation, "duties": len(texts.whole),
                    "sentences": len(texts.sentences) if texts.whole else 0}
        self.state.put([{"key": _MANIFEST, "gen": generation, "seq": 0, "data": json.dumps(manifest)}])
        return manifest

    def _write(self, name: str, texts: list[str], tokenize: Tokenize, vectors: np.ndarray | None) -> None:
        """Entities ``pk`` 0… with their BM25 weights (bm25s's, over these texts) and vectors."""
        codes = [[token_code(t) for t in tokenize(text)[:MAX_TOKENS]] for text in texts]
        ids = self.vocabularies[name].count(Counter(c for own in codes for c in set(own)), +1)
        avgdl = float(np.mean([len(own) or 1 for own in codes]))  # bm25s counts an empty text as one token
        create_duty_collection(self.client, f"{self.prefix}_{name}", vectors.shape[1] if vectors is not None else None)
        entities = [{"pk": row, "sparse": term_weights(own, ids, avgdl),
                     **({"dense": vectors[row].tolist()} if vectors is not None else {})}
                    for row, own in enumerate(codes)]
        for start in range(0, len(entities), WRITE_BATCH):
            self.client.insert(f"{self.prefix}_{name}", entities[start : start + WRITE_BATCH])


def create_duty_collection(client, name: str, dim: int | None) -> None:
    """``pk``, the BM25 weights (sparse) and, with ``dim``, the embedding."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    if dim is not None:
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        index.add_index("dense", index_type=DENSE_INDEX["index_type"], metric_type=DENSE_INDEX["metric_type"],
                        params=DENSE_INDEX["params"])
    client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
