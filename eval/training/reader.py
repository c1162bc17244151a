"""Train the reader (``index/reader.py``) on the search's hits for labelled questions, or measure it.

    python -m regkb.eval.training.reader --real ../shared/data/real_questions_dev.jsonl

It reads the store of ``$REGKB_HOME`` (the shared corpus ingested: ``regkb ingest
../shared/corpus/seeds ../shared/corpus/laws``) and the built model, and trains in PyTorch on
the CPU, deterministically (fixed seed, one thread order): searching the questions takes
about two minutes on two cores, a training run about ``EPOCHS`` × 2 minutes.

- **Questions** (dev data only), those of the support model's trainer
  (``answer_support.training_questions``: the first set, plain **dev**, stride, plan; ask
  **dev** and real people's dev questions held out, below; never a held-out hash) that have an answer, and
  ``eval/data/everyday_train_questions.jsonl`` where it exists. Never the plain **test**
  split, the story set, the ask test split or the off-topic sets.
- **Lists.** Each question's first ``DEPTH`` search hits as ``ask`` searches them, each read
  as ``passage_text`` makes it (its best sentence by word coverage); a hit is positive when it
  is the gold article (or holds the gold passage). A list needs a positive and a negative
  (the other hits: hard negatives, the articles the search confuses with the answer).
- **Model.** e5's weights, rank-``RANK`` factors on the attention projections of the upper
  ``LAYERS`` layers (the lower ones frozen: their output is computed once per pair and
  cached), a linear head on the mean of the last layer; listwise loss (softmax over a
  question's hits, the positives as the target), AdamW, ``EPOCHS`` epochs.
- **Held out**: the ask dev and real dev questions are not trained on. The query encoder was
  not tuned on them either, so they stand for new questions: the support model's thresholds
  are set on them, with reader scores of questions the reader never saw. After training the
  run reports how often the gold article is first among the first five hits on them and on
  plain test and story: by the search's order, the reader alone, and the reader plus the
  search score (its weight chosen on the held-out dev sets only), in PyTorch; ``--measure``
  reports the same through the built int8 graph, as a service would run it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from regkb.eval.metrics.everyday import EverydayQuestion, Gold, load_set
from regkb.index.query_adapter import QueryAdapter
from regkb.index.reader import READER_FILE, pair_ids, passage_text

DEPTH = 6  # hits per question read in training
CANDIDATES = 5  # hits a measure ranks (the support model's)
RANK = 8
LAYERS = 4  # upper layers adapted
EPOCHS = 2
LEARNING_RATE = 5e-4
HEAD_LEARNING_RATE = 2e-3
BATCH = 4  # questions per step
SEED = 0
HOLD_OUT = ("ask dev", "real dev")
EVERYDAY_TRAIN = Path(__file__).parents[1] / "data" / "everyday_train_questions.jsonl"


@dataclass
class Listed:
    """A question and its first hits: the reader's text of each, its label, its search score."""

    group: str
    question: EverydayQuestion
    texts: list[str]
    labels: list[int]
    search: list[float]


def question_sets(real: Path | None) -> dict[str, list[EverydayQuestion]]:
    from regkb.eval.metrics.retrieval import load_questions
    from regkb.eval.training.answer_support import HOLDOUT, question_hash, training_questions

    sets = {name: [q for q in questions if q.answerable]
            for name, questions in training_questions(real).items() if not name.startswith("offtopic")}
    if EVERYDAY_TRAIN.is_file():
        held = set(HOLDOUT.read_text(encoding="utf-8").split()) if HOLDOUT.is_file() else set()
        sets["everyday train"] = [EverydayQuestion(q.id, q.question, "dev", (Gold(q.source, q.article, q.quote),))
                                  for q in load_questions(path=EVERYDAY_TRAIN)
                                  if q.kind != "none" and q.source and question_hash(q.question) not in held]
    return sets


