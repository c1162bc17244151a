"""Metadata: title, type, issuer, document number, date, region and level of a document.

Read from the document's cleaned opening lines (web-page chrome such as a breadcrumb is
already gone; a law file's front matter included), with the chrome lines kept aside for a
publication date. What cannot be found stays None, and whatever the user gives at ingest wins.

Title, in order of preference: the 《…》 (or the bare name) of a ``关于印发…的通知``; a
standard's name under its number (``GB 30871—2022``); a heading line ending in a title word
(规划, 方案, 分工表, 主要指标 …); a plan that names itself (``编制《…规划》``); the file name.

>>> meta = extract_metadata("x.txt", ["关于印发《辽宁省安全生产规划》的通知", "辽安委办〔2021〕101号"])
>>> meta.title, meta.doc_number, meta.region, meta.level
('辽宁省安全生产规划', '辽安委办〔2021〕101号', '辽宁省', 'provincial')
"""

from __future__ import annotations

import re

from regkb.corpus.models import Authority, DocType, DocumentMeta, Level
from regkb.corpus.regions import AUTONOMOUS_REGIONS, MUNICIPALITIES, PROVINCES, place_parents

_HEAD_LINES = 40
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fa5]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号$")
_DATE = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})\s*日?")
_DATE_IN_NAME = re.compile(r"[(（](\d{4}-\d{2}-\d{2})[)）]")
_WRAPPED_TITLE = re.compile(r"(?:印发|转发|征求|发布)[^《]*《([^》]+)》")
_BARE_WRAPPED_TITLE = re.compile(r"关于(?:印发|转发)([^《》]{4,60}?)的通知$")
_TITLE_WORDS = ("规划", "方案", "意见", "条例", "办法", "规定", "通知", "决定", "细则", "标准", "规范", "法", "计划",
                "分工表", "分工", "指标", "要点", "清单")
# Words of a file name that make it a title (附件2.xlsx, t20200706_2384751.txt are not).
_NAME_TITLE_WORDS = ("规划", "方案", "意见", "分工", "计划", "指标", "要点", "清单", "细则", "办法", "规范")
# A heading line that is no title: a standard's cover header, a numbered heading, a caption.
_NOT_A_TITLE = re.compile(r"^(?:中华人民共和国[\u4e00-\u9fa5]{0,6}标准|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]"
                          r"|\d+[.．、\s]|表\s*\d|附件|附表|注[:：])")
_BODY_START = re.compile(r"^(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+[章条])")
# GB 30871—2022, GB/T 29639—2020, AQ/T 9011—2025, DB21/T 3344—2021
_STANDARD_NUMBER = re.compile(r"^((?:GB|AQ|DB\d{2}|[A-Z]{2})(?:/[TZ])?)\s*(\d+(?:\.\d+)?)\s*[—–\-－]+\s*(\d{4})$")
# "2019年2月17日 中华人民共和国国务院令第708号公布": the 令 number of a regulation's version
_DECREE = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日)\s*(?:中华人民共和国)?([\u4e00-\u9fa5]{2,16}令第\d+号)公布")
_ISSUER = re.compile(r"^[\u4e00-\u9fa5（）()]{2,30}(委员会|人民政府|办公室|办公厅|管理局|应急管理局|监督管理局|厅|局|委|部)$")
_ENACTMENT = re.compile(
    r"^\d{4}年\d{1,2}月\d{1,2}日\s*(?:(?P<congress>(?:[\u4e00-\u9fa5]{2,3}省)?(?:第[^届]{1,4}届)?(?:全国)?人民代表大会常务委员会)"
    r"|(?:中华人民共和国)?(?P<council>国务院)|(?P<ministry>国家[\u4e00-\u9fa5]{2,16}总局)令)"
)
_CONGRESS_TERM = re.compile(r"第[^届]{1,4}届")
_PLACE = re.compile(r"([\u4e00-\u9fa5]{2,8}?(?:省|自治区|市|自治州|地区|盟|县|区|旗))")
_PLACE_WORD = re.compile(r"省|自治区|市|州|盟|县|区|旗|特别行政区")
_PUBLISHED = re.compile(r"^.{0,20}(发布日期|发布时间|印发日期|成文日期)[:：]")
_SELF_NAMED = re.compile(r"编制(?:完成)?了?《([^》]{4,60}(?:规划|方案|意见|计划))》")
_FILE_STEM_TITLE = re.compile(r"^(.+?)[(（]\d{4}-\d{2}-\d{2}[)）]$")
# A line of a law's adoption and amendment history: "2011年5月27日 北京市……会议修订"
_HISTORY = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日).{0,80}?(?:通过|修订|修正|公布|批准)")
# The article (or a line under the title) that says when the text takes effect: "本条例自2001年9月1日起施行"
_TAKES_EFFECT = re.compile(r"(?:^|本(?:法|条例|规定|办法|细则|决定|规则))自(\d{4}年\d{1,2}月\d{1,2}日)起(?:施行|生效)")


