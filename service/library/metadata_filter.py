"""Dify's ``metadata_condition`` over a document's metadata: ``{"logical_operator": "and"|"or",
"conditions": [{"name", "comparison_operator", "value"}]}`` with Dify's operators (is, is not,
contains, not contains, start with, end with, in, not in, empty, not empty, = ≠ > < ≥ ≤,
before, after). ``name`` is a field of the document (title, authority, region, doc_type, date,
source, level, issuer, doc_number); older Dify versions send a list of names, any of which may match.

>>> condition = MetadataCondition(conditions=[{"name": "authority", "comparison_operator": "is", "value": "law"}])
>>> matches(condition, Document(doc_id="x", source="a.md", content_hash="", authority="law"))
True
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from regkb.corpus.models import AUTHORITY_NAMES, Document

FIELDS = ("title", "authority", "region", "doc_type", "date", "source", "level", "issuer", "doc_number")
Operator = Literal["contains", "not contains", "start with", "end with", "is", "is not", "in", "not in", "empty",
                   "not empty", "=", "≠", ">", "<", "≥", "≤", "before", "after"]


class Condition(BaseModel):
    name: Annotated[str, Field(max_length=40)] | list[Annotated[str, Field(max_length=40)]] = Field(
        description=f"元数据字段：{'、'.join(FIELDS)}")
    comparison_operator: Operator
    value: Annotated[str, Field(max_length=200)] | float | list[Annotated[str, Field(max_length=200)]] | None = None


class MetadataCondition(BaseModel):
    logical_operator: Literal["and", "or"] = "and"
    conditions: list[Condition] = Field(max_length=20)


def _date(value) -> str:
    """A date as yyyy-mm-dd text: Dify sends ISO text or a Unix timestamp; a document may know only yyyy(-mm)."""
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).date().isoformat()
    parts = (re.findall(r"\d+", str(value)) + ["01", "01"])[:3]
    return "-".join(part.zfill(2) for part in parts) if parts[0] else ""


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ordered(test: Callable[[float | str, float | str], bool]) -> Callable[[str, object], bool]:
    """A comparison on numbers when both sides are numbers, on dates (yyyy-mm-dd text) otherwise."""
    def compare(field: str, wanted: object) -> bool:
        left, right = _number(field), _number(wanted)
        if left is not None and right is not None:
            return test(left, right)
        return test(_date(field), _date(wanted))
    return compare


def _values(wanted) -> list[str]:
    return [str(v) for v in wanted] if isinstance(wanted, list) else [str(wanted)]


# operator → test of a present (non-empty) field value against the wanted value
_TESTS: dict[str, Callable[[str, object], bool]] = {
    "contains": lambda field, wanted: str(wanted) in field,
    "not contains": lambda field, wanted: str(wanted) not in field,
    "start with": lambda field, wanted: field.startswith(str(wanted)),
    "end with": lambda field, wanted: field.endswith(str(wanted)),
    "is": lambda field, wanted: field == str(wanted),
    "is not": lambda field, wanted: field != str(wanted),
    "in": lambda field, wanted: field in _values(wanted),
    "not in": lambda field, wanted: field not in _values(wanted),
    "=": _ordered(lambda a, b: a == b), "≠": _ordered(lambda a, b: a != b),
    ">": _ordered(lambda a, b: a > b), "<": _ordered(lambda a, b: a < b),
    "≥": _ordered(lambda a, b: a >= b), "≤": _ordered(lambda a, b: a <= b),
    "before": _ordered(lambda a, b: a < b), "after": _ordered(lambda a, b: a > b),
}
# with the field absent, only these hold
_HOLD_WHEN_ABSENT = {"empty", "not contains", "is not", "not in", "≠"}


def field_values(document: Document, name: str) -> list[str]:
    """The document's value of a field; authority also under its Chinese name (法律)."""
    if name not in FIELDS:
        return []
    value = getattr(document, name)
    if not value:
        return []
    return [str(value), AUTHORITY_NAMES[value]] if name == "authority" and value in AUTHORITY_NAMES else [str(value)]


def condition_holds(condition: Condition, document: Document) -> bool:
    names = condition.name if isinstance(condition.name, list) else [condition.name]
    operator = condition.comparison_operator
    for name in names:
        values = field_values(document, name)
        if operator in ("empty", "not empty"):
            if (operator == "empty") == (not values):
                return True
            continue
        if not values:
            if operator in _HOLD_WHEN_ABSENT:
                return True
            continue
        negative = operator in _HOLD_WHEN_ABSENT
        outcomes = [_TESTS[operator](value, condition.value) for value in values]
        if all(outcomes) if negative else any(outcomes):  # 法律 and law are one value: a negation must hold for both
            return True
    return False


def matches(condition: MetadataCondition, document: Document) -> bool:
    outcomes = (condition_holds(c, document) for c in condition.conditions)
    return all(outcomes) if condition.logical_operator == "and" else any(outcomes)
