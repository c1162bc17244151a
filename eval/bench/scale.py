"""Scale run (issue 5): FAISS index kinds and BM25 at 10k / 100k / 1M synthetic chunks.

    python -m regkb.eval.bench.scale [--sizes 10000,100000,1000000] [--json]

Synthetic data, built so that it behaves like the real thing without embedding 1M texts:

- **vectors** (dim 384): 256 random unit "topics"; 4,096 cluster centres, each a topic plus
  a random offset (centres of one topic have cosine ~0.6); a point is its centre plus up to
  0.7 times a second random centre (points between clusters) plus a low-rank offset (a
  shared random 48-dimensional subspace, norm 0.8) plus isotropic noise (norm 0.35),
  normalised. So neighbours live in clusters inside topics, and inside a
  cluster the spread has low intrinsic dimension, as with sentence embeddings (uniformly
  random vectors would have no real neighbours and make every ANN index look bad).
  Queries are held-out points from the same process plus a little noise; 200 queries tune
  efSearch / nprobe / k_factor (the smallest value reaching recall@10 >= 0.97 there) and
  another 200 measure recall@10 (against exact search) and single-query latency.
- **texts**: the shared corpus (seeds + laws) cut into clauses at punctuation and grouped
  into ~250-character pieces; each synthetic chunk is a random piece (30%: its second half
  taken from another piece) whose clauses are either the original or one of 5 perturbed
  variants (a character dropped, swapped with its neighbour or replaced). jieba cuts text
  into blocks at punctuation and segments each block alone, so a chunk's tokens are exactly
  the concatenation of its clauses' tokens: each clause variant is tokenised once and the
  result is checked against jieba on whole chunks. The time plain jieba would take over all
  chunks is measured on a sample and reported as an estimate.
"""

from __future__ import annotations

import argparse
import gc
import glob
import itertools
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

from regkb.eval.paths import shared_corpus

DIM = 384
K = 10
RECALL_TARGET = 0.95
TUNE_TARGET = 0.97  # tuned on other queries than the measured ones: keep a small margin
N_TOPICS = 256
N_CENTRES = 4096
LOW_RANK = 48
BRIDGE_MAX = 0.7
LOW_RANK_NORM = 0.8
NOISE_NORM = 0.35
QUERY_NOISE_NORM = 0.10
N_TUNE_QUERIES = 200
N_EVAL_QUERIES = 200
N_BM25_QUERIES = 100
N_VARIANTS = 6  # the original clause and 5 perturbed copies
PIECE_CHARS = 250
CORPUS_GLOBS = ("seeds/*.txt", "laws/*.md")  # inside the shared corpus

EF_GRID = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
NPROBE_GRID = (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
K_FACTOR_GRID = (4, 8, 16)

# clause ends: punctuation and newlines, none of which jieba keeps inside a block
_CLAUSE_RE = re.compile(r"[^,。;:、!?,;:!?\n]*[,。;:、!?,;:!?\n]+|[^,。;:、!?,;:!?\n]+$")
_WORD_RE = re.compile(r"\w")


# -- measurement helpers ---------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def percentiles_ms(seconds: list[float]) -> tuple[float, float]:
    arr = np.asarray(seconds) * 1000.0
    return round(float(np.percentile(arr, 50)), 3), round(float(np.percentile(arr, 95)), 3)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(np.intersect1d(f[f >= 0], t)) for f, t in zip(found, truth))
    return hits / truth.size


def machine_info() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import faiss

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "faiss_threads": faiss.omp_get_max_threads(),
    }


# -- synthetic vectors -----------------------------------------------------------------


