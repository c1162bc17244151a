"""Places: which region a question names, and whether a document's region applies there.

A place is known by its short name (辽宁, 湖州, 九原). ``regkb.corpus.regions`` gives each
province its prefecture-level cities; the regions of the indexed documents add their own
names (包头市九原区 → 包头 › 九原). A document applies to an asked place when it is that
place, one of its ancestors (the 浙江 regulation applies in 湖州) or inside it (a 湖州
opinion is among 浙江's documents); a 杭州 document does not apply in 湖州.

>>> places = Gazetteer(["浙江省", "湖州市", "包头市九原区"])
>>> places.find("湖州的企业要买哪种保险")
'湖州'
>>> places.applies("浙江省", "湖州"), places.applies("湖州市", "浙江"), places.applies("杭州市", "湖州")
(True, True, False)
>>> places.chain("包头市九原区"), places.chain("深圳经济特区"), places.chain("台州市")
(['九原', '包头', '内蒙古'], ['深圳', '广东'], ['台州', '浙江'])
>>> places.find("北京市场监管部门"), places.find("市场上卖的灭火器")
('北京', None)
"""

from __future__ import annotations

import re

from regkb.corpus.regions import place_parents

NATIONAL = "全国"
NATIONAL_AUTHORITIES = frozenset({"law", "administrative_regulation", "departmental_rule"})
# Administrative suffixes, longest first: 包头市九原区 → 包头市 | 九原区. 州 ends a part only when no
# other suffix follows it (甘孜州, but 台州市 is one part: a bare 市 would be a place named in 市场)
_PART = re.compile(r".+?(?:经济特区|特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|省|市|区|县|州(?![市区县盟旗])|盟|旗)|.+$")
_SUFFIX = re.compile(r"(经济特区|特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|省|市|区|县|盟|旗)$")


def short_name(part: str) -> str:
    """湖州市 → 湖州, 浙江省 → 浙江, 九原区 → 九原 (a name that would become one character stays whole)."""
    stripped = _SUFFIX.sub("", part)
    return stripped if len(stripped) >= 2 else part


def is_national(item) -> bool:
    """A document (or a row, a hit) of the whole country: region 全国, or no region and a national authority."""
    return item.region == NATIONAL or (item.region is None and item.authority in NATIONAL_AUTHORITIES)


class Gazetteer:
    """The known places: the built-in provinces and cities plus the documents' own regions."""

    def __init__(self, document_regions: list[str | None] = ()):
        self.parents = dict(place_parents())
        for region in {r for r in document_regions if r and r != NATIONAL}:
            names = self.chain(region)
            for child, parent in zip(names, names[1:]):
                self.parents.setdefault(child, parent)
            self.parents.setdefault(names[-1], None)
        # longest first, so 连云港 wins over 连云 and 内蒙古 over a shorter name inside it
        self._pattern = re.compile("|".join(sorted(map(re.escape, self.parents), key=len, reverse=True)))

    def chain(self, region: str) -> list[str]:
        """The place and its ancestors, most specific first: 包头市九原区 → [九原, 包头, 内蒙古]."""
        parts = [short_name(p) for p in _PART.findall(region.strip()) if p]
        names = list(reversed(parts))
        parent = place_parents().get(names[-1]) if names else None
        while parent:
            names.append(parent)
            parent = place_parents().get(parent)
        return names

    def find(self, text: str) -> str | None:
        """The most specific place the text names, or None."""
        found = self._pattern.findall(text)
        if not found:
            return None
        # a city beats its province when both are named (浙江湖州 → 湖州)
        return max(found, key=lambda name: len(self._ancestors(name)))

    def _ancestors(self, name: str) -> list[str]:
        out = []
        parent = self.parents.get(name)
        while parent and parent not in out:
            out.append(parent)
            parent = self.parents.get(parent)
        return out

    def applies(self, document_region: str | None, asked: str) -> bool:
        """Whether a document of ``document_region`` belongs to the asked place's documents."""
        if not document_region or document_region == NATIONAL:
            return False
        asked_chain = [short_name(asked)] + self._ancestors(short_name(asked))
        document_chain = self.chain(document_region)
        return document_chain[0] in asked_chain or asked_chain[0] in document_chain
