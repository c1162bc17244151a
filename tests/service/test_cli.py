"""The CLI contract, driven as a user would: ``--json`` prints one JSON object on stdout
and nothing else there; bad input gives a one-line error and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLAN = "某县安全生产规划\n一、主要任务\n（一）燃气安全\n餐饮场所使用燃气应当安装可燃气体报警装置。\n（二）有限空间\n有限空间作业应当先通风、再检测、后作业。\n"


def regkb(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REGKB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "regkb.service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.mark.slow
def test_ingest_search_documents_remove_json(tmp_path: Path):
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "county_plan.txt").write_text(PLAN, encoding="utf-8")

    ingest = regkb(home, "ingest", str(docs), "--json", "--region", "某县", "--level", "county")
    assert ingest.returncode == 0, ingest.stderr
    report = json.loads(ingest.stdout)
    assert {"documents", "added", "updated", "unchanged", "chunks", "duties", "targets", "errors"} <= set(report)
    assert report["added"] == 1 and report["chunks"] >= 2

    search = regkb(home, "search", "饭店用煤气要装什么", "-k", "3", "--json")
    assert search.returncode == 0, search.stderr
    result = json.loads(search.stdout)
    hit = result["hits"][0]
    assert {"chunk_id", "doc_id", "source", "title", "doc_type", "section_path", "article", "text", "score"} <= set(hit)
    assert hit["source"] == "county_plan.txt" and "可燃气体报警装置" in hit["text"]
    assert hit["section_path"] == ["一、主要任务", "（一）燃气安全"]

    listing = json.loads(regkb(home, "documents", "--json").stdout)["documents"]
    assert [(d["source"], d["region"], d["level"], d["title"]) for d in listing] == \
        [("county_plan.txt", "某县", "county", "某县安全生产规划")]

    readable = regkb(home, "search", "有限空间作业", "-k", "1")
    assert "《某县安全生产规划》" in readable.stdout and "【有限空间】" in readable.stdout

    removed = json.loads(regkb(home, "remove", listing[0]["doc_id"], "--json").stdout)["removed"]
    assert removed["source"] == "county_plan.txt"
    assert json.loads(regkb(home, "documents", "--json").stdout) == {"documents": []}


@pytest.mark.slow
def test_bad_input_errors(tmp_path: Path):
    home = tmp_path / "home"
    missing_store = regkb(home, "search", "燃气", "--json")
    assert missing_store.returncode != 0
    assert "知识库不存在" in missing_store.stderr and len(missing_store.stderr.strip().splitlines()) == 1
    assert "error" in json.loads(missing_store.stdout)

    unknown = tmp_path / "data.xyz"
    unknown.write_text("内容", encoding="utf-8")
    ingest = regkb(home, "ingest", str(unknown), "--json")
    assert ingest.returncode != 0
    assert "不支持的文件格式" in json.loads(ingest.stdout)["errors"][0]["error"]

    empty_question = regkb(home, "search", "  ")
    assert empty_question.returncode != 0 and "问题不能为空" in empty_question.stderr


def test_json_before_the_command(tmp_path: Path):
    """``regkb --json ingest …`` means ``regkb ingest … --json``: one JSON object on stdout."""
    home = tmp_path / "home"
    missing_store = regkb(home, "--json", "search", "燃气")
    assert missing_store.returncode != 0 and "error" in json.loads(missing_store.stdout)
    assert regkb(home, "search", "燃气").stdout == ""  # without --json: the error on stderr only
    unknown = tmp_path / "data.xyz"
    unknown.write_text("内容", encoding="utf-8")
    ingest = regkb(home, "--json", "ingest", str(unknown))
    assert ingest.returncode != 0
    assert "不支持的文件格式" in json.loads(ingest.stdout)["errors"][0]["error"]


def test_help_is_quick_and_lists_commands():
    result = subprocess.run([sys.executable, "-m", "regkb.service.cli", "--help"], capture_output=True, text=True)
    for command in ("ingest", "search", "documents", "remove", "eval"):
        assert command in result.stdout


def test_a_national_copy_folded_under_a_hit_is_named_by_its_title_not_as_a_place():
    from regkb.service.cli import copy_lines
    from regkb.service.schemas import LocalCopy

    def copy(title, region, article, authority):
        return LocalCopy(chunk_id=f"{title}:{article}", doc_id=title, source=f"{title}.md", title=title,
                         authority=authority, region=region, article=article, text="…", score=0.5)

    lines = copy_lines([copy("山东省安全生产条例", "山东省", "第十七条", "local_regulation"),
                        copy("煤矿安全生产条例", "全国", "第十八条", "administrative_regulation")])
    assert lines == ["各地规定(内容相同或相近):山东省第十七条", "其他法规(内容相同或相近):《煤矿安全生产条例》第十八条"]
    assert copy_lines([]) == []