class VectorModel:
    """The random process behind the synthetic embeddings (see the module docstring)."""

    def __init__(self, dim: int = DIM, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.dim = dim
        topics = _unit(rng.standard_normal((N_TOPICS, dim), dtype=np.float32))
        offsets = _unit(rng.standard_normal((N_CENTRES, dim), dtype=np.float32))
        self.centres = _unit(topics[np.arange(N_CENTRES) % N_TOPICS] + 0.8 * offsets)
        basis, _ = np.linalg.qr(rng.standard_normal((dim, LOW_RANK)))
        self.basis = np.ascontiguousarray(basis.T, dtype=np.float32)  # (LOW_RANK, dim)

    def sample(self, n: int, rng: np.random.Generator, out: np.ndarray | None = None) -> np.ndarray:
        out = np.empty((n, self.dim), dtype=np.float32) if out is None else out
        step = 50_000  # bounded temporaries at 1M
        for start in range(0, n, step):
            stop = min(n, start + step)
            m = stop - start
            block = self.centres[rng.integers(0, N_CENTRES, size=m)]
            # a share of a second, random centre: points between clusters, as chunks that
            # mix two subjects; without it IVF cells match clusters and nprobe=1 is enough
            weight = rng.uniform(0.0, BRIDGE_MAX, size=(m, 1)).astype(np.float32)
            block += weight * self.centres[rng.integers(0, N_CENTRES, size=m)]
            low = rng.standard_normal((m, LOW_RANK), dtype=np.float32) @ self.basis
            block += (LOW_RANK_NORM / math.sqrt(LOW_RANK)) * low
            block += (NOISE_NORM / math.sqrt(self.dim)) * rng.standard_normal(
                (m, self.dim), dtype=np.float32
            )
            out[start:stop] = _unit(block)
        return out


def _unit(x: np.ndarray) -> np.ndarray:
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


def perturb_queries(held_out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(held_out.shape, dtype=np.float32)
    return _unit(held_out + (QUERY_NOISE_NORM / math.sqrt(held_out.shape[1])) * noise)


# -- dense benchmark -------------------------------------------------------------------


def _set_search_param(index, kind: str, value) -> None:
    import faiss

    from regkb.index import ann

    inner = ann.inner_index(index)
    if kind == "hnsw":
        inner.hnsw.efSearch = int(value)
    elif kind == "ivf":
        inner.nprobe = int(value)
    elif kind == "ivfpq":
        nprobe, k_factor = value
        base = faiss.downcast_index(inner.base_index)
        base.nprobe = int(nprobe)
        inner.k_factor = float(k_factor)


def _tune(index, kind: str, tune_q: np.ndarray, tune_truth: np.ndarray) -> tuple[object, float]:
    """Smallest search parameter (cheapest search) whose recall@10 reaches TUNE_TARGET."""
    import faiss

    from regkb.index import ann

    def recall_with(value) -> float:
        _set_search_param(index, kind, value)
        return recall_at_k(ann.search(index, tune_q, K)[1], tune_truth)

    if kind == "hnsw":
        grid = list(EF_GRID)
    elif kind == "ivf":
        nlist = ann.inner_index(index).nlist
        grid = [p for p in NPROBE_GRID if p <= nlist]
    else:
        nlist = faiss.downcast_index(ann.inner_index(index).base_index).nlist
        options = []
        for k_factor in K_FACTOR_GRID:  # cheapest nprobe for each k_factor, then fastest
            for nprobe in (p for p in NPROBE_GRID if p <= nlist):
                recall = recall_with((nprobe, k_factor))
                if recall >= TUNE_TARGET:
                    start = time.perf_counter()
                    ann.search(index, tune_q, K)
                    options.append((time.perf_counter() - start, (nprobe, k_factor), recall))
                    break
        if not options:
            value = (nlist if nlist <= NPROBE_GRID[-1] else NPROBE_GRID[-1], K_FACTOR_GRID[-1])
            return value, recall_with(value)
        _, value, recall = min(options)
        _set_search_param(index, kind, value)
        return value, recall
    recall = 0.0
    for value in grid:
        recall = recall_with(value)
        if recall >= TUNE_TARGET:
            return value, recall
    return grid[-1], recall


def bench_dense_kind(
    kind: str,
    vectors: np.ndarray,
    ids: np.ndarray,
    tune_q: np.ndarray,
    tune_truth: np.ndarray,
    eval_q: np.ndarray,
    eval_truth: np.ndarray,
    log,
) -> dict:
    import faiss

    from regkb.index import ann

    gc.collect()
    rss0 = rss_bytes()
    start = time.perf_counter()
    index = ann.build_index(vectors, ids, kind)
    build_s = time.perf_counter() - start
    rss_delta = rss_bytes() - rss0
    size = ann.index_bytes(index)
    row: dict = {"kind": kind, "build_s": round(build_s, 2), "memory_mb": round(size / 2**20, 1)}
    row["rss_delta_mb"] = round(rss_delta / 2**20, 1)
    if kind == "hnsw":
        row["params"] = {"M": ann.HNSW_M, "efConstruction": ann.HNSW_EF_CONSTRUCTION}
    elif kind in ("ivf", "ivfpq"):
        ivf = ann.inner_index(index)
        ivf = faiss.downcast_index(ivf.base_index) if kind == "ivfpq" else ivf
        row["params"] = {"nlist": ivf.nlist}
        if kind == "ivfpq":
            row["params"].update(pq_m=ivf.pq.M, pq_bits=ivf.pq.nbits, refine="flat")
    else:
        row["params"] = {}
    if kind != "flat":
        value, tune_recall = _tune(index, kind, tune_q, tune_truth)
        name = {"hnsw": "efSearch", "ivf": "nprobe", "ivfpq": "nprobe,k_factor"}[kind]
        row["params"][name] = list(value) if isinstance(value, tuple) else value
        row["tune_recall"] = round(tune_recall, 4)
    row["recall_at_10"] = round(recall_at_k(ann.search(index, eval_q, K)[1], eval_truth), 4)
    # single-query latency on one thread, as a service answering one request per thread
    # sees it; with the cores shared, a 2-thread region waits for a descheduled thread
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        latencies = []
        for i in range(len(eval_q)):
            start = time.perf_counter()
            ann.search(index, eval_q[i : i + 1], K)
            latencies.append(time.perf_counter() - start)
    finally:
        faiss.omp_set_num_threads(threads)
    row["p50_ms"], row["p95_ms"] = percentiles_ms(latencies)
    log(f"  {kind:6s} {json.dumps(row, ensure_ascii=False)}")
    del index
    gc.collect()
    return row


def bench_dense(
    n: int, kinds: tuple[str, ...], log, seed: int = 0, hnsw_max_n: int = 10**12,
    milvus_kinds: tuple[str, ...] = (), milvus_folder: Path | None = None,
) -> dict:
    import faiss

    model = VectorModel(seed=seed)
    rng = np.random.default_rng(seed + n)
    start = time.perf_counter()
    vectors = model.sample(n, rng)
    held_out = model.sample(N_TUNE_QUERIES + N_EVAL_QUERIES, rng)
    queries = perturb_queries(held_out, rng)
    gen_s = time.perf_counter() - start
    tune_q, eval_q = queries[:N_TUNE_QUERIES], queries[N_TUNE_QUERIES:]
    ids = np.arange(n, dtype=np.int64) * 7 + 3  # caller ids are not positions

    # exact ground truth: batched flat search (BLAS), not timed as a row
    exact = faiss.IndexFlatIP(DIM)
    exact.add(vectors)
    truth_scores, truth_pos = exact.search(queries, K)
    del exact
    tune_truth, eval_truth = ids[truth_pos[:N_TUNE_QUERIES]], ids[truth_pos[N_TUNE_QUERIES:]]
    profile = {
        "top1_cos": round(float(np.mean(truth_scores[:, 0])), 3),
        "top10_cos": round(float(np.mean(truth_scores[:, -1])), 3),
        "random_pair_cos": round(float(np.mean(np.sum(vectors[:1000] * vectors[1000:2000], 1))), 3)
        if n >= 2000
        else None,
    }
    log(f"  vectors: {n} x {DIM} in {gen_s:.1f} s; similarity profile {profile}")
    rows = []
    for kind in kinds:
        if kind == "hnsw" and n > hnsw_max_n:
            rows.append({"kind": kind, "skipped": f"n > --hnsw-max-n {hnsw_max_n}"})
            log(f"  hnsw   skipped (n > {hnsw_max_n})")
            continue
        rows.append(bench_dense_kind(kind, vectors, ids, tune_q, tune_truth, eval_q, eval_truth, log))
    for kind in milvus_kinds:
        rows.append(bench_milvus_kind(kind, vectors, ids, tune_q, tune_truth, eval_q, eval_truth, milvus_folder, log))
    del vectors
    gc.collect()
    return {"generate_s": round(gen_s, 2), "similarity": profile, "indexes": rows}


# -- Milvus Lite (the Milvus backend, index/backends/milvus.py) ---------------------------

MILVUS_KINDS = {"hnsw": ("HNSW", {"M": 32, "efConstruction": 80}, "ef", EF_GRID),
                "ivf": ("IVF_FLAT", None, "nprobe", NPROBE_GRID)}
MILVUS_BATCH = 5_000


def bench_milvus_kind(kind: str, vectors: np.ndarray, ids: np.ndarray, tune_q: np.ndarray, tune_truth: np.ndarray,
                      eval_q: np.ndarray, eval_truth: np.ndarray, folder: Path, log) -> dict:
    """Insert into a fresh Milvus Lite file, wait for the index, tune the search parameter as
    for FAISS, then measure recall@10 and single-query latency (a gRPC call to the Lite server)."""
    from pymilvus import DataType, MilvusClient

    index_type, params, knob, grid = MILVUS_KINDS[kind]
    if params is None:
        from regkb.index import ann

        params = {"nlist": ann.ivf_nlist(len(vectors))}
        grid = tuple(p for p in grid if p <= params["nlist"])
    path = folder / f"milvus-{kind}-{len(vectors)}.db"
    client = MilvusClient(str(path))
    if client.has_collection("bench"):  # a file left by an earlier run
        client.drop_collection("bench")
    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=vectors.shape[1])
    index = client.prepare_index_params()
    index.add_index("dense", index_type=index_type, metric_type="IP", params=params)
    start = time.perf_counter()
    client.create_collection("bench", schema=schema, index_params=index, consistency_level="Strong")
    for lo in range(0, len(vectors), MILVUS_BATCH):
        client.insert("bench", [{"pk": int(i), "dense": v} for i, v in
                                zip(ids[lo : lo + MILVUS_BATCH].tolist(), vectors[lo : lo + MILVUS_BATCH].tolist())])
    client.flush("bench")
    while (state := client.describe_index("bench", "dense"))["state"] not in ("Finished", "Failed") \
            or state["indexed_rows"] < len(vectors) or state.get("pending_index_rows"):
        time.sleep(0.5)
    log(f"  milvus {kind} index: {state}")
    client.load_collection("bench")
    ingest_s = time.perf_counter() - start

    def found(queries: np.ndarray, value) -> np.ndarray:
        results = client.search("bench", data=queries.tolist(), anns_field="dense", limit=K,
                                search_params={"metric_type": "IP", "params": {knob: value}})
        return np.array([[hit["pk"] for hit in hits] + [-1] * (K - len(hits)) for hits in results])

    value, tune_recall = grid[-1], 0.0
    for candidate in grid:
        tune_recall = recall_at_k(found(tune_q, candidate), tune_truth)
        if tune_recall >= TUNE_TARGET:
            value = candidate
            break
    latencies = []
    for i in range(len(eval_q)):
        begin = time.perf_counter()
        found(eval_q[i : i + 1], value)
        latencies.append(time.perf_counter() - begin)
    row = {"kind": f"milvus-{kind}", "build_s": round(ingest_s, 2), "memory_mb": None,
           "disk_mb": round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)
           if path.is_dir() else round(path.stat().st_size / 2**20, 1),
           "params": {**params, knob: value}, "tune_recall": round(tune_recall, 4),
           "recall_at_10": round(recall_at_k(found(eval_q, value), eval_truth), 4)}
    row["p50_ms"], row["p95_ms"] = percentiles_ms(latencies)
    client.close()
    log(f"  {row['kind']} {json.dumps(row, ensure_ascii=False)}")
    return row


