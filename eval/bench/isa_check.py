"""Do int8 passage vectors depend on the CPU's instruction set? Measured on one machine.

ONNX Runtime's kernels (MLAS) are picked from CPUID. Two kinds differ between AVX-512 and
AVX2: the int8 matmul (with AVX-512 VNNI the u8×s8 products are summed by ``vpdpbus*`` in
32 bits; with only AVX2, or AVX-512 without VNNI, ``vpmaddubsw`` adds pairs of products in
16 bits and *saturates* at 32,767, which 8-bit weights can pass: 255·127·2 = 64,770), and
softmax (its sum of exponentials runs 16 or 8 lanes wide: last-bit differences, which an
int8 graph's dynamic quantization of the next layer turns into visible ones).
``index/e5_convert.py:portable_int8_graph`` avoids both (7-bit weights; softmax written out
as plain operators). Nothing in ONNX Runtime switches AVX-512 off, so the AVX2 side runs
the same Python under ``qemu-x86_64 -cpu EPYC-Rome`` (user-mode emulation of an AMD EPYC
with AVX2, no AVX-512, no VNNI: the CPU the failing test run had), which makes MLAS take
its AVX2 kernels.

    python -m regkb.eval.bench.isa_check [--n 24] [--graphs DIR] [--json]

For each graph (int8 with 7-bit weights and ONNX Runtime's fused QAttention, as quantized
before; the portable int8 graph the default embedder now uses; the fp32 graph with fused
attention, whose softmax also differs by instruction set; plus any ``*.onnx`` in
``--graphs``): whether the vectors of the same passages computed natively and under
emulation are bit-identical, their cosine, and whether ten questions rank the passages in
the same order with both.
Slow (the emulated side runs ~30× slower): not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from regkb.eval.paths import shared_corpus

SAFETY_LAW = shared_corpus() / "laws" / "安全生产法(2021-06-10).md"
EMULATED_CPU = "EPYC-Rome"
QUESTIONS = [
    "生产经营单位主要负责人有哪些安全生产职责",
    "从业人员有哪些权利",
    "发生生产安全事故后单位负责人应当怎么做",
    "安全生产教育和培训的要求",
    "危险物品的生产经营单位应当设置安全生产管理机构吗",
    "安全设施三同时",
    "特种作业人员需要持证上岗吗",
    "生产经营单位不得将生产经营项目发包给不具备安全生产条件的单位",
    "重大危险源如何管理",
    "安全生产责任保险",
]


def passage_texts(n: int) -> list[str]:
    """The first ``n`` indexed texts of the 安全生产法, as an ingest makes them."""
    from regkb.index.chunker import ChunkerSettings, StructureChunker
    from regkb.ingest.pipeline import build_ingest_pipeline, parse_file
    from regkb.service.library.ingest import indexed_text

    document = parse_file(SAFETY_LAW, None, build_ingest_pipeline())
    chunks = StructureChunker(ChunkerSettings()).split("law", document.blocks)
    return [indexed_text(document.meta.title, chunk) for chunk in chunks][:n]


def embed(graph: Path, texts_file: Path, out: Path) -> None:
    """Passage vectors of the texts in ``texts_file`` with one int8 graph (the emulated step)."""
    from regkb.index.e5_convert import default_model_path
    from regkb.index.embedders import OnnxE5Embedder

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    engine = OnnxE5Embedder(default_model_path(), "int8", workers=1, graph=graph)
    np.save(out, engine.embed_passages(texts))


def _vectors(graph: Path, texts_file: Path, folder: Path, emulated: bool) -> np.ndarray:
    out = folder / f"{graph.stem}-{'avx2' if emulated else 'native'}.npy"
    command = [sys.executable, "-m", "regkb.eval.bench.isa_check", "embed", str(graph), str(texts_file), str(out)]
    if emulated:
        command = ["qemu-x86_64", "-cpu", EMULATED_CPU, *command]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    return np.load(out)


def same_rankings(a: np.ndarray, b: np.ndarray, queries: np.ndarray, k: int = 10) -> int:
    """How many queries rank their top ``k`` passages identically with ``a`` and with ``b``."""
    return sum(np.array_equal(np.argsort(-(a @ q))[:k], np.argsort(-(b @ q))[:k]) for q in queries)


def run_check(n: int, extra_graphs: Path | None) -> dict:
    from regkb.index.e5_convert import ONNX_FP32, default_model_path, portable_int8_graph, quantize_onnx
    from regkb.index.embedders import embed_search_queries, load_embedder

    if shutil.which("qemu-x86_64") is None:
        raise SystemExit("需要 qemu-x86_64(apt-get install qemu-user)")
    folder = default_model_path()
    texts = passage_texts(n)
    embedder = load_embedder("default")
    queries = embed_search_queries(embedder, QUESTIONS)
    fp32 = embedder.query_engine.embed_passages(texts)
    result = {"passages": len(texts), "questions": len(QUESTIONS), "emulated_cpu": EMULATED_CPU, "graphs": {}}
    with tempfile.TemporaryDirectory(prefix="regkb-isa-") as work:
        fused = Path(work) / "encoder_int8_7bit_qattention.onnx"
        quantize_onnx(folder / ONNX_FP32, fused, reduce_range=True)
        graphs = [fused, portable_int8_graph(folder), folder / ONNX_FP32,
                  *(sorted(extra_graphs.glob("*.onnx")) if extra_graphs else [])]
        texts_file = Path(work) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for graph in graphs:
            native = _vectors(graph, texts_file, Path(work), emulated=False)
            avx2 = _vectors(graph, texts_file, Path(work), emulated=True)
            across = np.sum(native * avx2, axis=1)
            result["graphs"][graph.name] = {
                "bit_identical": bool(np.array_equal(native, avx2)),
                "cos_native_vs_avx2_min": round(float(across.min()), 6),
                "cos_native_vs_avx2_mean": round(float(across.mean()), 6),
                "max_abs_diff": float(np.abs(native - avx2).max()),
                "same_top10_rankings": same_rankings(native, avx2, queries),
                "cos_to_fp32_mean_native": round(float(np.sum(native * fp32, axis=1).mean()), 4),
                "cos_to_fp32_mean_avx2": round(float(np.sum(avx2 * fp32, axis=1).mean()), 4),
            }
    return result


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["embed"]:
        embed(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=24, help="passages of the 安全生产法 to embed")
    parser.add_argument("--graphs", type=Path, help="a folder of further int8 graphs to compare")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run_check(args.n, args.graphs)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print(f"{result['passages']} passages, {result['questions']} questions; AVX2 side: qemu -cpu {EMULATED_CPU}")
    for name, figures in result["graphs"].items():
        print(name, json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