def measured_sets() -> dict[str, list[EverydayQuestion]]:
    """What the reader is measured on, never trained on."""
    return {"plain test": [q for q in load_set("plain") if q.split == "test" and q.answerable],
            "story": [q for q in load_set("story") if q.answerable]}


def listed(kb, sets: dict[str, list[EverydayQuestion]], depth: int = DEPTH) -> list[Listed]:
    desk = kb.answer_desk
    result = []
    for group, question in ((g, q) for g, questions in sets.items() for q in questions):
        candidates, _ = desk.candidates(question.question, desk.hits(question.question, None), depth)
        result.append(Listed(group, question,
                             [passage_text(hit.title, hit.article, hit.text, unit.start) for hit, unit, _ in candidates],
                             [int(any(g.cites(hit.source, hit.article, hit.text) for g in question.golds))
                              for hit, _, _ in candidates],
                             [s.search for _, _, s in candidates]))
    return [item for item in result if item.texts]


class PairEncoder:
    """e5 in PyTorch over (question, passage) pairs: frozen lower layers, whose outputs are
    cached, and the upper ``LAYERS`` with low-rank factors and the head."""

    def __init__(self, folder: Path, layers: int = LAYERS, rank: int = RANK):
        from safetensors import safe_open
        from transformers import BertConfig, BertModel

        from regkb.eval.training.query_adapter import low_rank_layers
        from regkb.index.embedders import OnnxE5Embedder

        self.tokens = OnnxE5Embedder(folder, "fp32")  # the tokenizer and word table the runtime uses
        config = BertConfig(**{k: v for k, v in json.loads((folder / "config.json").read_text()).items()
                               if k not in ("architectures", "model_type", "torch_dtype")})
        config._attn_implementation = "eager"
        self.bert = BertModel(config, add_pooling_layer=False)
        with safe_open(str(folder / "model.safetensors"), framework="pt") as fh:
            state = {k: fh.get_tensor(k) for k in fh.keys() if not k.startswith("pooler.")}
        self.bert.load_state_dict(state, strict=False)
        self.bert.eval()  # no dropout in e5's config anyway
        for parameter in self.bert.parameters():
            parameter.requires_grad_(False)
        total = len(self.bert.encoder.layer)
        self.first_adapted = total - layers
        self.factors = low_rank_layers(self.bert, range(self.first_adapted, total), rank)
        self.head = torch.nn.Linear(config.hidden_size, 1)
        torch.nn.init.zeros_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)

    def windows(self, question: str, texts: list[str]) -> list[list[int]]:
        tokens = self.tokens
        asked = tokens.tokenize([question], tokens.query_prefix)[0]
        return [pair_ids(asked, ids, bos=tokens.bos, eos=tokens.eos)
                for ids in tokens.tokenize(texts, tokens.passage_prefix)]

    def lower(self, windows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """(hidden states after the frozen layers, attention mask) of one padded batch."""
        longest = max(len(w) for w in windows)
        ids = np.full((len(windows), longest), self.tokens._pad, dtype=np.int64)
        mask = np.zeros((len(windows), longest), dtype=np.int64)
        for row, window in enumerate(windows):
            ids[row, :len(window)], mask[row, :len(window)] = window, 1
        embeds = torch.from_numpy(np.asarray(self.tokens._word[ids.reshape(-1)], dtype=np.float32)
                                  .reshape(len(windows), longest, -1))
        mask = torch.from_numpy(mask)
        with torch.no_grad():
            hidden = self.bert.embeddings(inputs_embeds=embeds, token_type_ids=torch.zeros_like(mask))
            for layer in self.bert.encoder.layer[:self.first_adapted]:
                hidden = _output(layer(hidden, attention_mask=_additive(mask)))
        return hidden, mask

    def upper(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Scores of a batch from the cached lower hidden states."""
        additive = _additive(mask)
        for layer in self.bert.encoder.layer[self.first_adapted:]:
            hidden = _output(layer(hidden, attention_mask=additive))
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)

    def parameters(self) -> list:
        return [p for m in self.factors.values() for p in (m.A, m.B)]

    def reader(self, meta: dict) -> QueryAdapter:
        return QueryAdapter({name: (m.A.detach().numpy().copy(), m.B.detach().numpy().copy())
                             for name, m in self.factors.items()}, meta,
                            {"head.weight": self.head.weight.detach().numpy().reshape(-1).copy(),
                             "head.bias": self.head.bias.detach().numpy().reshape(-1).copy()})


def _additive(mask: torch.Tensor) -> torch.Tensor:
    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


def _output(result):
    return result[0] if isinstance(result, tuple) else result


Cached = tuple[torch.Tensor, torch.Tensor]


def cache_lower(encoder: PairEncoder, items: list[Listed], depth: int, log=print) -> list[Cached]:
    cached, started = [], time.perf_counter()
    for n, item in enumerate(items, 1):
        hidden, mask = encoder.lower(encoder.windows(item.question.question, item.texts[:depth]))
        cached.append((hidden.to(torch.bfloat16), mask))
        if n % 50 == 0:
            log(f"下层 {n}/{len(items)},{time.perf_counter() - started:.0f} 秒")
    return cached


def train(encoder: PairEncoder, items: list[Listed], cached: list[Cached], *, epochs: int = EPOCHS,
          seed: int = SEED, log=print) -> None:
    """Listwise: −log of the softmax mass of each question's positives among its hits."""
    torch.manual_seed(seed)
    shuffle = random.Random(seed)
    usable = [i for i, item in enumerate(items) if 0 < sum(item.labels[:len(cached[i][1])]) < len(cached[i][1])]
    optimiser = torch.optim.AdamW([{"params": encoder.parameters(), "lr": LEARNING_RATE},
                                   {"params": list(encoder.head.parameters()), "lr": HEAD_LEARNING_RATE}],
                                  weight_decay=0.0)
    for epoch in range(epochs):
        shuffle.shuffle(usable)
        total, started = 0.0, time.perf_counter()
        for start in range(0, len(usable), BATCH):
            loss = torch.zeros(())
            for i in usable[start:start + BATCH]:
                hidden, mask = cached[i]
                scores = encoder.upper(hidden.float(), mask)
                positive = torch.tensor(items[i].labels[:len(mask)], dtype=torch.bool)
                loss = loss + torch.logsumexp(scores, 0) - torch.logsumexp(scores.masked_fill(~positive, -math.inf), 0)
            loss = loss / len(usable[start:start + BATCH])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(usable[start:start + BATCH])
        log(f"第 {epoch + 1} 轮 loss {total / len(usable):.3f},{time.perf_counter() - started:.0f} 秒,{len(usable)} 题")


def scores(encoder: PairEncoder, cached: list[Cached]) -> list[np.ndarray]:
    with torch.no_grad():
        return [encoder.upper(hidden.float(), mask).numpy() for hidden, mask in cached]


def first_is_gold(items: list[Listed], ranked: list[np.ndarray]) -> float:
    """Share of questions whose best-ranked candidate (of the first ``CANDIDATES``) is gold."""
    hits = [item.labels[int(np.argmax(r[:CANDIDATES]))] for item, r in zip(items, ranked)]
    return round(sum(hits) / len(items), 3) if items else 0.0


def measure(items: list[Listed], reader: list[np.ndarray], weight: float) -> dict:
    by_group: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_group.setdefault(item.group, []).append(i)
    report = {}
    for group, rows in by_group.items():
        chosen = [items[i] for i in rows]
        search = [np.asarray(items[i].search) for i in rows]
        read = [reader[i] for i in rows]
        report[group] = {
            "questions": len(rows),
            "gold_in_5": round(sum(1 for it in chosen if any(it.labels[:CANDIDATES])) / len(rows), 3),
            "search": first_is_gold(chosen, [-np.arange(len(s), dtype=float) for s in search]),
            "reader": first_is_gold(chosen, read),
            "reader+search": first_is_gold(chosen, [r + weight * s[:len(r)] for r, s in zip(read, search)])}
    return report


def search_weight(items: list[Listed], reader: list[np.ndarray]) -> float:
    """The weight of the search score beside the reader's that puts the gold first most often
    on ``items`` (dev questions only), from a fixed grid; ties go to the smaller weight."""
    grid = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0]
    return max(grid, key=lambda w: (first_is_gold(items, [r + w * np.asarray(it.search[:len(r)])
                                                          for it, r in zip(items, reader)]), -w))


def measure_built(kb, real: Path | None, log=print) -> dict:
    """``measure`` through the built int8 graph (``Reader``), as a service would score: the
    held-out dev sets, plain test and story; the search score's weight chosen on the dev sets."""
    from regkb.index.reader import Reader

    sets = {name: questions for name, questions in question_sets(real).items() if name in HOLD_OUT}
    items = listed(kb, sets | measured_sets(), CANDIDATES)
    reader = Reader.load()
    if reader is None:
        raise SystemExit("没有阅读器:先 regkb model build,并确认 index/data/reader.npz 存在")
    started = time.perf_counter()
    read = [reader.scores(item.question.question, item.texts) for item in items]
    log(f"阅读器:每题 {1000 * (time.perf_counter() - started) / len(items):.0f} 毫秒({CANDIDATES} 条)")
    held = [i for i, item in enumerate(items) if item.group in HOLD_OUT]
    weight = search_weight([items[i] for i in held], [read[i] for i in held])
    return {"search_weight": weight, **measure(items, read, weight)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m regkb.eval.training.reader", description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, help="real people's dev questions (real_questions_dev.jsonl)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--layers", type=int, default=LAYERS)
    parser.add_argument("--out", type=Path, default=READER_FILE)
    parser.add_argument("--measure", action="store_true",
                        help="只测量:用已生成的 int8 阅读器图(index/reader.py)报告首位命中率,不训练")
    args = parser.parse_args(argv)

    from regkb.index.e5_convert import default_model_path
    from regkb.service.knowledge_base import KnowledgeBase
    from regkb.service.settings import Settings

    torch.set_num_threads(1)  # on two shared cores two threads ran five times slower than one
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    kb = KnowledgeBase.open(Settings.from_env(show_progress=False))
    if args.measure:
        print(json.dumps(measure_built(kb, args.real, log), ensure_ascii=False, indent=1))
        return 0
    items = listed(kb, question_sets(args.real))
    fit = [item for item in items if item.group not in HOLD_OUT]
    held = [item for item in items if item.group in HOLD_OUT]
    measured = listed(kb, measured_sets(), CANDIDATES)
    log(f"检索完成:训练 {len(fit)} 题,留出 {len(held)} 题,{time.perf_counter() - started:.0f} 秒")
    encoder = PairEncoder(default_model_path(), layers=args.layers)
    train(encoder, fit, cache_lower(encoder, fit, DEPTH, log), epochs=args.epochs, log=log)
    meta = {"rank": RANK, "layers": args.layers, "epochs": args.epochs, "learning_rate": LEARNING_RATE,
            "head_learning_rate": HEAD_LEARNING_RATE, "batch": BATCH, "seed": SEED, "depth": DEPTH,
            "questions": {group: sum(1 for item in fit if item.group == group) for group in sorted({i.group for i in fit})}}
    encoder.reader(meta).save(args.out)
    held_scores = scores(encoder, cache_lower(encoder, held, CANDIDATES, log))
    weight = search_weight(held, held_scores)
    report = {"written": str(args.out), "search_weight": weight, **measure(held, held_scores, weight),
              **measure(measured, scores(encoder, cache_lower(encoder, measured, CANDIDATES, log)), weight),
              "seconds": round(time.perf_counter() - started), **meta}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
