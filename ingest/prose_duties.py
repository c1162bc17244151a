"""Inferred duties from the prose of plans and opinions.

Plans and implementation opinions say who does what in running text: ``建设部门要牵头建立
实施城市安全评价制度``, ``由市应急管理局负责…``, ``区安委办会同有关部门…``,
``配合市应急管理局建立…``. ``ProseDutyExtractor`` reads such sentences into ``Duty`` objects
with ``inferred=True`` and the sentence as ``evidence``.

It aims at precision: a duty is only read when a *specific* department is the subject of a
clause (or the object of 会同/配合) directly before the role verb; collective or generic
bodies (``各地各有关部门``, ``有关部门``, ``负有安全生产监督管理职责的部门``, ``上级主管部门``)
name no one and are skipped. Roles: 牵头 and ``X会同Y`` → X leads, Y cooperates;
负责 → responsible; ``X配合Y`` → X cooperates, Y leads.

Run it on ``plan`` / ``opinion`` documents only; division-of-labour documents get the exact
parser in ``regkb.ingest.duties``, and the two kinds are never mixed.

Example::

    >>> from regkb.corpus.models import Block
    >>> from regkb.ingest.prose_duties import ProseDutyExtractor
    >>> blocks = [Block(text="建设部门要牵头建立实施城市安全评价制度,定期排查安全风险点。"
    ...                      "各地各有关部门按照职责分工抓好落实。")]
    >>> [(d.lead, d.task) for d in ProseDutyExtractor().run(blocks, source="003.txt", doc_id="d3")["duties"]]
    [(['建设部门'], '建立实施城市安全评价制度,定期排查安全风险点')]
"""

from __future__ import annotations

import re

from regkb.corpus.departments import DepartmentRegistry, normalise_name, split_departments
from regkb.corpus.models import Block, Duty
from regkb.ingest.duties import DutyExtractor, segment_text, strip_enumerator

_NAME = r"[\u4e00-\u9fa5()（）]{1,24}?(?:部门|厅|委|局|办公室|办|总队|支队|大队|中心|分局|管委会|委员会|政府)"
_LIST = _NAME + r"(?:(?:[、和及与]|等)" + _NAME + r")*(?:等(?:有关|相关)?(?:部门|单位))?"
_MODAL = r"(?:要|将|应当|应|须|必须|需要|需)?(?:适时|具体|统一|主要|切实|积极|共同)?"
_VERB = r"(?P<verb>牵头负责|牵头|负责(?![人同])|会同|配合)"
_SUBJECT_RE = re.compile(r"^(?:由)?(?P<subj>" + _LIST + r")" + _MODAL + _VERB)
_OBJECT_RE = re.compile(r"^(?P<verb>会同|配合)(?P<obj>" + _LIST + r")")
_BY_RE = re.compile(r"^(?P<before>[^由]{2,}?)由(?P<subj>" + _LIST + r")" + r"(?P<verb>牵头负责|牵头|负责(?![人同]))")
_AFTER_OBJ_RE = re.compile(r"^(?P<obj>" + _LIST + r")")

_SENTENCE_RE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_CLAUSE_SPLIT_RE = re.compile(r"[,，:：]")

_GENERIC_STARTS = ("各", "有关", "相关", "其他", "其它", "负有", "上级", "行业", "同级", "本级",
                   "所在", "属地", "主管", "职能", "成员", "各级", "对口", "两级", "乡镇")
_NOT_IN_NAME = ("的", "建立", "加强", "推进", "落实", "完善", "开展", "实施", "组织", "按照",
                "对", "在", "为", "把", "及时", "依法", "做好", "进行", "协调", "提供", "监督检查")
_CONNECTIVES = ("同时", "并", "还", "另外", "此外")


def is_specific_department(name: str) -> bool:
    """A named body (建设部门, 市应急管理局), not a collective (各有关部门) or generic one."""
    name = normalise_name(name)
    if len(name) < 3 or len(name) > 24 or name.startswith(_GENERIC_STARTS):
        return False
    if any(w in name for w in _NOT_IN_NAME):
        return False
    if name.endswith("部门"):
        # 建设部门, 应急管理部门: a function word before 部门; not 有关部门, 职能部门
        core = name[:-2]
        return len(core) >= 2 and not core.endswith(("有关", "相关", "职能", "主管", "监管", "行政"))
    if name.endswith("政府"):
        return name[0] in "省市县区" and len(name) <= 4
    return True


def _names(text: str) -> list[str]:
    return [n for n in split_departments(text) if is_specific_department(n)]


