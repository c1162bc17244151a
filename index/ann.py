"""FAISS index factory for regkb's vector store: pick, build, search, save and load.

Vectors are L2-normalised float32 embeddings, so the metric is inner product (= cosine).
Every index is an ``IndexIDMap2`` around an inner index whose own ids are 0..n-1, so the
caller's int64 ids come back from ``search`` and ``reconstruct`` works by caller id.
The tuned search parameters (``efSearch``, ``nprobe``, refine ``k_factor``) are stored in the
index itself and therefore survive ``save_index``/``load_index``.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> vecs = rng.standard_normal((2000, 384)).astype("float32")
>>> vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
>>> ids = np.arange(2000, dtype="int64") * 10
>>> index = build_index(vecs, ids)          # kind chosen by choose_index_kind(2000) -> "flat"
>>> scores, found = search(index, vecs[:1], k=3, allowed_ids=ids[:100])
>>> int(found[0, 0])
0
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import faiss
import numpy as np

KINDS = ("flat", "hnsw", "ivf", "ivfpq")

# Thresholds from the scale run in eval/RESULTS.md ("## Scale run (issue 5)": 2 shared cores,
# AMD EPYC, synthetic clustered 384-d vectors, recall@10 against exact, 1-thread latency):
# - exact search needs no build and has recall 1.0, but its latency is linear in n: p95 was
#   8 ms at 10k and 41 ms at 100k, so it stops at 50k (~20 ms p95);
# - HNSW (M=32) answered in < 1 ms at 100k (p95 0.65 ms) and needs no training, so later
#   additions do not degrade it, but its build took 61 s at 100k and would take ~12-15 min
#   at 1M on 2 cores (not run), so it stops at 300k (~3-4 min build);
# - above that IVF-flat (nlist ~4*sqrt(n)): at 100k it built in 20 s with recall 0.996 and
#   p95 0.58 ms, and at 1M in 4 min (on a loaded machine) with recall 0.997 at nprobe 2 and
#   p95 4.9 ms (flat: p95 406 ms). IVF-PQ + exact refine needs as much memory (the
#   refine stage keeps the raw vectors), builds slower and had a worse p95: not a default.
FLAT_MAX_N = 50_000
HNSW_MAX_N = 300_000

# Build and default search parameters. The scale run's tuned values (efSearch 16-32, nprobe
# 4-8) reached recall@10 >= 0.95 on its data; the defaults leave room for harder real data.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64
IVF_NPROBE = 16
IVFPQ_M = 48  # 8 dimensions per sub-quantiser at d=384
IVFPQ_NPROBE = 32
REFINE_K_FACTOR = 8
IVF_TRAIN_POINTS_PER_LIST = 40  # faiss warns below 39 training points per centroid

# A filtered search over at most this many allowed ids is done exactly on their vectors:
# graph and IVF search with a very selective filter misses results (HNSW walks mostly
# excluded nodes, IVF probes lists without allowed ids), and 50k dot products take a few ms.
EXACT_FILTER_MAX = 50_000


def choose_index_kind(n: int) -> str:
    """The index kind for a collection of ``n`` vectors (see the thresholds above)."""
    if n <= FLAT_MAX_N:
        return "flat"
    if n <= HNSW_MAX_N:
        return "hnsw"
    return "ivf"


def ivf_nlist(n: int) -> int:
    """Number of IVF lists: ~4*sqrt(n), at least 1 and never more than n // 39."""
    return max(1, min(int(round(4 * math.sqrt(n))), n // 39 or 1))


def build_index(
    vectors: np.ndarray,
    ids: np.ndarray,
    kind: str | None = None,
    *,
    hnsw_m: int = HNSW_M,
    ef_construction: int = HNSW_EF_CONSTRUCTION,
    ef_search: int = HNSW_EF_SEARCH,
    nlist: int | None = None,
    nprobe: int | None = None,
    pq_m: int = IVFPQ_M,
    refine_k_factor: float = REFINE_K_FACTOR,
    seed: int = 1234,
) -> faiss.Index:
    """Build an inner-product index over ``vectors`` (n, d) float32 with the caller's ``ids``.

    ``kind`` is one of ``KINDS``; None picks ``choose_index_kind(n)``. IVF kinds train on a
    random sample of the vectors (``IVF_TRAIN_POINTS_PER_LIST`` per list).
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n, d), got shape {vectors.shape}")
    n, d = vectors.shape
    if ids.shape != (n,):
        raise ValueError(f"ids must have shape ({n},), got {ids.shape}")
    if len(np.unique(ids)) != n:
        raise ValueError("ids must be unique")
    kind = choose_index_kind(n) if kind is None else kind
    if kind not in KINDS:
        raise ValueError(f"unknown index kind {kind!r}; valid kinds: {', '.join(KINDS)}")

    ip = faiss.METRIC_INNER_PRODUCT
    if kind == "flat":
        inner = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        inner = faiss.IndexHNSWFlat(d, hnsw_m, ip)
        inner.hnsw.efConstruction = ef_construction
        inner.hnsw.efSearch = ef_search
    else:
        if n == 0:
            raise ValueError(f"an {kind} index needs training vectors; got none")
        lists = nlist or ivf_nlist(n)
        quantizer = faiss.IndexFlatIP(d)
        if kind == "ivf":
            ivf = faiss.IndexIVFFlat(quantizer, d, lists, ip)
            ivf.nprobe = nprobe or IVF_NPROBE
        else:
            # 8-bit codes need 256 centroids per sub-quantiser (~10k training points);
            # small collections get fewer bits instead of an under-trained codebook.
            nbits = int(max(4, min(8, math.floor(math.log2(max(n, 2) / 39)))))
            ivf = faiss.IndexIVFPQ(quantizer, d, lists, pq_m, nbits, ip)
            ivf.nprobe = nprobe or IVFPQ_NPROBE
        ivf.cp.seed = seed
        train_n = min(n, lists * IVF_TRAIN_POINTS_PER_LIST)
        if train_n < n:
            sample = np.random.default_rng(seed).choice(n, size=train_n, replace=False)
            sample.sort()
            ivf.train(vectors[sample])
        else:
            ivf.train(vectors)
        ivf.make_direct_map()  # reconstruct() by position, for exact filtered search
        ivf.quantizer.this.disown()  # the IVF index owns its quantiser from here on
        inner = ivf
        if kind == "ivfpq":
            inner = faiss.IndexRefineFlat(ivf)  # re-rank PQ candidates with exact scores
            inner.k_factor = refine_k_factor
            ivf.this.disown()
    index = faiss.IndexIDMap2(inner)
    inner.this.disown()
    if n:
        index.add_with_ids(vectors, ids)
    return index


def index_kind(index: faiss.Index) -> str:
    """The kind of an index built by ``build_index`` (also after ``load_index``)."""
    inner = inner_index(index)
    if isinstance(inner, faiss.IndexRefine):
        return "ivfpq"
    if isinstance(inner, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(inner, faiss.IndexIVF):
        return "ivfpq" if isinstance(inner, faiss.IndexIVFPQ) else "ivf"
    return "flat"


def search(
    index: faiss.Index,
    queries: np.ndarray,
    k: int,
    allowed_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` inner-product search; returns (scores (m, k) float32, ids (m, k) int64).

    Missing results (k larger than the index or than the allowed set) have id -1 and score
    -inf. ``allowed_ids`` restricts the results to those caller ids: when there are at most
    ``EXACT_FILTER_MAX`` of them the search is exact over their vectors, otherwise the index's
    own search runs with an id selector.
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if queries.ndim == 1:
        queries = queries[None, :]
    m = queries.shape[0]
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    if index.ntotal == 0 or m == 0:
        return _empty(m, k)
    if allowed_ids is None:
        scores, labels = index.search(queries, k, params=_search_params(index))
        return _clean(scores, labels)

    allowed = np.unique(np.asarray(allowed_ids, dtype=np.int64))
    if len(allowed) == 0:
        return _empty(m, k)
    if len(allowed) <= EXACT_FILTER_MAX:
        return _exact_subset(index, queries, k, allowed)
    selector = faiss.IDSelectorBatch(allowed)
    params = _search_params(index, selector, fraction=len(allowed) / index.ntotal)
    scores, labels = index.search(queries, k, params=params)
    return _clean(scores, labels)


def save_index(index: faiss.Index, path: str | os.PathLike) -> None:
    """Write ``index`` to ``path`` atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # written by Python, not by faiss's own writer: a full disk is then an OSError with
        # its errno, not a RuntimeError in English
        with open(tmp, "wb") as handle:
            handle.write(faiss.serialize_index(index))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def load_index(path: str | os.PathLike, mmap: bool = False) -> faiss.Index:
    """Read an index written by ``save_index``.

    ``mmap=True`` maps the vector data read-only instead of reading it into memory (pages
    are loaded on demand and shared between processes); the index must not be modified.
    """
    flags = (faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY) if mmap else 0
    return faiss.read_index(os.fspath(path), flags)


def index_bytes(index: faiss.Index) -> int:
    """Size of the serialised index, a close measure of its memory."""
    return int(faiss.serialize_index(index).nbytes)


def inner_index(index: faiss.Index) -> faiss.Index:
    """The index under the id map of one built by ``build_index``, as its own type (to read
    or tune its ``nlist``, ``nprobe``, ``hnsw.efSearch``)."""
    index = faiss.downcast_index(index)
    if isinstance(index, (faiss.IndexIDMap2, faiss.IndexIDMap)):
        return faiss.downcast_index(index.index)
    return index


# -- internals ---------------------------------------------------------------------------


def _search_params(
    index: faiss.Index, selector: faiss.IDSelector | None = None, fraction: float = 1.0
) -> faiss.SearchParameters | None:
    """Search parameters for the inner index, with the values stored in it.

    With a filter, efSearch / nprobe grow with 1/fraction (up to 8x): only that share of
    the visited candidates can be returned.
    """
    inner = inner_index(index)
    boost = min(8.0, 1.0 / max(fraction, 1e-9))
    if isinstance(inner, faiss.IndexHNSW):
        ef = int(inner.hnsw.efSearch * boost)
        return faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
    if isinstance(inner, faiss.IndexRefine):
        base = faiss.downcast_index(inner.base_index)
        nprobe = min(base.nlist, int(base.nprobe * boost))
        # The IDMap wrapper translates only the outer selector, and IndexRefine does not pass
        # that one to its base index: give the base index the translated selector itself.
        base_params = faiss.SearchParametersIVF(nprobe=nprobe)
        params = faiss.IndexRefineSearchParameters(
            k_factor=inner.k_factor, base_index_params=base_params
        )
        if selector is not None:
            translated = faiss.IDSelectorTranslated(faiss.downcast_index(index).id_map, selector)
            base_params.sel = translated
            params.sel = selector
            params._keep = (base_params, translated, selector)  # keep alive during search
        else:
            params._keep = (base_params,)
        return params
    if isinstance(inner, faiss.IndexIVF):
        nprobe = min(inner.nlist, int(inner.nprobe * boost))
        return faiss.SearchParametersIVF(nprobe=nprobe, sel=selector)
    if selector is not None:
        return faiss.SearchParameters(sel=selector)
    return None


def _exact_subset(
    index: faiss.Index, queries: np.ndarray, k: int, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact search over the vectors of ``allowed`` caller ids (ids not in the index drop out)."""
    idmap = faiss.downcast_index(index)
    try:
        vectors = idmap.reconstruct_batch(allowed)
    except RuntimeError:  # some allowed ids are not in the index: drop them (O(n), rare)
        allowed = allowed[np.isin(allowed, faiss.vector_to_array(idmap.id_map))]
        if len(allowed) == 0:
            return _empty(queries.shape[0], k)
        vectors = idmap.reconstruct_batch(allowed)
    scores = queries @ vectors.T
    top = min(k, len(allowed))
    part = np.argpartition(-scores, top - 1, axis=1)[:, :top]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    out_scores, out_ids = _empty(queries.shape[0], k)
    out_scores[:, :top] = np.take_along_axis(part_scores, order, axis=1)
    out_ids[:, :top] = allowed[np.take_along_axis(part, order, axis=1)]
    return out_scores, out_ids


def _clean(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.where(labels < 0, -np.inf, scores).astype(np.float32)
    return scores, labels.astype(np.int64)


def _empty(m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((m, k), -np.inf, dtype=np.float32), np.full((m, k), -1, dtype=np.int64)
