"""A choice the user types (a search mode, a backend), read with a Chinese error that lists
the choices.

>>> class Colour(Choice):
...     __label__ = "颜色"
...     red = "red"
>>> Colour.parse("blue")
Traceback (most recent call last):
ValueError: 未知的颜色:blue(可用:red)
"""

from __future__ import annotations

from enum import Enum


class Choice(str, Enum):
    @classmethod
    def parse(cls, value: str):
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"未知的{cls.__label__}:{value}(可用:{'、'.join(c.value for c in cls)})") from None
