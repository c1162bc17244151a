"""Chinese numerals, written and read: one place for the numbers of articles (第十六条),
paragraphs (第二款), items ((三)) and the quantities of a clause (三十日, 两万元).

>>> chinese_number(114), chinese_number(105), chinese_number(20)
('一百一十四', '一百零五', '二十')
>>> numeral_value("一百一十四"), numeral_value("十六"), numeral_value("１６"), numeral_value("两万五千")
(114, 16, 16, 25000)
>>> numeral_value("三十日") is None
True
"""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
# every character of a numeral as written in the documents and in questions
NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万"
_DIGIT_VALUES = {**{digit: value for value, digit in enumerate(DIGITS)}, "〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(n: int) -> str:
    """114 → 一百一十四, 16 → 十六, 20 → 二十, 105 → 一百零五 (as articles are numbered);
    from 1000 on, Arabic digits."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = DIGITS[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + DIGITS[rest]
        return head + (DIGITS[rest // 10] + "十" + (DIGITS[rest % 10] if rest % 10 else ""))
    return str(n)


def numeral_value(text: str) -> int | None:
    """The value of a whole numeral: Chinese (一百一十四, 两万, 〇), Arabic or full-width
    digits (16, １６); None when ``text`` holds anything else."""
    if text.isdecimal():
        return int(text)
    total, section, digit = 0, 0, 0
    for char in text:
        if char in _DIGIT_VALUES:
            digit = _DIGIT_VALUES[char]
        elif char in _UNITS:
            section += (digit or 1) * _UNITS[char]
            digit = 0
        elif char == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            return None
    return total + section + digit
