"""The benchmark for this machine: ingest throughput (with the embedding share), query
latency per mode and of ``ask``, peak memory and index size, on a fresh knowledge base of the given
files; optionally the embedder comparison (``regkb.eval.bench.embedders``).

    python -m regkb.eval.bench.machine [PATH…] [--embedders] [--json]

The scale run (10k–1M synthetic chunks, FAISS index kinds, BM25) is
``python -m regkb.eval.bench.scale``; it takes tens of minutes and is run apart.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from regkb.eval.metrics.retrieval import MODES, load_questions
from regkb.eval.paths import shared_corpus

DEFAULT_CORPUS = [shared_corpus() / "seeds", shared_corpus() / "laws"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(call, queries: list[str]) -> dict:
    """p50 and p95 in ms of ``call(query)`` over the queries, in this process."""
    timings = []
    for query in queries:
        started = time.perf_counter()
        call(query)
        timings.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(timings, 50)), 2), "p95_ms": round(float(np.percentile(timings, 95)), 2)}


def run_bench(paths: list[Path], queries: list[str], embedder: str = "default") -> dict:
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    with tempfile.TemporaryDirectory(prefix="regkb-bench-") as home:
        kb = KnowledgeBase.open(Settings(home=Path(home), embedder=embedder, show_progress=False))
        started = time.perf_counter()
        report = kb.ingest(paths)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        kb.search(queries[0], k=10)  # builds the index and loads the models
        index_build_s = time.perf_counter() - started
        latency = {mode: timed(lambda q, m=mode: kb.search(q, k=10, mode=m), queries) for mode in MODES}
        latency["ask"] = timed(kb.ask, queries)
        index_bytes = kb.index.size_on_disk(kb.settings.index_folder)
        store_bytes = kb.settings.store_path.stat().st_size
        return {
            "embedder": kb.embedder.model_id + f" ({type(kb.embedder).__name__})",
            "documents": report.documents, "chunks": report.chunks, "embedded": report.embedded,
            "ingest_s": round(ingest_s, 2), "embed_s": report.embed_seconds,
            "chunks_per_s": round(report.chunks / ingest_s, 2) if ingest_s else None,
            "embedding_share": round(report.embed_seconds / ingest_s, 3) if ingest_s else None,
            "index_build_s": round(index_build_s, 2),
            "queries": len(queries), "latency": latency,
            "index_mb": round(index_bytes / 2**20, 2), "store_mb": round(store_bytes / 2**20, 2),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
        }


def format_bench(result: dict) -> str:
    lines = [
        f"向量模型:{result['embedder']}",
        f"导入:{result['documents']} 篇,{result['chunks']} 块,用时 {result['ingest_s']} 秒"
        f"({result['chunks_per_s']} 块/秒;向量化 {result['embed_s']} 秒,占 {result['embedding_share']:.0%})",
        f"首次检索(建索引并加载模型):{result['index_build_s']} 秒",
        f"索引 {result['index_mb']} MB,SQLite {result['store_mb']} MB,峰值内存 {result['peak_rss_mb']} MB",
        f"检索与问答(ask)延迟({result['queries']} 个问题,进程内,已预热):",
    ]
    for mode, figures in result["latency"].items():
        lines.append(f"  {mode:<8} p50 {figures['p50_ms']:.1f} ms  p95 {figures['p95_ms']:.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regkb.eval.bench.machine", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--embedder", default="default")
    parser.add_argument("--queries", type=int, default=100, help="questions from the eval set to time")
    parser.add_argument("--embedders", action="store_true", help="also compare the embedding engines (slow)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    queries = [q.question for q in load_questions()][: args.queries]
    result = {"bench": run_bench(args.paths, queries, args.embedder)}
    if args.embedders:
        from regkb.eval.bench.embedders import format_table, run_benchmark

        result["embedders"] = run_benchmark()
    if args.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        print(format_bench(result["bench"]))
        if args.embedders:
            print(format_table(result["embedders"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