def _iso_date(match: re.Match) -> str:
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def standard_number(lines: list[str]) -> tuple[int, str] | None:
    """(line index, ``GB 30871—2022``) of a standard's number among the opening lines."""
    for index, line in enumerate(lines[:_HEAD_LINES]):
        m = _STANDARD_NUMBER.match(line)
        if m:
            return index, f"{m.group(1)} {m.group(2)}—{m.group(3)}"
    return None


def _notice_title(text: str) -> str | None:
    """The document a 印发/转发 notice carries: ``关于印发《X》的通知`` or ``关于印发X的通知``."""
    if not text.endswith(("通知", "函")):
        return None
    wrapped = _WRAPPED_TITLE.search(text)
    if wrapped:
        return wrapped.group(1)
    bare = _BARE_WRAPPED_TITLE.search(text)
    return bare.group(1) if bare else None


def _standard_title(lines: list[str]) -> str | None:
    """A standard's name: the first Chinese line under its number, past ``代替 …``."""
    found = standard_number(lines)
    if found is None:
        return None
    for line in lines[found[0] + 1 : found[0] + 6]:
        if line.startswith("代替") or not re.search(r"[\u4e00-\u9fa5]{4}", line):
            continue
        return line
    return None


def _find_title(lines: list[str]) -> str | None:
    head = [line.lstrip("#").strip() for line in lines[:_HEAD_LINES]]
    for text in head:
        if text and len(text) <= 80:
            carried = _notice_title(text)
            if carried:
                return carried
    standard = _standard_title(head)
    if standard:
        return standard
    for line, text in zip(lines, head):
        if len(text) > 80 or text.endswith("。") or _BODY_START.match(text):
            break  # the body has begun: a title stands above it
        if not text or _NOT_A_TITLE.match(text):
            continue
        if line.startswith("# ") or text.endswith(_TITLE_WORDS):
            return text
    return None


def title_from_file_name(source: str) -> str | None:
    """``正定县…任务分工方案.txt`` → its stem; a dated law file ``X(2021-06-10).md`` → X."""
    stem = source.rsplit(".", 1)[0].strip()
    named = _FILE_STEM_TITLE.match(stem)
    if named:
        return named.group(1)
    if re.search(r"[\u4e00-\u9fa5]{4}", stem) and any(word in stem for word in _NAME_TITLE_WORDS):
        return stem
    return None


def infer_doc_type(title: str | None) -> DocType | None:
    if not title:
        return None
    checks = [
        ("分工", DocType.division_of_labour), ("任务清单", DocType.division_of_labour),
        ("责任清单", DocType.division_of_labour), ("标准", DocType.standard), ("规范", DocType.standard),
        ("规划", DocType.plan), ("计划", DocType.plan), ("指标", DocType.plan), ("要点", DocType.plan),
        ("意见", DocType.opinion),
        ("条例", DocType.regulation), ("办法", DocType.regulation), ("规定", DocType.regulation),
        ("细则", DocType.regulation), ("通知", DocType.notice),
    ]
    for word, doc_type in checks:
        if word in title:
            return doc_type
    if title.endswith("法"):
        return DocType.law
    return None


