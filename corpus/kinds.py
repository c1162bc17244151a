"""The kinds a document is sorted by: its type, its level of government and its authority
(效力层级). Plain enums without the model's dependencies, so that the CLI lists them as its
choices without loading the model.

>>> [kind.value for kind in Level]
['national', 'provincial', 'city', 'county']
"""

from __future__ import annotations

from enum import Enum


class DocType(str, Enum):
    law = "law"
    regulation = "regulation"
    plan = "plan"
    opinion = "opinion"
    division_of_labour = "division_of_labour"
    standard = "standard"
    notice = "notice"


class Level(str, Enum):
    national = "national"
    provincial = "provincial"
    city = "city"
    county = "county"


class Authority(str, Enum):
    """效力层级: where a document stands in the legal hierarchy, strongest first."""

    law = "law"  # 法律
    administrative_regulation = "administrative_regulation"  # 行政法规
    departmental_rule = "departmental_rule"  # 部门规章
    local_regulation = "local_regulation"  # 地方性法规
    local_rule = "local_rule"  # 地方政府规章
    normative = "normative"  # 规范性文件 (意见, 通知, standards)
    plan = "plan"  # 规划, 方案, 分工方案


AUTHORITY_NAMES = {
    "law": "法律", "administrative_regulation": "行政法规", "departmental_rule": "部门规章",
    "local_regulation": "地方性法规", "local_rule": "地方政府规章", "normative": "规范性文件", "plan": "规划/方案",
}
