"""Check the labelled evaluation question set (eval/data/questions.jsonl).

Run as ``python -m regkb.eval.data.check_questions [--questions FILE] [--corpus DIR]``.

Checks, for every line of the question file:

* it is a JSON object with the fields ``id question kind style source quote``
  (``article`` optional), ``kind`` in passage/article/duty/target/none and
  ``style`` in plain/formal; ids are unique; question texts are unique;
* a ``none`` question has empty ``source`` and ``quote``;
* any other question names an existing corpus file and its ``quote`` (8-30
  characters, no line break) occurs in that file exactly as written, comparing
  after removing all whitespace from both;
* for a law question with ``article``, the quote lies inside that article;
* quotes that occur in more than one corpus document are reported.

Then it prints counts per kind, style and document and checks the coverage
targets of the set (size, share of plain questions, per-document minimums,
``none`` share, ``duty`` questions on the division-of-labour table).
Exit status 0 when there are no errors, 1 otherwise.  Standard library only.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

from regkb.eval.paths import shared_corpus

KINDS = ("passage", "article", "duty", "target", "none")
STYLES = ("plain", "formal")
REQUIRED = ("id", "question", "kind", "style", "source", "quote")
QUOTE_MIN, QUOTE_MAX = 8, 30

MIN_TOTAL = 230
MIN_PER_DOC = 5
MIN_BIG_LAW = 15
MIN_NONE = 23
MIN_004_DUTY_PLAIN = 30
DIVISION_DOC = "004_36275ac223ca7fcd.txt"
TARGET_DOCS = (
    "000_854d6079aa698d1e.txt",
    "001_d581b906447e9fb7.txt",
    "002_eb27f3ebc715db50.txt",
    "004_36275ac223ca7fcd.txt",
)
# Laws over 30 KB ("the big laws") need at least MIN_BIG_LAW questions each.
BIG_LAW_BYTES = 30_000

_WS = re.compile(r"\s+")
_ARTICLE_HEAD = re.compile(r"^(第[零一二三四五六七八九十百千]+条)[\s　]", re.M)
_ARTICLE_LABEL = re.compile(r"^第[零一二三四五六七八九十百千]+条$")
# Full-width characters that a Unicode NFKC normalisation in ingest would rewrite.
_NFKC_SENSITIVE = set("，：；（）！？％　")


def norm(text: str) -> str:
    """Remove every whitespace character (spaces, tabs, line breaks, U+3000)."""
    return _WS.sub("", text)


def default_corpus() -> Path | None:
    corpus = shared_corpus()
    return corpus if (corpus / "seeds").is_dir() or (corpus / "laws").is_dir() else None


def load_corpus(root: Path) -> dict[str, str]:
    docs: dict[str, str] = {}
    for sub in ("seeds", "laws"):
        d = root / sub
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.is_file() and p.suffix in (".txt", ".md"):
                docs[p.name] = p.read_text(encoding="utf-8")
    return docs


def split_articles(text: str) -> dict[str, str]:
    """Map '第X条' to the text of that article (up to the next article head)."""
    body = text.split("<!-- INFO END -->", 1)[-1]
    heads = list(_ARTICLE_HEAD.finditer(body))
    out: dict[str, str] = {}
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        # keep the first occurrence: the law text, not a later citation
        out.setdefault(m.group(1), body[m.start():end])
    return out


def check(questions_path: Path, corpus_root: Path) -> int:
    docs = load_corpus(corpus_root)
    if not docs:
        print(f"ERROR: no corpus documents under {corpus_root}")
        return 1
    ndocs = {name: norm(t) for name, t in docs.items()}
    articles = {name: split_articles(t) for name, t in docs.items() if name.endswith(".md")}
    narticles = {name: {k: norm(v) for k, v in arts.items()} for name, arts in articles.items()}

    errors: list[str] = []
    warnings: list[str] = []
    shared: list[str] = []
    repeated: list[str] = []
    short_line: list[str] = []
    nfkc: list[str] = []
    rows: list[dict] = []
    seen_ids: set[str] = set()
    seen_questions: dict[str, str] = {}

    for lineno, line in enumerate(questions_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {lineno}: not JSON ({exc})")
            continue
        if not isinstance(q, dict):
            errors.append(f"line {lineno}: not a JSON object")
            continue
        missing = [f for f in REQUIRED if f not in q]
        if missing:
            errors.append(f"line {lineno}: missing fields {missing}")
            continue
        qid = q["id"]
        where = f"{qid} (line {lineno})"
        if not re.fullmatch(r"q\d{3,}", str(qid)):
            errors.append(f"{where}: id should look like q001")
        if qid in seen_ids:
            errors.append(f"{where}: duplicate id")
        seen_ids.add(qid)
        extra = set(q) - set(REQUIRED) - {"article"}
        if extra:
            warnings.append(f"{where}: unexpected fields {sorted(extra)}")
        question = str(q["question"]).strip()
        if not question:
            errors.append(f"{where}: empty question")
        elif norm(question) in seen_questions:
            errors.append(f"{where}: same question as {seen_questions[norm(question)]}")
        else:
            seen_questions[norm(question)] = qid
        if q["kind"] not in KINDS:
            errors.append(f"{where}: kind {q['kind']!r} not in {KINDS}")
        if q["style"] not in STYLES:
            errors.append(f"{where}: style {q['style']!r} not in {STYLES}")
        rows.append(q)

        source, quote = q["source"], q["quote"]
        if q["kind"] == "none":
            if source or quote or q.get("article"):
                errors.append(f"{where}: a none question must have empty source, quote and no article")
            continue
        if source not in docs:
            errors.append(f"{where}: source {source!r} is not a corpus file")
            continue
        if not isinstance(quote, str) or not quote:
            errors.append(f"{where}: empty quote")
            continue
        if "\n" in quote or "\r" in quote:
            errors.append(f"{where}: quote spans a line break")
        nq = norm(quote)
        if not QUOTE_MIN <= len(nq) <= QUOTE_MAX:
            errors.append(f"{where}: quote has {len(nq)} characters, want {QUOTE_MIN}-{QUOTE_MAX}")
        if quote not in docs[source]:
            if nq in ndocs[source]:
                warnings.append(f"{where}: quote found only after removing whitespace")
            else:
                errors.append(f"{where}: quote {quote!r} not found in {source}")
        if norm(question).find(nq) >= 0:
            warnings.append(f"{where}: the question contains its quote verbatim")
        others = [name for name, text in ndocs.items() if name != source and nq in text]
        if others:
            shared.append(f"{where}: quote {quote!r} also in {', '.join(others)}")
        if _NFKC_SENSITIVE & set(quote):
            nfkc.append(qid)
        times = ndocs[source].count(nq)
        if times > 1:
            repeated.append(f"{qid} x{times}")
        lines = [ln for ln in docs[source].splitlines() if nq in norm(ln)]
        if lines and max(len(norm(ln)) for ln in lines) < 2 * len(nq):
            short_line.append(qid)

        article = q.get("article")
        if article is not None:
            if not _ARTICLE_LABEL.match(str(article)):
                errors.append(f"{where}: article {article!r} should look like 第二十一条")
            elif source not in narticles:
                errors.append(f"{where}: article given but {source} is not a law")
            elif article not in narticles[source]:
                errors.append(f"{where}: {source} has no {article}")
            elif nq not in narticles[source][article]:
                hits = [a for a, t in narticles[source].items() if nq in t]
                errors.append(f"{where}: quote not inside {article} (found in {hits or 'no article'})")
        elif q["kind"] == "article":
            errors.append(f"{where}: kind article needs an article field")

    # ---- summary -------------------------------------------------------
    total = len(rows)
    by_kind = collections.Counter(q["kind"] for q in rows)
    by_style = collections.Counter(q["style"] for q in rows)
    by_doc = collections.Counter(q["source"] for q in rows if q["kind"] != "none")
    kinds_by_doc: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    styles_by_doc: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for q in rows:
        if q["kind"] != "none":
            kinds_by_doc[q["source"]][q["kind"]] += 1
            styles_by_doc[q["source"]][q["style"]] += 1

    print(f"questions: {total}   file: {questions_path}   corpus: {corpus_root}")
    print("per kind:  " + "  ".join(f"{k}={by_kind.get(k, 0)}" for k in KINDS))
    print("per style: " + "  ".join(f"{s}={by_style.get(s, 0)}" for s in STYLES)
          + (f"  (plain share {by_style.get('plain', 0) / total:.0%})" if total else ""))
    print("per document:")
    width = max(len(n) for n in docs)
    for name in sorted(docs):
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(kinds_by_doc[name].items()))
        styles = ", ".join(f"{k}={v}" for k, v in sorted(styles_by_doc[name].items()))
        print(f"  {name:<{width}}  {by_doc.get(name, 0):>3}   [{kinds}] [{styles}]")

    # ---- coverage targets ---------------------------------------------
    if total < MIN_TOTAL:
        errors.append(f"only {total} questions, want at least {MIN_TOTAL}")
    if by_style.get("plain", 0) * 2 < total:
        errors.append(f"plain questions {by_style.get('plain', 0)} are less than half of {total}")
    if by_kind.get("none", 0) < MIN_NONE:
        errors.append(f"only {by_kind.get('none', 0)} none questions, want at least {MIN_NONE}")
    for name in sorted(docs):
        want = MIN_PER_DOC
        if name.endswith(".md") and len(docs[name].encode("utf-8")) > BIG_LAW_BYTES:
            want = MIN_BIG_LAW
        if by_doc.get(name, 0) < want:
            errors.append(f"{name}: {by_doc.get(name, 0)} questions, want at least {want}")
    duty_plain = sum(1 for q in rows if q["source"] == DIVISION_DOC
                     and q["kind"] == "duty" and q["style"] == "plain")
    if duty_plain < MIN_004_DUTY_PLAIN:
        errors.append(f"{DIVISION_DOC}: {duty_plain} plain duty questions, want {MIN_004_DUTY_PLAIN}")
    for name in TARGET_DOCS:
        if kinds_by_doc[name].get("target", 0) == 0:
            errors.append(f"{name}: no target question")

    if shared:
        print(f"\nquotes found in more than one document ({len(shared)}):")
        for s in shared:
            print("  " + s)
    else:
        print("\nquotes found in more than one document: none")
    if repeated:
        print(f"quotes occurring more than once in their own document ({len(repeated)}): "
              + " ".join(repeated))
    if short_line:
        print(f"quotes on a short line (heading, table cell or list item) ({len(short_line)}): "
              + " ".join(short_line))
    if nfkc:
        print(f"quotes with full-width punctuation that NFKC would rewrite ({len(nfkc)}): "
              + " ".join(nfkc))
    for w in warnings:
        print("WARNING: " + w)
    for e in errors:
        print("ERROR: " + e)
    print(f"\n{'FAIL' if errors else 'OK'}: {len(errors)} errors, {len(warnings)} warnings, "
          f"{len(shared)} shared quotes")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=here / "questions.jsonl")
    ap.add_argument("--corpus", type=Path, default=None,
                    help="folder holding seeds/ and laws/ (default: the shared corpus, $REGKB_SHARED/corpus or ../shared/corpus)")
    args = ap.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if corpus is None:
        print("ERROR: corpus not found; pass --corpus or set REGKB_SHARED")
        return 1
    return check(args.questions, corpus)


if __name__ == "__main__":
    sys.exit(main())