def _is_city_of(name: str, province: str) -> bool:
    """Whether ``name`` (湖州市, 恩施土家族苗族自治州) is a known city of ``province``: after
    河南省, 建筑市场 and 劳动力市场 are what a title is about, not cities."""
    return province not in MUNICIPALITIES and any(
        name.startswith(city) for city, parent in place_parents().items() if parent == province)


def _names_no_place(title: str | None) -> bool:
    """A local rule's title always names its place (北京市…条例, 彭水…自治县…条例); a 条例, 办法 or
    法 whose title has no place word at all, and no issuer to say otherwise, is a national one."""
    return bool(title) and not _PLACE_WORD.search(title)


def infer_region_and_level(text: str | None) -> tuple[str | None, Level | None]:
    """The most specific place named at the start of a title or issuer, and its level."""
    if not text:
        return None, None
    if text.startswith("中华人民共和国") or text.startswith(("国务院", "国家", "全国", "中共中央")):
        return "全国", Level.national
    region = None
    for province in PROVINCES:
        if text.startswith(province):
            suffix = "市" if province in MUNICIPALITIES else ("" if province in AUTONOMOUS_REGIONS else "省")
            region = province + suffix if not text.startswith(province + "自治区") else province + "自治区"
            rest = text[len(province):].lstrip("省市自治区壮族回族维吾尔")
            city = _PLACE.match(rest)
            if city and city.group(1).endswith(("市", "州", "盟")) and _is_city_of(city.group(1), province):
                return region + city.group(1), Level.city
            return region, Level.provincial if province not in MUNICIPALITIES else Level.provincial
    place = _PLACE.match(text)
    if not place:
        return None, None
    name = place.group(1)
    nested = _PLACE.match(text[len(name):])
    # a county's name is short (九原区, 浦东新区); 居民住宅区, 历史文化街区 are what the title is about
    if nested and nested.group(1).endswith(("区", "县", "旗")) and len(nested.group(1)) <= 4 and name.endswith("市"):
        return name + nested.group(1), Level.county
    if name.endswith(("县", "区", "旗")):
        return name, Level.county
    if name.endswith(("市", "州", "盟", "地区")):
        return name, Level.city
    return name, Level.provincial


def _find_issuer(lines: list[str], title: str | None) -> str | None:
    for line in lines[:_HEAD_LINES]:
        enacted = _ENACTMENT.match(line)
        if enacted:
            # a law's history line: "…第九届全国人民代表大会常务委员会…通过", "国务院令第344号公布"
            name = next(group for group in enacted.groups() if group)
            return _CONGRESS_TERM.sub("", name)
    for line in lines[:_HEAD_LINES]:
        if line != title and _ISSUER.match(line) and not line.endswith(_TITLE_WORDS):
            return line
    if title:
        m = re.match(r"^([\u4e00-\u9fa5]{2,30}?(?:管理局|委员会|人民政府|办公室|厅|局))关于", title)
        if m:
            return m.group(1)
    return None


def infer_authority(doc_type: str | None, level: str | None, issuer: str | None, title: str | None) -> Authority | None:
    """效力层级 from the type, the issuer and where the document comes from.

    A national 条例 is an administrative regulation and a local one a local regulation; a
    national 办法/规定 is a ministry's rule and a local one a government rule, unless a
    people's congress made it. Plans, 分工方案 and their like are ``plan``; 意见, 通知 and
    standards are normative documents.
    """
    doc_type = getattr(doc_type, "value", doc_type)
    national = getattr(level, "value", level) == "national"
    congress = bool(issuer and "人民代表大会" in issuer)
    if doc_type in ("plan", "division_of_labour"):
        return Authority.plan
    if doc_type in ("opinion", "notice", "standard"):
        return Authority.normative
    if doc_type == "law":
        return Authority.law if national or level is None else Authority.local_regulation
    if doc_type == "regulation":
        is_statute = bool(title and title.endswith("条例")) or congress
        if national:
            return Authority.administrative_regulation if is_statute else Authority.departmental_rule
        if level is None and not is_statute:
            return None
        return Authority.local_regulation if is_statute else Authority.local_rule
    return None


