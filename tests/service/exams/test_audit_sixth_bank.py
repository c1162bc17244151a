"""题库体检 on the ways a sixth trainer's bank (a 辽宁 公路水运 安全员 review bank: 法律体系及安全法律法规) writes
its questions: the 国土资源主管部门 that the 2014 安全生产法 names, renamed 自然资源主管部门 in 2018. The stems are
written here, after the 安全生产法 第七十八条."""

from __future__ import annotations

# 安全生产法第七十八条 (2021), the sentence a bank quoting the 2014 text is read against
NOTICE = ("对违法行为情节严重的生产经营单位及其有关从业人员，应当及时向社会公告，并通报行业主管部门、投资主管部门、"
          "自然资源主管部门、生态环境主管部门、证券监督管理机构以及有关金融机构。")


def test_the_renamed_land_resources_department_is_read_as_todays():
    from regkb.service.exams.align import compare
    from regkb.service.exams.text import canonical

    assert canonical("通报国土资源主管部门") == canonical("通报自然资源主管部门")
    older = compare(canonical("对违法行为情节严重的生产经营单位，应当向社会公告，并通报国土资源主管部门。"), NOTICE)
    assert older.conflicts == 0 and older.coverage >= 0.8
    # another department in its place is still another department
    assert canonical("通报国土资源主管部门") != canonical("通报工商行政管理部门")