# -- synthetic texts and BM25 ----------------------------------------------------------


def load_clauses(corpus: Path | None = None, globs: tuple[str, ...] = CORPUS_GLOBS) -> tuple[list[str], list[list[int]]]:
    """Corpus clauses (unique strings) and ~250-character pieces as lists of clause ids."""
    clause_ids: dict[str, int] = {}
    pieces: list[list[int]] = []
    corpus = corpus or shared_corpus()
    for path in sorted(itertools.chain.from_iterable(glob.glob(str(corpus / g)) for g in globs)):
        text = Path(path).read_text(encoding="utf-8").replace("\r", "")
        text = re.sub(r"[ \t\u3000]+", " ", text)
        text = re.sub(r"\n{2,}", "\n", text)
        current: list[int] = []
        length = 0
        for clause in _CLAUSE_RE.findall(text):
            if not clause.strip():
                continue
            current.append(clause_ids.setdefault(clause, len(clause_ids)))
            length += len(clause)
            if length >= PIECE_CHARS:
                pieces.append(current)
                current, length = [], 0
        if length >= PIECE_CHARS // 3:
            pieces.append(current)
    return list(clause_ids), pieces


def perturb_clause(clause: str, rng: np.random.Generator, alphabet: str) -> str:
    """Drop, swap or replace one or two characters; the closing punctuation stays."""
    body_end = len(clause.rstrip(",。;:、!?,;:!?\n"))
    chars = list(clause)
    for _ in range(int(rng.integers(1, 3))):
        if body_end < 2:
            break
        i = int(rng.integers(0, body_end - 1))
        op = rng.integers(0, 3)
        if op == 0:
            del chars[i]
            body_end -= 1
        elif op == 1:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = alphabet[int(rng.integers(0, len(alphabet)))]
    return "".join(chars)