def _doc_number(head: list[str], date: str | None) -> str | None:
    """A 文号, a standard's number, or the 令 number of the version a regulation file holds."""
    number = next((line for line in head if _DOC_NUMBER.match(line)), None)
    if number:
        return number
    standard = standard_number(head)
    if standard:
        return standard[1]
    for line in head:
        decree = _DECREE.match(line)
        if decree and date and _iso_date(_DATE.search(decree.group(1))) == date:
            return decree.group(2)
    return None


def history_date(lines: list[str]) -> str | None:
    """The latest date of the adoption and amendment history: the date of this version."""
    dates = [_iso_date(_DATE.search(m.group(1))) for m in map(_HISTORY.match, lines) if m]
    return max(dates) if dates else None


def effective_date(lines: list[str], version_date: str | None) -> str | None:
    """When this version takes effect: the text's own 施行 date when it is not older than the
    version (an amended law keeps its first 施行 date; then the version's date is meant)."""
    found = next((m for m in map(_TAKES_EFFECT.search, lines) if m), None)
    stated = _iso_date(_DATE.search(found.group(1))) if found else None
    if stated and (version_date is None or stated >= version_date):
        return stated
    return version_date


def extract_metadata(source: str, lines: list[str], chrome: list[str] | None = None) -> DocumentMeta:
    """Metadata from the cleaned opening lines of a document (front matter included);
    ``chrome``: web-page lines removed by cleaning (``发布时间:…``), read for a date only."""
    lines = [line.strip() for line in lines if line.strip()]
    title = _find_title(lines)
    if title is None:  # a plan that names itself: "编制《连云区…规划》"
        title = next((m.group(1) for m in map(_SELF_NAMED.search, lines[:_HEAD_LINES]) if m), None)
    if title is None:
        title = title_from_file_name(source)
    head = lines[:_HEAD_LINES]
    issuer = _find_issuer(lines, title)
    date = None
    in_name = _DATE_IN_NAME.search(source)
    if in_name:
        date = in_name.group(1)
    elif history_date(head):
        date = history_date(head)
    else:
        # the signature date (a line that is only a date) beats a date inside the text
        published = [line for line in (chrome or []) + head if _PUBLISHED.match(line)]
        dated = [l for l in head if _DATE.fullmatch(l)] or published
        if dated:
            date = _iso_date(_DATE.search(dated[0]))
    doc_number = _doc_number(head, date)
    region, level = infer_region_and_level(title)
    if region is None:
        region, level = infer_region_and_level(issuer)
    if issuer and ("全国人民代表大会" in issuer or issuer.startswith(("国务院", "国家"))):
        region, level = "全国", Level.national
    doc_type = infer_doc_type(title)
    if standard_number(head) is not None:
        doc_type = DocType.standard
        if (doc_number or "").startswith(("GB", "AQ")) or region is None:
            region, level = "全国", Level.national
    if doc_type in (DocType.regulation,) and issuer and "人民代表大会" in issuer and title and title.endswith("法"):
        doc_type = DocType.law
    if region is None and issuer is None and doc_type in (DocType.regulation, DocType.law) and _names_no_place(title):
        region, level = "全国", Level.national  # a file without its history lines (煤矿安全生产条例)
    return DocumentMeta(title=title, doc_type=doc_type, issuer=issuer, doc_number=doc_number, date=date,
                        region=region, level=level, authority=infer_authority(doc_type, level, issuer, title))