def _task_text(text: str) -> str:
    return text.strip().strip(",，、").rstrip("。.;；!！?？").strip()


class ProseDutyExtractor(DutyExtractor):
    """Inferred duties from plan / opinion prose; see the module docstring.

    ``run(blocks, source, doc_id, registry=None)`` returns ``{"duties": [...]}``.
    """

    def run(self, blocks: list[Block], source: str, doc_id: str,
            registry: DepartmentRegistry | None = None) -> dict[str, list[Duty]]:
        registry = registry if registry is not None else DepartmentRegistry()
        duties: list[Duty] = []
        for block in blocks:
            text = strip_enumerator(block.text.strip())
            for m in _SENTENCE_RE.finditer(text):
                sentence = m.group(0).strip()
                if sentence:
                    duties.extend(self._sentence(sentence, block, source, doc_id, registry))
        return {"duties": duties}

    def _sentence(self, sentence: str, block: Block, source: str, doc_id: str,
                  registry: DepartmentRegistry) -> list[Duty]:
        out: list[Duty] = []
        clauses = _CLAUSE_SPLIT_RE.split(sentence)
        offset = 0
        for clause in clauses:
            start = offset
            offset += len(clause) + 1
            c = clause.strip(" \u3000")
            for conn in _CONNECTIVES:
                if c.startswith(conn) and len(c) > len(conn) + 2:
                    c = c[len(conn):]
            roles = {"lead": [], "responsible": [], "cooperating": []}
            rest = ""
            m = _SUBJECT_RE.match(c)
            if m and _names(m.group("subj")):
                subj = _names(m.group("subj"))
                verb = m.group("verb")
                rest = c[m.end():]
                if verb in ("牵头", "牵头负责"):
                    roles["lead"] = subj
                    if rest.startswith("会同"):
                        om = _AFTER_OBJ_RE.match(rest[2:])
                        if om:
                            roles["cooperating"] = _names(om.group("obj"))
                            rest = rest[2 + om.end():]
                elif verb == "负责":
                    roles["responsible"] = subj
                elif verb == "会同":
                    roles["lead"] = subj
                    om = _AFTER_OBJ_RE.match(rest)
                    if om:
                        roles["cooperating"] = _names(om.group("obj"))
                        rest = rest[om.end():]
                elif verb == "配合":
                    roles["cooperating"] = subj
                    om = _AFTER_OBJ_RE.match(rest)
                    if om and _names(om.group("obj")):
                        roles["lead"] = _names(om.group("obj"))
                        rest = rest[om.end():]
            else:
                m = _OBJECT_RE.match(c)
                if m and _names(m.group("obj")):
                    # no subject: the document's author acts; only the named party is known
                    role = "lead" if m.group("verb") == "配合" else "cooperating"
                    roles[role] = _names(m.group("obj"))
                    rest = c[m.end():]
                else:
                    m = _BY_RE.match(c)
                    if m and _names(m.group("subj")):
                        role = "responsible" if m.group("verb") == "负责" else "lead"
                        roles[role] = _names(m.group("subj"))
                        rest = m.group("before") + c[m.end():]
            if not any(roles.values()):
                continue
            # the task: what follows the verb, to the end of the sentence
            tail = sentence[start + len(clause):]  # starts with the separator, if any
            task = _task_text(rest + tail if rest else tail[1:])
            if len(task) < 4:
                continue
            canon = {r: registry.add_all(n, level=self.level, region=self.region) for r, n in roles.items()}
            out.append(Duty(task=task, section_path=list(block.section_path), evidence=sentence,
                            inferred=True, source=source, doc_id=doc_id, **canon))
        return out


def extract_prose_duties(blocks: list[Block], source: str, doc_id: str,
                         registry: DepartmentRegistry | None = None, level: str | None = None,
                         region: str | None = None) -> list[Duty]:
    """Function form of ``ProseDutyExtractor(level, region).run(...)["duties"]``."""
    return ProseDutyExtractor(level=level, region=region).run(
        blocks, source=source, doc_id=doc_id, registry=registry)["duties"]


def extract_prose_duties_from_text(text: str, source: str, doc_id: str,
                                   registry: DepartmentRegistry | None = None,
                                   level: str | None = None, region: str | None = None) -> list[Duty]:
    """Inferred duties of a plan or opinion given as plain text (own light segmentation)."""
    return extract_prose_duties(segment_text(text), source, doc_id, registry=registry,
                                level=level, region=region)
