"""The ingest pipeline, top to bottom: read → clean → metadata → structure.

Each step is a small Haystack component; ``build_ingest_pipeline()`` wires them, and
``parse_file()`` runs it for one file.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "安全生产法(2021-06-10).md"
>>> law = "# 中华人民共和国安全生产法\\n<!-- INFO END -->\\n## 第一章 总则\\n第一条 ……\\n第二条 ……\\n第三条 ……\\n"
>>> _ = path.write_text(law, encoding="utf-8")
>>> parsed = parse_file(path)
>>> parsed.meta.title, parsed.meta.date, parsed.meta.authority
('中华人民共和国安全生产法', '2021-06-10', 'law')
>>> parsed.blocks[0].article, parsed.blocks[0].section_path
('第一条', ['第一章 总则'])
"""

from __future__ import annotations

import logging
from pathlib import Path

from regkb.haystack_import import import_haystack

import_haystack()
from haystack import Pipeline, component  # noqa: E402
from haystack.core.errors import PipelineRuntimeError  # noqa: E402

# On a failed run Haystack snapshots the inputs and warns on stderr that a Path is kept as a
# string; the failure itself reaches the user as one line of ours.
logging.getLogger("haystack.utils.base_serialization").setLevel(logging.ERROR)

from regkb.corpus.models import DocumentMeta, ParsedDocument, Table
from regkb.ingest.clean import clean_items, is_chrome, normalise_spaces
from regkb.ingest.limits import MAX_PARSE_SECONDS, check_time, parse_deadline
from regkb.ingest.metadata import effective_date, extract_metadata, infer_authority
from regkb.ingest.readers import Line, RawDocument, read_file
from regkb.ingest.structure import parse_structure

_FRONT_MATTER_END = "<!-- INFO END -->"


@component
class FileReader:
    """Reads one file of a supported format into lines and tables."""

    @component.output_types(raw=RawDocument)
    def run(self, path: Path) -> dict:
        return {"raw": read_file(Path(path))}


@component
class FrontMatterSplitter:
    """Separates a law file's front matter (title, adoption history) from its text."""

    @component.output_types(front=list[str], body=list)
    def run(self, raw: RawDocument) -> dict:
        items = raw.items
        for index, item in enumerate(items):
            if isinstance(item, Line) and item.text.strip() == _FRONT_MATTER_END:
                front = [normalise_spaces(i.text) for i in items[:index] if isinstance(i, Line)]
                return {"front": front, "body": items[index + 1 :]}
        return {"front": [], "body": items}


@component
class TextCleaner:
    """Removes export noise and rejoins broken lines (see ``regkb.ingest.clean``)."""

    @component.output_types(items=list)
    def run(self, body: list) -> dict:
        return {"items": clean_items(body)}


@component
class MetadataExtractor:
    """Finds title, type, issuer, number, date, region and level in the cleaned head of the
    document (a web page's breadcrumb is no title); user values win."""

    @component.output_types(meta=DocumentMeta)
    def run(self, raw: RawDocument, front: list[str], items: list, overrides: DocumentMeta | None = None) -> dict:
        check_time(raw.source)
        chrome = [text for text in (normalise_spaces(i.text) for i in raw.items[:80] if isinstance(i, Line))
                  if is_chrome(text)]
        meta = extract_metadata(raw.source, front + head_lines(items), chrome=chrome)
        if overrides is not None:
            meta = meta.model_copy(update=overrides.model_dump(exclude_none=True))
            if overrides.authority is None:  # a given type or level decides the authority anew
                meta.authority = infer_authority(meta.doc_type, meta.level, meta.issuer, meta.title)
        if overrides is None or overrides.effective is None:
            meta.effective = effective_date([i.text for i in items if isinstance(i, Line)], meta.date)
        return {"meta": meta}


def head_lines(items: list, limit: int = 80) -> list[str]:
    """The text lines of a document's head; a table row spanning the whole table (an xlsx
    title row merged across the columns) counts as a line."""
    lines: list[str] = []
    for item in items[:limit]:
        if isinstance(item, Line):
            lines.append(item.text)
        elif isinstance(item, Table):
            lines.extend(row[0] for row in item.rows[:2] if len(row) > 1 and len(set(row)) == 1)
    return lines


