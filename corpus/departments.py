"""Department names: splitting lists, restoring shared prefixes, merging aliases.

Division-of-labour documents name departments the way officials write them in a list:
``省发展改革委、工业和信息化厅、人力资源社会保障厅`` means three provincial departments,
and ``省应急厅`` is the same body as ``省应急管理厅``. This module turns such text into
canonical names and remembers every alias it has seen.

**Canonical rule.** A canonical name is the level prefix (``省`` ``市`` ``县`` ``区``, restored
from the list when the writer left it out) followed by the department's *standard form*:
the form State Council and provincial documents use when they list departments
(``应急管理厅``, ``发展改革委``, ``住房城乡建设厅``, ``市场监管局``, ``卫生健康委`` …),
taken from the curated table ``STANDARD_FORMS`` below. A short or colloquial form maps to it
(``省应急厅`` → ``省应急管理厅``, ``交通厅`` → ``省交通运输厅``, ``发改委`` → ``发展改革委``);
a name the table does not know is its own canonical form. The rule is a pure function of
the name, so ingesting another document never renames what the store already holds.

Entities that are not a single department of the document's level are kept verbatim and
never receive a prefix: ``各市政府``, ``相关市政府``, ``沈抚示范区管委会``,
``国家矿山安全监察局辽宁局``, ``沈阳铁路监管局``, ``省、中直负有安全生产监管职责的部门``.

Example::

    >>> from regkb.corpus.departments import DepartmentRegistry, split_departments
    >>> split_departments("省应急厅、发展改革委,省、中直负有安全生产监管职责的部门")
    ['省应急厅', '省发展改革委', '省、中直负有安全生产监管职责的部门']
    >>> reg = DepartmentRegistry()
    >>> reg.add("省应急厅", region="辽宁")
    '省应急管理厅'
    >>> reg.canonical("应急管理厅"), reg.canonical("应急厅"), reg.canonical("省应急厅")
    ('省应急管理厅', '省应急管理厅', '省应急管理厅')
    >>> reg.aliases("省应急管理厅")
    ['省应急厅']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from regkb.corpus.regions import PROVINCES

# Level prefixes, in the order used to prefer a match when a user omits the prefix.
LEVEL_PREFIXES = ("省", "市", "县", "区")
LEVEL_OF_PREFIX = {"省": "provincial", "市": "city", "县": "county", "区": "county"}

# Words that start with a level character without being a level prefix.
_NOT_A_PREFIX = ("市场", "市政", "区域", "县域", "省级", "市级", "县级", "区级", "省内", "市内")

# Curated standard forms: standard form -> other forms seen in official writing.
# Provincial (厅/委) and city/county (局) variants are separate entries because the
# same function is a 厅 at one level and a 局 at another.
STANDARD_FORMS: dict[str, tuple[str, ...]] = {
    "应急管理厅": ("应急厅",),
    "应急管理局": ("应急局",),
    "发展改革委": ("发改委", "发展和改革委员会", "发展改革委员会", "发展和改革委"),
    "发展改革局": ("发改局", "发展和改革局"),
    "工业和信息化厅": ("工信厅", "工业信息化厅"),
    "工业和信息化局": ("工信局", "工业信息化局"),
    "住房城乡建设厅": ("住建厅", "住房和城乡建设厅"),
    "住房城乡建设局": ("住建局", "住房和城乡建设局"),
    "市场监管局": ("市场监督管理局",),
    "自然资源厅": (),
    "自然资源局": (),
    "生态环境厅": (),
    "生态环境局": (),
    "交通运输厅": ("交通厅",),
    "交通运输局": ("交通局",),
    "公安厅": (),
    "公安局": (),
    "教育厅": (),
    "教育局": (),
    "财政厅": (),
    "财政局": (),
    "人力资源社会保障厅": ("人社厅", "人力资源和社会保障厅"),
    "人力资源社会保障局": ("人社局", "人力资源和社会保障局"),
    "农业农村厅": ("农业和农村厅",),
    "农业农村局": ("农业和农村局",),
    "水利厅": (),
    "水利局": (),
    "商务厅": (),
    "商务局": (),
    "文化和旅游厅": ("文旅厅", "文化旅游厅"),
    "文化和旅游局": ("文旅局", "文化旅游局", "文广旅局"),
    "卫生健康委": ("卫健委", "卫生健康委员会", "卫生和健康委员会"),
    "卫生健康局": ("卫健局",),
    "林业和草原局": ("林草局",),
    "气象局": (),
    "消防救援总队": ("消防总队",),
    "消防救援支队": ("消防支队",),
    "消防救援大队": ("消防大队",),
    "通信管理局": ("通管局",),
    "能源局": (),
    "粮食和物资储备局": ("粮食和储备局", "粮储局"),
    "国资委": ("国有资产监督管理委员会", "国有资产监管委"),
    "科技厅": ("科学技术厅",),
    "科技局": ("科学技术局",),
    "司法厅": (),
    "司法局": (),
    "民政厅": (),
    "民政局": (),
    "民族和宗教委": ("民宗委", "民族和宗教事务委员会", "民族宗教委"),
    "营商局": ("营商环境建设局",),
    "广电局": ("广播电视局",),
    "文物局": (),
    "人防办": ("人民防空办公室", "人防办公室"),
    "安委办": ("安全生产委员会办公室", "安委会办公室"),
    "安委会": ("安全生产委员会",),
    "煤矿安监局": ("煤矿安全监察局",),
    "邮政管理局": (),
    "统计局": (),
    "审计厅": (),
    "退役军人事务厅": (),
    "外办": ("外事办公室",),
    "城市管理局": ("城管局",),
    "医疗保障局": ("医保局",),
    "国防动员办": ("国动办",),
    "总工会": (),
    "妇联": ("妇女联合会",),
    "科协": ("科学技术协会",),
    "残联": ("残疾人联合会",),
    "地震局": (),
    "体育局": (),
    "信访局": (),
    "大数据局": (),
    "检察院": ("人民检察院",),
    "税务局": (),
    "电力公司": (),  # the province's or city's grid company, as 分工 lists name it
    "净空办": ("净空保护办公室",),
}
_STANDARD_OF: dict[str, str] = {}
for _std, _forms in STANDARD_FORMS.items():
    _STANDARD_OF[_std] = _std
    for _f in _forms:
        _STANDARD_OF[_f] = _std

# Endings of a department-like name (one that may inherit a list's level prefix).
DEPARTMENT_SUFFIXES = (
    "厅", "委", "局", "办", "会", "院", "部", "总队", "支队", "大队", "公司", "中心",
    "集团", "办公室", "室", "处", "站", "署", "分局", "队",
)

# Starts of names that are entities in their own right, never prefixed.
_ENTITY_STARTS = (
    "各", "有关", "相关", "其他", "其它", "负有", "上级", "中直", "国家", "中国", "中央",
    "中共", "全国", "民航", "国网", "国务院", "应急管理部", "驻",
)
_ENTITY_INFIXES = ("示范区", "开发区", "新区", "高新区", "园区", "政府", "、", "地区")

# Place names that start vertically managed or other-level bodies (沈阳铁路监管局,
# 辽宁海事局): provinces, the cities and counties met in the corpus, and the great regions.
_PLACES = PROVINCES + (
    "沈阳", "大连", "鞍山", "抚顺", "本溪", "丹东", "锦州", "营口", "阜新",
    "辽阳", "盘锦", "铁岭", "朝阳", "葫芦岛", "沈抚", "包头", "九原", "湖州", "德清",
    "长兴", "安吉", "南浔", "吴兴", "东北", "华北", "华东", "华南", "华中", "西南", "西北",
)

_SEPARATORS = "、,，;；/\n"
# Bare names that may be one of a one-level list's bodies, and vertically managed bodies
# (named after their place, never the issuer's) that may not.
_PLAIN_ENDINGS = ("局", "委", "办", "厅")
_PLAIN_LENGTH = 5  # a place (2+ characters) and a function (3+) make a longer name
_VERTICAL_ENDINGS = ("海事局", "海警局", "分局", "监管局", "监察局", "铁路局", "航道局")
# A space between a complete name and the next one separates them (市卫健委 市民政局).
_SPACE_BETWEEN_NAMES = re.compile(r"(?<=[厅委局办会院部队司心团室处站署])[ \t\u3000\xa0]+(?=[省市县区各])")
_SPACE_RE = re.compile(r"\s+")
_GENERIC_TAIL_RE = re.compile(r"(?<=[厅委局办会院部队司心团室处站署])等(?:有关|相关|其他)?(?:部门|单位)$")


def normalise_name(name: str) -> str:
    """Strip spaces and the trailing 等 of 'X等'; unify full-width brackets."""
    name = _SPACE_RE.sub("", name).strip("。.:：")
    name = name.replace("（", "(").replace("）", ")")
    # 区水务局等有关部门 → 区水务局 (the generic tail names no one)
    name = _GENERIC_TAIL_RE.sub("", name) if len(name) > 6 else name
    while name.endswith("等") and len(name) > 2:
        name = name[:-1]
    return name


def split_prefix(name: str) -> tuple[str, str]:
    """``省应急厅`` → (``省``, ``应急厅``); ``市场监管局`` → (``""``, ``市场监管局``)."""
    if len(name) > 1 and name[0] in LEVEL_PREFIXES and not name.startswith(_NOT_A_PREFIX):
        return name[0], name[1:]
    return "", name


def is_entity(name: str) -> bool:
    """True for names kept verbatim: collective, cross-level or place-named bodies."""
    if name.startswith(_ENTITY_STARTS) or any(i in name for i in _ENTITY_INFIXES):
        return True
    prefix, core = split_prefix(name)
    return core.startswith(_PLACES)


def is_department_like(name: str) -> bool:
    return name.endswith(DEPARTMENT_SUFFIXES)


def standard_core(core: str) -> str:
    """The curated standard form of a prefix-less name (itself when not curated)."""
    return _STANDARD_OF.get(core, core)


def canonical_form(name: str) -> str:
    """The canonical spelling of one (already prefix-restored) name; see the module doc."""
    name = normalise_name(name)
    if not name or is_entity(name):
        return name
    prefix, core = split_prefix(name)
    return prefix + standard_core(core)


def spaced_names_apart(text: str) -> str:
    """``市卫健委 市民政局`` → ``市卫健委、市民政局``: a space after a complete name, before
    the next one's level prefix, separates two names (before spaces are squeezed out)."""
    return _SPACE_BETWEEN_NAMES.sub("、", text)


