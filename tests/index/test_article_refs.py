"""Article references (安全生产法第二十一条, 《消防法》第16条 …) are looked up, not searched."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from conftest import LAWS
from regkb.corpus.law_names import SHORT_NAMES, full_law_name, law_names_table
from regkb.corpus.numerals import chinese_number, numeral_value
from regkb.index.article_ref import ArticleRef, ArticleReferenceLookup, parse_references, title_aliases, without_references
from regkb.index.hits import HitList

TITLES = ["中华人民共和国安全生产法", "中华人民共和国矿山安全法", "工伤保险条例", "浙江省安全生产条例",
          "特种设备安全监督检查办法", "中华人民共和国特种设备安全法"]


def test_numbers_round_trip_as_articles_are_numbered():
    for n in range(1, 200):
        assert numeral_value(chinese_number(n)) == n
    assert [chinese_number(n) for n in (10, 16, 20, 101, 110, 114)] == ["十", "十六", "二十", "一百零一", "一百一十", "一百一十四"]
    assert numeral_value("１６") == 16 and numeral_value("两百") == 200 and numeral_value("1十") is None


@pytest.mark.parametrize("query, expected", [
    ("安全生产法第二十一条", ArticleRef("中华人民共和国安全生产法", "第二十一条")),
    ("《矿山安全法》第21条", ArticleRef("中华人民共和国矿山安全法", "第二十一条")),
    ("工伤保险条例 第十四条第一款", ArticleRef("工伤保险条例", "第十四条", paragraph=1)),
    ("特种设备安全法第四十条规定了什么", ArticleRef("中华人民共和国特种设备安全法", "第四十条")),
    ("特种设备安全监督检查办法的第 19 条", ArticleRef("特种设备安全监督检查办法", "第十九条")),
    ("浙江安全生产条例第十条", ArticleRef("浙江省安全生产条例", "第十条")),
    ("中华人民共和国安全生产法第一百一十四条第一款第（二）项", ArticleRef("中华人民共和国安全生产法", "第一百一十四条", 1, 2)),
])
def test_parse_reference_forms(query, expected):
    assert parse_references(query, TITLES) == [expected]


def test_no_reference_without_a_known_title_and_an_article():
    assert parse_references("安全生产法规定了什么", TITLES) == []
    assert parse_references("第二十一条规定了什么", TITLES) == []
    assert parse_references("民法典第二十一条", TITLES) == []
    assert title_aliases("中华人民共和国消防法") == ["中华人民共和国消防法", "消防法"]


@pytest.fixture(scope="module")
def law_rows():
    """Index rows of every shared law, through the real ingest pipeline and chunker (no embedding)."""
    from regkb.corpus.models import doc_id_for
    from regkb.index.chunker import StructureChunker
    from regkb.index.search_index import IndexRow
    from regkb.ingest.pipeline import build_ingest_pipeline, parse_file

    pipeline = build_ingest_pipeline()
    rows, texts = [], []
    for path in sorted(LAWS.glob("*.md")):
        document = parse_file(path, pipeline=pipeline)
        for chunk in StructureChunker().split(doc_id_for(document.source), document.blocks):
            rows.append(IndexRow(chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, source=document.source, doc_type=None,
                                 region=None, level=None, title=document.meta.title, article=chunk.article))
            texts.append(chunk.text)
    return rows, texts


def test_every_listed_reference_finds_its_article(law_rows):
    rows, texts = law_rows
    lookup = ArticleReferenceLookup(rows, lambda numbers: [texts[n] for n in numbers])
    refs = [json.loads(line) for line in resources.files("regkb.eval").joinpath("data", "article_refs.jsonl")
            .read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(refs) >= 50 and len({r["source"] for r in refs}) == len(list(LAWS.glob("*.md")))
    for ref in refs:
        found = lookup.lookup(ref["ref"])
        assert found, ref
        assert (rows[found[0]].source, rows[found[0]].article) == (ref["source"], ref["article"]), ref
        assert texts[found[0]].startswith(ref["article"])


def _refs(name: str) -> list[dict]:
    return [json.loads(line) for line in resources.files("regkb.eval").joinpath("data", name)
            .read_text(encoding="utf-8").splitlines() if line.strip()]


def test_short_names_of_every_law_find_their_article(law_rows):
    """100 references over the 14 laws in mixed forms (short names, 《》, Arabic and Chinese
    numerals): each gives its article first."""
    rows, texts = law_rows
    lookup = ArticleReferenceLookup(rows, lambda numbers: [texts[n] for n in numbers])
    refs = _refs("law_short_refs.jsonl")
    assert len(refs) >= 100 and {r["source"] for r in refs} == {p.name for p in LAWS.glob("*.md")}
    assert {row.name for row in SHORT_NAMES} <= {r["name"] for r in refs}  # every short name of the table
    found = [r for r in refs if (first := lookup.lookup(r["ref"]))
             and (rows[first[0]].source, rows[first[0]].article) == (r["source"], r["article"])]
    assert len(found) == len(refs), [r["ref"] for r in refs if r not in found]


@pytest.mark.parametrize("query, title", [
    ("安法第五条", "中华人民共和国安全生产法"),
    ("依据安全法第五条", "中华人民共和国安全生产法"),
    ("特设法第40条", "中华人民共和国特种设备安全法"),
    ("《应急条例》第32条", "生产安全事故应急条例"),
])
def test_short_names_and_their_boundaries(query, title):
    titles = TITLES + ["生产安全事故应急条例"]
    assert [ref.title for ref in parse_references(query, titles)] == [title]


def test_generic_short_names_need_a_word_start():
    titles = TITLES + ["生产安全事故应急条例"]
    assert parse_references("网络安全法第二十一条", titles) == []
    assert parse_references("突发公共卫生事件应急条例第十条", titles) == []


def test_the_short_name_table_is_sourced():
    table = law_names_table([f"中华人民共和国{t}" if t.endswith("法") else t for t in {r.law for r in SHORT_NAMES}])
    assert all(row["source"] for row in table)
    assert {"title": "中华人民共和国特种设备安全法", "name": "特种设备法", "source": next(
        r.source for r in SHORT_NAMES if r.name == "特种设备法")} in table
    assert full_law_name("《特设法》") == "特种设备安全法" and full_law_name("职业病法") == "职业病防治法"
    assert full_law_name("网络安全法") is None


def test_cited_article_goes_first_and_the_rest_follows(law_rows):
    rows, texts = law_rows
    lookup = ArticleReferenceLookup(rows, lambda numbers: [texts[n] for n in numbers])
    searched = HitList.of([(0, 3.0), (1, 2.0)])
    result = lookup.run("矿山安全法第二十一条", searched)["hits"]
    assert rows[result[0][0]].title == "中华人民共和国矿山安全法" and rows[result[0][0]].article == "第二十一条"
    assert result.rows()[1:] == [0, 1]  # rows 0 and 1 belong to another law
    assert lookup.run("矿山安全生产的规定", searched)["hits"] is searched


def test_search_puts_the_cited_article_first(law_kb):
    hits = law_kb.search("安全生产法第二十一条", k=3).hits
    assert hits[0].article == "第二十一条" and hits[0].title == "中华人民共和国安全生产法"
    assert law_kb.search("《安全生产法》第5条讲的是什么", k=1, mode="bm25").hits[0].article == "第五条"
    # an article the law does not have is searched as words, not an error
    assert law_kb.search("安全生产法第五百条", k=3).hits


def test_the_thesaurus_maps_short_names_to_the_law():
    from regkb.index.tokenizer import ChineseTokenizer

    tokenizer = ChineseTokenizer()
    assert "特种设备安全法" in tokenizer.expansion_terms("特设法对电梯定期检验有什么要求")
    assert "危险化学品安全管理条例" in tokenizer.expansion_terms("危化品条例关于储存的规定")
    assert not any("安全生产法" in term for term in tokenizer.expansion_terms("网络安全法对日志有什么要求"))


def test_only_what_a_question_says_besides_its_references_is_left():
    titles = ["中华人民共和国安全生产法", "工伤保险条例"]
    assert without_references("安全生产法第二十一条和工伤保险条例第14条规定了什么", titles) == "和规定了什么"
    assert without_references("违反安全生产法第二十一条会怎样", titles) == "违反会怎样"
