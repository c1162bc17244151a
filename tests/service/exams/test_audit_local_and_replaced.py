"""题库体检 on a store like the library: the 特种设备安全法 beside a province's 特种设备 regulation,
and two versions of a city's 安全生产条例 (2016 replaced by 2022). A local text does not settle a
question that names no place against the national law, and a key is ``outdated`` only where a
later version of the law whose replaced text it matches says otherwise."""

from __future__ import annotations

import pytest

from conftest import LAWS, SHARED_CORPUS, audited, laws_kb

LIBRARY = SHARED_CORPUS / "library"
SHANDONG = "山东省特种设备安全条例(2015-12-03).md"
# 特种设备安全法第四十三条 says 每日; the 山东 article says 每日 too, its clauses in another order
WEEKLY = "客运索道、大型游乐设施在每周投入使用前，其运营使用单位应当进行试运行和例行安全检查。"


@pytest.fixture(scope="module")
def local_kb(tmp_path_factory):
    return laws_kb(tmp_path_factory.mktemp("local_kb"), [
        LAWS / "特种设备安全法(2013-06-29).md", LIBRARY / SHANDONG, LIBRARY / "北京市安全生产条例.md",
        LIBRARY / "北京市安全生产条例(2022-05-25).md"])


@pytest.mark.slow
def test_a_local_text_does_not_settle_a_national_question(local_kb, tmp_path):
    solved = local_kb.solve(WEEKLY, kind="judge")
    assert (solved.answer, solved.title, solved.article) == ("false", "中华人民共和国特种设备安全法", "第四十三条")
    # the stem that names the province is read against its regulation
    named = local_kb.solve("山东省" + WEEKLY.replace("每周", "每日"), kind="judge")
    assert named.answer == "true"
    results = audited(local_kb, tmp_path, [{"type": "judge", "options": [], "answer": "false", "stem": WEEKLY}])
    assert results[0].verdict == "agrees"


@pytest.mark.slow
def test_outdated_needs_a_later_version_of_the_same_law_saying_otherwise(local_kb, tmp_path):
    results = audited(local_kb, tmp_path, [
        # no article in force settles it; the replaced 北京 2016 article on safety equipment in general dates nothing
        {"type": "single", "options": ["报废", "补焊后继续使用", "降低载荷使用", "打磨后使用"], "answer": "A",
         "stem": "起重机械的吊钩出现裂纹时，应当（ ）。"},
    ])
    assert results[0].verdict == "undecided"