def split_top_level(text: str, separators: str = _SEPARATORS) -> list[str]:
    """Split at separators outside brackets: ``各县（市、区）人民政府、市应急局`` is two names."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def is_own_body(core: str, full: str, known: Callable[[str], bool] | None = None) -> bool:
    """Whether ``core``, written without a level prefix after ``省X、``, is one of the
    issuer's own bodies, so that ``full`` (prefix + core) is its name: a curated standard
    form says so, or the document or registry has met ``full`` written out. A name the
    writer gave no prefix for a reason (团市委, 泉州海事局, 武警江西省总队) has neither."""
    return core in _STANDARD_OF or (known is not None and known(full))


def _plain_department(name: str) -> bool:
    """A bare government department (水务局, 经信局, 人力社保局): a short function name with
    no level character inside (团市委), not a body named after its place (遵义公路管理局) nor a
    vertically managed one (舟山海事局, 银保监分局)."""
    return (len(name) <= _PLAIN_LENGTH and name.endswith(_PLAIN_ENDINGS) and not name.endswith(_VERTICAL_ENDINGS)
            and not is_entity(name) and not any(level in name for level in LEVEL_PREFIXES))


def _one_level_list(items: list[str], carried: str) -> bool:
    """Whether a list names the bodies of one level only: each department in it has the
    same level prefix or is a plain bare department, and a prefix is written (in the list
    or the clause before it). Then a bare department is one of them (水务局 among 市… bodies)."""
    departments = [item for item in items if is_department_like(item) and not is_entity(item)]
    prefixes = {split_prefix(item)[0] for item in departments} - {""}
    return len(prefixes | ({carried[0]} if carried else set())) == 1 and \
        all(split_prefix(item)[0] or _plain_department(item) for item in departments)


def _restore_prefixes(items: list[str], prefix: str = "",
                      known: Callable[[str], bool] | None = None) -> tuple[list[str], str]:
    out: list[str] = []
    one_level = _one_level_list(items, prefix)
    # prefix: the last explicit level prefix, e.g. 省, or 省委 before a party 部
    for item in items:
        own, core = split_prefix(item)
        if own:
            prefix = own + ("委" if core.startswith("委") else "")
            out.append(item)
        elif prefix and not is_entity(item) and is_department_like(item):
            # 省委宣传部、组织部 → 省委组织部; 省委宣传部、文化和旅游厅 → 省文化和旅游厅
            party = prefix.endswith("委") and item.endswith("部")
            use = prefix if party else prefix[0]
            own_body = party or is_own_body(item, use + item, known) or (one_level and _plain_department(item))
            out.append(use + item if own_body else item)
        else:
            out.append(item)
    return out, prefix


def explicit_names(texts: list[str]) -> set[str]:
    """Canonical forms of the names written with their level prefix in ``texts`` (the
    document's own full forms, evidence for restoring a prefix elsewhere in it)."""
    names: set[str] = set()
    for text in texts:
        for part in re.split(r"[、,，;；/\n()（）]", text):
            name = normalise_name(part)
            if split_prefix(name)[0] and is_department_like(name):
                names.add(canonical_form(name))
    return names


def split_departments(text: str, known: Callable[[str], bool] | None = None) -> list[str]:
    """Split a list of departments and restore the shared level prefix.

    Separators are ``、`` ``,`` ``，`` ``;`` and line breaks outside brackets (``各县（市、区）
    人民政府`` is one name); a trailing 等 is dropped; a bare level such as ``省`` in
    ``省、中直负有…的部门`` stays joined to what follows. A name without a prefix takes the
    list's prefix only when it is the issuer's own body (``is_own_body``; ``known`` tells
    which full names the document or registry has met). Names are not canonicalised here
    (``省应急厅`` stays as written).

    >>> split_departments("省发展改革委、工业和信息化厅")
    ['省发展改革委', '省工业和信息化厅']
    """
    return split_departments_carrying(text, known=known)[0]


def split_departments_carrying(text: str, prefix: str = "",
                               known: Callable[[str], bool] | None = None) -> tuple[list[str], str]:
    """``split_departments`` that starts from, and also returns, the running level prefix
    (so a prefix carries over from one clause of a parenthesis to the next)."""
    raw = [normalise_name(p) for p in split_top_level(spaced_names_apart(text))]
    raw = [p for p in raw if p]
    items: list[str] = []
    i = 0
    while i < len(raw):
        item = raw[i]
        # 省、中直… / 市、县两级政府: a bare level belongs to the next item
        while set(item.split("、")[-1]) <= set(LEVEL_PREFIXES) and i + 1 < len(raw):
            i += 1
            item = item + "、" + raw[i]
        items.append(item)
        i += 1
    return _restore_prefixes(items, prefix, known)


# Names of national bodies: one body wherever it is named, so no region in its identity.
_NATIONAL_STARTS = ("国家", "国务院", "中央", "中共中央", "全国", "应急管理部", "中国")
_LEVEL_ENDINGS = {"省": ("省", "自治区"), "市": ("市", "州", "盟"), "县": ("县", "旗"), "区": ("区",)}


def abbreviates(short: str, full: str) -> bool:
    """Whether ``short`` is a contraction of ``full`` as officials write one: the same level
    prefix, the same first and last character, the other characters in order (市中级法院 and
    市中院 of 市中级人民法院, 市综合执法局 of 市综合行政执法局). A name that starts with the
    whole short one is a body inside it (市公安局交通管理局), not its long form."""
    (short_prefix, short_core), (full_prefix, full_core) = split_prefix(short), split_prefix(full)
    if short_prefix != full_prefix or not 2 <= len(short_core) < len(full_core) or is_entity(short) \
            or is_entity(full) or (short_core[0], short_core[-1]) != (full_core[0], full_core[-1]) \
            or full_core.startswith(short_core):
        return False
    remaining = iter(full_core)
    return all(char in remaining for char in short_core)


def full_forms(names: list[str]) -> dict[str, str]:
    """short name -> the one longer name of ``names`` it contracts (names with no single
    such name are left out)."""
    joined = {}
    for short in names:
        fuller = [full for full in names if abbreviates(short, full)]
        if len(fuller) == 1:
            joined[short] = fuller[0]
    return joined


def _place_of_level(prefix: str, region: str) -> str | None:
    """The part of ``region`` at a prefix's level: 市 of 包头市九原区 is 包头市."""
    ends = [region.rfind(ending) + len(ending) for ending in _LEVEL_ENDINGS[prefix] if ending in region]
    return region[:max(ends)] if ends else None


def region_key(name: str, region: str | None) -> str | None:
    """The region part of a department's identity: where the body sits. A prefixed name
    takes the document's region at its own level (``市应急管理局`` in a 包头市九原区 plan is
    包头市's); a national body (国家矿山安全监察局, 应急管理部) is the same everywhere."""
    if not region or name.startswith(_NATIONAL_STARTS):
        return None
    prefix, _ = split_prefix(name)
    if prefix and not is_entity(name):
        return _place_of_level(prefix, region) or region
    return region


def full_name(canonical: str, region: str | None) -> str:
    """``省应急管理厅`` of 辽宁省 → ``辽宁省应急管理厅``, ``市应急管理局`` of 包头市 →
    ``包头市应急管理局``; a name whose prefix has no place in the region stays as it is."""
    prefix, core = split_prefix(canonical)
    if not region or not prefix or is_entity(canonical):
        return canonical
    place = _place_of_level(prefix, region)
    return place + core if place else canonical


@dataclass
class _Entry:
    level: str | None = None
    aliases: list[str] = field(default_factory=list)


Key = tuple[str, str | None]  # (canonical name, region)


class DepartmentRegistry:
    """Canonical department names with the aliases seen for each, per region.

    A department's identity is its canonical name *and* its region: the 省应急管理厅 of a
    Liaoning document and that of a Jiangxi one are two bodies, each with its own aliases
    (``region_key``: national bodies have no region). ``add`` records a name as met in a
    document (after prefix restoration) and returns its canonical form; ``canonical``
    resolves what a user types, with or without the level prefix, in any curated or seen
    form; ``matches`` lists every (name, region) body it may mean. Level comes from the
    prefix (``省`` → provincial, ``市`` → city, ``县``/``区`` → county) or from the caller.

    >>> reg = DepartmentRegistry()
    >>> reg.add("交通厅", region="辽宁")   # prefix-less: no level known from the name
    '交通运输厅'
    >>> reg.add("省交通厅", region="辽宁省"), reg.add("省交通运输厅", region="江西省")
    ('省交通运输厅', '省交通运输厅')
    >>> reg.canonical("交通运输厅")
    '交通运输厅'
    >>> reg.matches("省交通厅")
    [('省交通运输厅', '辽宁省'), ('省交通运输厅', '江西省')]
    >>> reg.matches("江西省交通运输厅")
    [('省交通运输厅', '江西省')]
    """

    def __init__(self) -> None:
        self._entries: dict[Key, _Entry] = {}
        self._alias_of: dict[str, str] = {}

    # -- building --------------------------------------------------------------------
    def add(self, name: str, level: str | None = None, region: str | None = None) -> str:
        name = normalise_name(name)
        if not name:
            raise ValueError("部门名称不能为空")
        canon = canonical_form(name)
        key = (canon, region_key(canon, region))
        if key not in self._entries:
            # a contraction of a body already met in the region is that body (市中院)
            fuller = [n for n, where in self._entries if where == key[1] and abbreviates(canon, n)]
            if len(fuller) == 1:
                canon = fuller[0]
                key = (canon, key[1])
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        prefix, _ = split_prefix(canon)
        if entry.level is None:
            if prefix and not is_entity(canon):
                entry.level = LEVEL_OF_PREFIX[prefix]
            elif level is not None and not is_entity(canon):
                entry.level = getattr(level, "value", level)
        if name != canon and name not in entry.aliases:
            entry.aliases.append(name)
        self._alias_of.setdefault(name, canon)
        self._alias_of.setdefault(canon, canon)
        return canon

    def add_all(self, names: list[str], level: str | None = None,
                region: str | None = None) -> list[str]:
        """Add several names; returns their canonical forms without duplicates, in order."""
        out: list[str] = []
        for n in names:
            c = self.add(n, level=level, region=region)
            if c not in out:
                out.append(c)
        return out

    # -- lookup ----------------------------------------------------------------------
    def _known(self, canonical: str) -> bool:
        return any(name == canonical for name, _ in self._entries)

    def canonical(self, name: str) -> str | None:
        """The canonical name a user's spelling refers to, or None when unknown."""
        name = normalise_name(name)
        if not name:
            return None
        if name in self._alias_of:
            return self._alias_of[name]
        canon = canonical_form(name)
        if self._known(canon):
            return canon
        prefix, core = split_prefix(name)
        if prefix:
            return None
        # No prefix typed: any registered level, provincial first.
        std = standard_core(core)
        for p in LEVEL_PREFIXES:
            if self._known(p + std):
                return p + std
        return None

    def matches(self, name: str) -> list[Key]:
        """Every (canonical name, region) body a user's spelling may mean: all regions of
        the name, all levels when no prefix was typed, or the one body a full name with its
        region (``江西省交通运输厅``) names."""
        typed = normalise_name(name)
        if not typed:
            return []
        by_full = [key for key in self._entries if full_name(*key) == typed and key[0] != typed]
        if by_full:
            return by_full
        names = {self._alias_of.get(typed), canonical_form(typed)} - {None}
        prefix, core = split_prefix(typed)
        if not prefix and not any(self._known(n) for n in names):
            names |= {p + standard_core(core) for p in LEVEL_PREFIXES}
        order = {p: i for i, p in enumerate(LEVEL_PREFIXES)}
        found = [key for key in self._entries if key[0] in names]
        return sorted(found, key=lambda key: order.get(split_prefix(key[0])[0], len(order)))

    def aliases(self, canonical: str, region: str | None = None) -> list[str]:
        """Every other spelling seen for ``canonical`` (in ``region``, or in any), in the
        order first seen."""
        out: list[str] = []
        for (name, where), entry in self._entries.items():
            if name == canonical and (region is None or where == region):
                out += [alias for alias in entry.aliases if alias not in out]
        return out

    def info(self, canonical: str, region: str | None = None) -> dict | None:
        keys = [key for key in self._entries if key[0] == canonical and (region is None or key[1] == region)]
        if not keys:
            return None
        entry = self._entries[keys[0]]
        return {"name": canonical, "level": entry.level, "regions": [key[1] for key in keys if key[1]],
                "aliases": self.aliases(canonical, region)}

    def keys(self) -> list[Key]:
        """Every (canonical name, region) body, in the order first met."""
        return list(self._entries)

    def names(self) -> list[str]:
        """Canonical names (a name met in several regions once)."""
        return list(dict.fromkeys(name for name, _ in self._entries))

    def all_spellings(self) -> list[str]:
        """Canonical names, seen aliases and their curated variants (for a jieba dictionary)."""
        out: dict[str, None] = {}
        for (canon, _), entry in self._entries.items():
            out[canon] = None
            for a in entry.aliases:
                out[a] = None
            prefix, core = split_prefix(canon)
            if not is_entity(canon):
                for form in STANDARD_FORMS.get(core, ()):
                    out[prefix + form] = None
        return list(out)

    def __contains__(self, name: str) -> bool:
        return self.canonical(name) is not None

    def __len__(self) -> int:
        return len(self._entries)

    # -- storage ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"entries": [{"name": name, "region": region, "level": e.level, "aliases": list(e.aliases)}
                            for (name, region), e in self._entries.items()]}

    @classmethod
    def from_dict(cls, data: dict) -> "DepartmentRegistry":
        """Read ``to_dict``'s shape, or the older one keyed by name with a list of regions."""
        data = data or {}
        rows = list(data.get("entries", []))
        for name, d in data.get("departments", {}).items():
            rows += [{"name": name, "region": region, "level": d.get("level"), "aliases": d.get("aliases", [])}
                     for region in (d.get("regions") or [None])]
        reg = cls()
        for row in rows:
            reg._entries[(row["name"], row.get("region"))] = _Entry(level=row.get("level"),
                                                                   aliases=list(row.get("aliases", [])))
            reg._alias_of.setdefault(row["name"], row["name"])
            for a in row.get("aliases", []):
                reg._alias_of.setdefault(a, row["name"])
        return reg
