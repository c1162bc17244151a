"""Reading a follow-up from the conversation before it: which law, article, region and topic
carry over. A question that leans on earlier turns (那罚多少？/ 辽宁呢？/ 第二款呢？) is
completed from them; one that stands alone is taken as written.

>>> vocabulary = Vocabulary(laws=("安全生产法",), regions=("辽宁", "浙江"))
>>> read_conversation(["辽宁的安全生产规划目标有哪些", "浙江呢"], vocabulary).read_as
'浙江 安全生产规划目标有哪些'
"""

import re
from dataclasses import dataclass, replace

from regkb.corpus.law_names import without_state_name
from regkb.corpus.regions import PROVINCES
from regkb.service.answers.schemas import ReadAs
from regkb.service.validation import MAX_QUERY_CHARS, KnowledgeBaseError

SHORT_QUESTION_CHARS = 6  # a follow-up this short has no topic of its own

_NUMERAL = "零〇一二三四五六七八九十百千0-9"
_ARTICLE = re.compile(rf"第[{_NUMERAL}]+条")
_PART = re.compile(rf"第[（(]?[{_NUMERAL}]+[)）]?[款项]")
_BOOK_TITLE = re.compile(r"《([^》]{2,60})》")
_LEADING = re.compile(r"^(那么|那|还有|另外|再问一下|这个|这|该|它|其)+")
# what ends a question and says nothing: particles, then punctuation (stripped, not matched:
# a regular expression anchored at the end is tried from every position, quadratic in the length)
_PARTICLES = "呢吗啊呀吧"
_END_PUNCTUATION = "?？!！。.,，"
# the question words that end a question; what is before them is its topic
_ASKING = re.compile(r"(是怎么规定的|怎么规定|如何规定|规定了什么|有什么规定|有哪些规定|有什么要求|有哪些要求|怎么处理|如何处理|"
                     r"怎么办|怎么罚|罚多少|是什么|有哪些|是多少|多少|什么|哪些|怎样|如何|吗)$")


@dataclass(frozen=True)
class Frame:
    """What a question is about: law, article (and 款/项), region, and the rest of it."""

    law: str | None = None
    article: str | None = None
    part: str | None = None
    region: str | None = None
    rest: str = ""

    def text(self) -> str:
        where = "".join(x for x in (f"《{self.law}》" if self.law else "", self.article, self.part) if x)
        return " ".join(x for x in (self.region, where, self.rest) if x).strip()


@dataclass(frozen=True)
class Vocabulary:
    """The law titles and regions of the documents in the store, under their short names too."""

    laws: tuple[str, ...]
    regions: tuple[str, ...]

    @classmethod
    def of(cls, documents) -> "Vocabulary":
        laws, regions = set(), set(PROVINCES)  # every province, so a region the store does not hold is still read as one
        for document in documents:
            if document.title and document.doc_type in ("law", "regulation"):
                laws.update({document.title, without_state_name(document.title)})
            if document.region and document.region != "全国":
                regions.update({document.region, short_region(document.region)})
        by_length = lambda names: tuple(sorted((n for n in names if len(n) >= 2), key=len, reverse=True))  # noqa: E731
        return cls(by_length(laws), by_length(regions))


def short_region(name: str) -> str:
    return re.sub(r"(省|市|自治区|特别行政区|县|区)$", "", name) or name


def read_frame(question: str, vocabulary: Vocabulary) -> Frame:
    text = question.strip()
    law = None
    if found := _BOOK_TITLE.search(text):
        law = without_state_name(found.group(1))
        text = text.replace(found.group(0), " ")
    else:
        for name in vocabulary.laws:
            if name in text:
                law = without_state_name(name)
                text = text.replace(name, " ")
                break
    region = next((r for r in vocabulary.regions if r in text), None)
    if region:
        text = text.replace(region, " ")
        region = short_region(region)
    article = _ARTICLE.search(text)
    part = _PART.search(text)
    for match in (article, part):
        if match:
            text = text.replace(match.group(0), " ")
    rest = _LEADING.sub("", "".join(text.split())).rstrip(_END_PUNCTUATION).rstrip(_PARTICLES).lstrip("的之中里")
    return Frame(law, article and article.group(0), part and part.group(0), region, rest)


def is_follow_up(question: str, frame: Frame) -> bool:
    """Leans on an earlier turn: starts with 那/还有…, ends with 呢, or is too short to stand alone."""
    stripped = question.strip()
    return bool(_LEADING.match(stripped)) or bool(re.search(r"呢[?？。!！\s]*$", stripped)) or \
        len(frame.rest) <= SHORT_QUESTION_CHARS


def complete(previous: Frame, current: Frame) -> tuple[Frame, list[str]]:
    """The current question with what it leaves out taken from the previous one."""
    carried = []
    changes: dict[str, str | None] = {}
    if not current.law and previous.law:
        changes["law"], carried = previous.law, carried + ["law"]
    same_law = not current.law or current.law == previous.law
    if not current.article and previous.article and same_law:
        changes["article"], carried = previous.article, carried + ["article"]
        if not current.part and previous.part and not current.rest:
            changes["part"] = previous.part
    if not current.region and previous.region:
        changes["region"], carried = previous.region, carried + ["region"]
    topic = _ASKING.sub("", previous.rest)
    if not current.rest:
        changes["rest"], carried = previous.rest, carried + ["topic"]
    elif len(current.rest) <= SHORT_QUESTION_CHARS and topic and topic not in current.rest:
        changes["rest"], carried = topic + current.rest, carried + ["topic"]
    return replace(current, **changes), carried


def read_conversation(questions: list[str], vocabulary: Vocabulary) -> ReadAs:
    """Read the user's questions in order, each completed from the one before when it is a follow-up."""
    # a turn is read as far as a question may go: the patterns below never see more
    turns = [q.strip()[:MAX_QUERY_CHARS] for q in questions if q.strip()]
    if not turns:
        raise KnowledgeBaseError("对话中没有用户提问")
    frame, carried = read_frame(turns[0], vocabulary), []
    for turn in turns[1:]:
        current = read_frame(turn, vocabulary)
        frame, carried = complete(frame, current) if is_follow_up(turn, current) else (current, [])
    last = turns[-1]
    read_as = frame.text() if carried else last
    return ReadAs(question=last, read_as=read_as[:MAX_QUERY_CHARS], completed=bool(carried), carried=carried)