def _keep_token(token: str) -> bool:
    return bool(_WORD_RE.search(token))  # drop whitespace and punctuation tokens


class SyntheticTexts:
    """~250-character chunks made of perturbed corpus clauses, with their jieba token ids."""

    def __init__(self, seed: int = 0):
        import jieba

        jieba.setLogLevel(60)
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        rng = np.random.default_rng(seed)
        clauses, self.pieces = load_clauses()
        alphabet = "".join(sorted({c for s in clauses for c in s if "\u4e00" <= c <= "\u9fff"}))
        self.variants: list[list[str]] = [
            [c] + [perturb_clause(c, rng, alphabet) for _ in range(N_VARIANTS - 1)] for c in clauses
        ]
        self.vocab: dict[str, int] = {}
        start = time.perf_counter()
        self.variant_tokens: list[list[list[int]]] = []
        for group in self.variants:
            token_group = []
            for variant in group:
                tokens = [t for t in self.tokenizer.lcut(variant) if _keep_token(t)]
                token_group.append([self.vocab.setdefault(t, len(self.vocab)) for t in tokens])
            self.variant_tokens.append(token_group)
        self.pool_tokenise_s = time.perf_counter() - start
        self.pool_chars = sum(len(v) for g in self.variants for v in g)

    def choose(self, n: int, rng: np.random.Generator) -> list[list[tuple[int, int]]]:
        """n chunks, each a list of (clause id, variant) pairs."""
        n_pieces = len(self.pieces)
        base = rng.integers(0, n_pieces, size=n)
        other = rng.integers(0, n_pieces, size=n)
        mixed = rng.random(n) < 0.3
        chunks = []
        for b, o, mix in zip(base.tolist(), other.tolist(), mixed.tolist()):
            clauses = self.pieces[b]
            if mix:
                half = self.pieces[o]
                clauses = clauses[: len(clauses) // 2] + half[len(half) // 2 :]
            originals = rng.random(len(clauses)) < 0.4
            variants = rng.integers(1, N_VARIANTS, size=len(clauses))
            chunks.append(
                [(c, 0 if keep else int(v)) for c, keep, v in zip(clauses, originals, variants)]
            )
        return chunks

    def text(self, chunk: list[tuple[int, int]]) -> str:
        return "".join(self.variants[c][v] for c, v in chunk)

    def token_ids(self, chunk: list[tuple[int, int]]) -> list[int]:
        return list(itertools.chain.from_iterable(self.variant_tokens[c][v] for c, v in chunk))

    def tokenise(self, text: str) -> list[str]:
        return [t for t in self.tokenizer.lcut(text) if _keep_token(t)]


def bench_bm25(n: int, texts: SyntheticTexts, log, seed: int = 0) -> dict:
    import bm25s

    rng = np.random.default_rng(seed + 17 * n)
    start = time.perf_counter()
    chunks = texts.choose(n, rng)
    corpus_ids = [texts.token_ids(chunk) for chunk in chunks]
    assemble_s = time.perf_counter() - start
    n_tokens = sum(len(doc) for doc in corpus_ids)

    # check the clause-cache shortcut against jieba on whole chunks, and time plain jieba
    inverse = {i: t for t, i in texts.vocab.items()}
    sample = chunks[: min(len(chunks), 1000)]
    sample_texts = [texts.text(chunk) for chunk in sample]
    start = time.perf_counter()
    direct = [texts.tokenise(text) for text in sample_texts]
    sample_s = time.perf_counter() - start
    same = sum(d == [inverse[i] for i in texts.token_ids(c)] for d, c in zip(direct, sample))
    chars_per_s = sum(len(t) for t in sample_texts) / sample_s
    mean_chars = sum(len(t) for t in sample_texts) / len(sample_texts)
    est_jieba_s = n * mean_chars / chars_per_s

    gc.collect()
    rss0 = rss_bytes()
    start = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index((corpus_ids, dict(texts.vocab)), show_progress=False)
    index_s = time.perf_counter() - start
    rss_delta = rss_bytes() - rss0
    del corpus_ids
    matrix = sum(retriever.scores[key].nbytes for key in ("data", "indices", "indptr"))

    # queries: a clause or two from the corpus, perturbed, as someone would type them
    queries = []
    while len(queries) < N_BM25_QUERIES:
        piece = texts.pieces[int(rng.integers(0, len(texts.pieces)))]
        i = int(rng.integers(0, len(piece)))
        query = "".join(texts.variants[c][int(rng.integers(0, N_VARIANTS))] for c in piece[i : i + 2])
        query = query.strip()[:40]
        if len(query) >= 8:
            queries.append(query)
    latencies = []
    for query in queries:
        start = time.perf_counter()
        retriever.retrieve([texts.tokenise(query)], k=min(K, n), show_progress=False, n_threads=1)
        latencies.append(time.perf_counter() - start)
    p50, p95 = percentiles_ms(latencies)
    row = {
        "kind": "bm25",
        "docs": n,
        "tokens": n_tokens,
        "vocab": len(texts.vocab),
        "tokenise_s": round(texts.pool_tokenise_s, 2),
        "tokenise_note": f"{len(texts.variants)} clauses x {N_VARIANTS} variants "
        f"({texts.pool_chars} chars) cut once; chunks assembled from them",
        "assemble_s": round(assemble_s, 2),
        "jieba_chars_per_s": int(chars_per_s),
        "jieba_all_chunks_est_s": round(est_jieba_s, 1),
        "jieba_check": f"{same}/{len(sample)} chunks tokenised identically",
        "index_s": round(index_s, 2),
        "memory_mb": round(matrix / 2**20, 1),
        "rss_delta_mb": round(rss_delta / 2**20, 1),
        "p50_ms": p50,
        "p95_ms": p95,
    }
    log(f"  bm25   {json.dumps(row, ensure_ascii=False)}")
    del retriever
    gc.collect()
    return row


# -- the run ---------------------------------------------------------------------------


def run_scale(
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000),
    kinds: tuple[str, ...] = ("flat", "hnsw", "ivf", "ivfpq"),
    bm25: bool = True,
    log=lambda message: None,
    seed: int = 0,
    hnsw_max_n: int = 10**12,
    milvus_kinds: tuple[str, ...] = (),
    milvus_folder: Path | None = None,
) -> dict:
    """Run the scale benchmark; returns {"machine", "data", "sizes": {n: {...}}, "total_s"}."""
    import faiss

    from regkb.index import ann

    total_start = time.perf_counter()
    result: dict = {"machine": machine_info(), "data": _data_description(), "sizes": {}}
    texts = None
    if bm25:
        start = time.perf_counter()
        texts = SyntheticTexts(seed=seed)
        log(f"text pool: {len(texts.variants)} clauses, {len(texts.pieces)} pieces, "
            f"tokenised in {texts.pool_tokenise_s:.1f} s ({time.perf_counter() - start:.1f} s)")
    for n in sizes:
        log(f"n = {n}")
        size_start = time.perf_counter()
        entry = bench_dense(n, kinds, log, seed=seed, hnsw_max_n=hnsw_max_n, milvus_kinds=milvus_kinds,
                            milvus_folder=milvus_folder)
        if texts is not None:
            entry["bm25"] = bench_bm25(n, texts, log, seed=seed)
        entry["chosen"] = ann.choose_index_kind(n)
        entry["total_s"] = round(time.perf_counter() - size_start, 1)
        result["sizes"][str(n)] = entry
    result["total_s"] = round(time.perf_counter() - total_start, 1)
    result["faiss_threads"] = faiss.omp_get_max_threads()
    return result