@component
class StructureParser:
    """Builds the section tree and the body blocks (see ``regkb.ingest.structure``)."""

    @component.output_types(document=ParsedDocument)
    def run(self, raw: RawDocument, items: list, meta: DocumentMeta) -> dict:
        check_time(raw.source)
        standard = meta.doc_type == "standard"
        sections, blocks, tables = parse_structure(items, standard=standard,
                                                   citation=meta.doc_number if standard else None)
        blocks = _without_title_lines(blocks, meta.title)
        document = ParsedDocument(source=raw.source, content_hash=raw.content_hash, meta=meta,
                                  sections=sections, blocks=blocks, tables=tables)
        return {"document": document}


def _without_title_lines(blocks: list, title: str | None) -> list:
    """The document's title repeated as a body line is not content."""
    if not title:
        return blocks
    return [b for b in blocks if b.section_path or b.text.lstrip("# ").strip() != title]


def build_ingest_pipeline() -> Pipeline:
    pipeline = Pipeline()
    pipeline.add_component("reader", FileReader())
    pipeline.add_component("front_matter", FrontMatterSplitter())
    pipeline.add_component("cleaner", TextCleaner())
    pipeline.add_component("metadata", MetadataExtractor())
    pipeline.add_component("structure", StructureParser())
    pipeline.connect("reader.raw", "front_matter.raw")
    pipeline.connect("reader.raw", "metadata.raw")
    pipeline.connect("reader.raw", "structure.raw")
    pipeline.connect("front_matter.front", "metadata.front")
    pipeline.connect("front_matter.body", "cleaner.body")
    pipeline.connect("cleaner.items", "structure.items")
    pipeline.connect("cleaner.items", "metadata.items")
    pipeline.connect("metadata.meta", "structure.meta")
    return pipeline


def parse_file(path: Path, overrides: DocumentMeta | None = None, pipeline: Pipeline | None = None,
               seconds: float = MAX_PARSE_SECONDS) -> ParsedDocument:
    """Run the ingest pipeline on one file within ``seconds``; raises ``IngestError`` for
    unreadable input, input over the caps of ``regkb.ingest.limits``, and a run past its time."""
    pipeline = pipeline or build_ingest_pipeline()
    try:
        with parse_deadline(seconds):
            result = pipeline.run({"reader": {"path": Path(path)}, "metadata": {"overrides": overrides}})
    except PipelineRuntimeError as exc:
        # Haystack wraps a component's error in English ("The following component failed to
        # run …"): the caller gets the component's own error, whose message is ours
        if exc.__cause__ is None:
            raise
        raise exc.__cause__ from None
    return result["structure"]["document"]



def document_duties(document: ParsedDocument, doc_id: str, registry=None) -> list:
    """Exact duties from a 分工方案's parentheses and from duty tables; inferred ones from
    the prose of plans and opinions. The two kinds are never mixed in one document."""
    from regkb.corpus.departments import DepartmentRegistry, full_forms
    from regkb.ingest.duties import DivisionOfLabourParser
    from regkb.ingest.duty_tables import DutyTableParser
    from regkb.ingest.prose_duties import ProseDutyExtractor

    registry = registry if registry is not None else DepartmentRegistry()
    meta = document.meta

    def extract(into: DepartmentRegistry) -> list:
        args = {"source": document.source, "doc_id": doc_id, "registry": into}
        duties = DutyTableParser(level=meta.level, region=meta.region).run(document.tables, **args)["duties"]
        if meta.doc_type == "division_of_labour":
            duties += DivisionOfLabourParser(level=meta.level, region=meta.region).run(document.blocks, **args)["duties"]
        elif meta.doc_type in ("plan", "opinion") and not duties:
            duties = ProseDutyExtractor(level=meta.level, region=meta.region).run(document.blocks, **args)["duties"]
        return [d for d in duties if d.lead or d.responsible or d.cooperating]

    # A short form met before its full form (市中院 … 市中级人民法院) joins it too: a first
    # pass finds the document's names, their full forms are registered, the second pass joins.
    scratch = DepartmentRegistry.from_dict(registry.to_dict())
    names = list(dict.fromkeys(n for d in extract(scratch) for n in d.lead + d.responsible + d.cooperating))
    for full in dict.fromkeys(full_forms(names).values()):
        registry.add(full, level=meta.level, region=meta.region)
    return extract(registry)