def _data_description() -> dict:
    return {
        "dim": DIM,
        "topics": N_TOPICS,
        "centres": N_CENTRES,
        "low_rank": LOW_RANK,
        "bridge_max": BRIDGE_MAX,
        "low_rank_norm": LOW_RANK_NORM,
        "noise_norm": NOISE_NORM,
        "query_noise_norm": QUERY_NOISE_NORM,
        "tune_queries": N_TUNE_QUERIES,
        "eval_queries": N_EVAL_QUERIES,
        "bm25_queries": N_BM25_QUERIES,
        "recall_target": RECALL_TARGET,
        "tune_target": TUNE_TARGET,
    }


def format_table(result: dict) -> str:
    lines = [
        f"{'n':>9} {'index':7} {'build s':>8} {'mem MB':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'recall@10':>9}  params"
    ]
    for n, entry in result["sizes"].items():
        for row in entry["indexes"]:
            if "skipped" in row:
                lines.append(f"{int(n):>9} {row['kind']:7} skipped: {row['skipped']}")
                continue
            params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
            if row["memory_mb"] is None:  # a Milvus server's memory is not ours to measure: its file size
                params += f", on disk {row['disk_mb']} MB"
            memory = f"{row['memory_mb']:>8.1f}" if row["memory_mb"] is not None else f"{'-':>8}"
            lines.append(
                f"{int(n):>9} {row['kind']:7} {row['build_s']:>8.1f} {memory} "
                f"{row['p50_ms']:>7.2f} {row['p95_ms']:>7.2f} {row['recall_at_10']:>9.3f}  {params}"
            )
        if "bm25" in entry:
            b = entry["bm25"]
            lines.append(
                f"{int(n):>9} {'bm25':7} {b['index_s']:>8.1f} {b['memory_mb']:>8.1f} "
                f"{b['p50_ms']:>7.2f} {b['p95_ms']:>7.2f} {'-':>9}  tokens={b['tokens']}, "
                f"tokenise {b['tokenise_s']} s (plain jieba over all chunks ~{b['jieba_all_chunks_est_s']} s), "
                f"{b['jieba_check']}"
            )
        lines.append(f"{int(n):>9} chosen: {entry['chosen']}  (size total {entry['total_s']} s)")
    lines.append(f"total {result['total_s']} s on {result['machine']['nproc']} x {result['machine']['cpu']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # Other processes share the cores: idle OpenMP threads must sleep, not spin (read when faiss loads).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = argparse.ArgumentParser(prog="python -m regkb.eval.bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--kinds", default="flat,hnsw,ivf,ivfpq", help="comma-separated index kinds")
    parser.add_argument("--hnsw-max-n", type=int, default=10**12,
                        help="skip the HNSW build above this size (slow on few cores)")
    parser.add_argument("--no-bm25", action="store_true", help="skip the BM25 rows")
    parser.add_argument("--milvus", default="", help="comma-separated Milvus Lite index kinds to add (hnsw, ivf)")
    parser.add_argument("--milvus-folder", default="/tmp", help="where the Milvus Lite files of the run go")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    from regkb.index import ann

    try:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    except ValueError:
        parser.error(f"--sizes must be integers separated by commas, got {args.sizes!r}")
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    milvus_kinds = tuple(k.strip() for k in args.milvus.split(",") if k.strip())
    bad = [k for k in kinds if k not in ann.KINDS] + [k for k in milvus_kinds if k not in MILVUS_KINDS]
    if bad or not sizes or min(sizes) < 2 * K:
        parser.error(f"kinds must be among {', '.join(ann.KINDS)} (--milvus: {', '.join(MILVUS_KINDS)}) and sizes at least {2 * K}")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = run_scale(sizes, kinds, bm25=not args.no_bm25, log=log, hnsw_max_n=args.hnsw_max_n,
                       milvus_kinds=milvus_kinds, milvus_folder=Path(args.milvus_folder))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
