"""The OpenAI-compatible endpoint: reading follow-ups from the conversation, and the official
``openai`` client against a real server on loopback, streamed and not."""

from __future__ import annotations

import pytest

from live_server import live_server
from regkb.service.answers.conversation import Vocabulary, read_conversation
from regkb.service.answers.schemas import Citation
from regkb.service.http.routers.chat import ChatMessage, citation_line, user_turns
from regkb.service.validation import KnowledgeBaseError

QUESTION = "生产经营单位的主要负责人有哪些安全生产职责"


def conversation(*turns: str) -> list[str]:
    """User turns with an assistant reply between them, as a chat front-end sends them, and the
    user's questions read back from the messages."""
    messages = [ChatMessage(role="system", content="你是安全生产法规助手")]
    for turn in turns:
        messages += [ChatMessage(role="user", content=turn), ChatMessage(role="assistant", content="(回答)")]
    return user_turns(messages[:-1])


@pytest.fixture(scope="module")
def vocabulary(law_kb):
    return Vocabulary.of(law_kb.store.documents())


def test_a_paragraph_follow_up_keeps_the_law_and_the_article(vocabulary):
    read = read_conversation(conversation("安全生产法第二十一条规定了什么？", "第二款呢？"), vocabulary)
    assert read.completed and {"law", "article"} <= set(read.carried)
    assert "安全生产法" in read.read_as and "第二十一条" in read.read_as and "第二款" in read.read_as


def test_a_region_follow_up_swaps_the_region_and_keeps_the_topic(vocabulary):
    read = read_conversation(conversation("辽宁的安全生产规划目标有哪些", "浙江呢"), vocabulary)
    assert read.completed and "topic" in read.carried and "region" not in read.carried
    assert "浙江" in read.read_as and "辽宁" not in read.read_as and "安全生产规划目标" in read.read_as


def test_a_short_follow_up_takes_the_topic(vocabulary):
    read = read_conversation(conversation("生产经营单位未按规定对从业人员进行安全生产教育和培训怎么处理", "那罚多少？"),
                             vocabulary)
    assert read.completed and read.read_as.startswith("生产经营单位未按规定对从业人员进行安全生产教育和培训")
    assert read.read_as.endswith("罚多少") and "怎么处理" not in read.read_as


def test_a_law_carries_over_two_turns(vocabulary):
    read = read_conversation(conversation("安全生产法第二十一条规定了什么", "第二款呢", "那第二十二条呢"), vocabulary)
    assert "安全生产法" in read.read_as and "第二十二条" in read.read_as and "第二十一条" not in read.read_as


def test_a_question_that_stands_alone_is_taken_as_written(vocabulary):
    question = "生产经营单位应当如何开展安全生产教育和培训？"
    read = read_conversation(conversation("安全生产法第二十一条规定了什么", question), vocabulary)
    assert not read.completed and read.read_as == question


def test_no_user_message_is_an_error(vocabulary):
    with pytest.raises(KnowledgeBaseError):
        read_conversation(user_turns([ChatMessage(role="system", content="你好")]), vocabulary)


# --- the official client against a live server ---------------------------------------------

@pytest.fixture(scope="module")
def client(law_kb, tmp_path_factory):
    from openai import OpenAI

    from live_server import copy_store
    from regkb.service.http.app import ServiceSettings, create_app
    from regkb.service.settings import Settings

    home = copy_store(law_kb.settings.home, tmp_path_factory.mktemp("chat") / "home")
    with live_server(create_app(Settings(home=home, show_progress=False), ServiceSettings())) as url:
        yield OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=60)


@pytest.mark.slow
def test_models_lists_regkb(client):
    assert [m.id for m in client.models.list()] == ["regkb"]


@pytest.mark.slow
def test_a_cited_answer(client):
    reply = client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}])
    content = reply.choices[0].message.content
    citations = reply.model_extra["citations"]
    assert citations and reply.choices[0].finish_reason == "stop"
    assert any(c["article"] == "第二十一条" and "安全生产法" in c["title"] for c in citations)
    assert "依据：" in content and "[1] 《" in content
    assert all(c["quote"] in content for c in citations)  # every quote is in the reply, under or in the answer
    assert reply.model_extra["regkb"]["kind"] != "none" and not reply.model_extra["regkb"]["completed"]


@pytest.mark.slow
def test_the_streamed_answer_is_the_same_answer(client):
    whole = client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}])
    chunks = list(client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}],
                                                 stream=True))
    assert len(chunks) > 2
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert streamed == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]


@pytest.mark.slow
def test_a_follow_up_says_how_it_was_read(client):
    messages = [{"role": "user", "content": "安全生产法第二十一条规定了什么？"},
                {"role": "assistant", "content": "(上一轮回答)"},
                {"role": "user", "content": "第二款呢？"}]
    reply = client.chat.completions.create(model="regkb", messages=messages)
    content = reply.choices[0].message.content
    assert content.startswith("（结合上文，按“") and "第二十一条第二款" in content.split("\n")[0]
    assert reply.model_extra["regkb"]["read_as"] in content


@pytest.mark.slow
def test_bad_requests_are_4xx_for_the_client(client):
    import openai

    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="regkb", messages=[])
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="regkb", messages=[{"role": "system", "content": "只有系统消息"}])
    assert "用户" in raised.value.message


@pytest.mark.slow
def test_streamed_usage_comes_last_when_asked(client):
    chunks = list(client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}],
                                                 stream=True, stream_options={"include_usage": True}))
    *answer, last = chunks
    assert last.choices == [] and last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert last.usage.prompt_tokens == len(QUESTION)
    assert last.usage.completion_tokens == len("".join(c.choices[0].delta.content or "" for c in answer))
    assert all(c.usage is None for c in answer) and answer[-1].choices[0].finish_reason == "stop"
    plain = list(client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}],
                                                stream=True))
    assert all(c.choices for c in plain)  # no usage chunk unless asked


@pytest.mark.slow
def test_max_tokens_is_ignored_and_usage_counts(client):
    whole = client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}])
    capped = client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}],
                                            max_tokens=5, temperature=0.2)
    assert capped.choices[0].message.content == whole.choices[0].message.content  # a quote is never cut
    assert capped.usage.completion_tokens == len(capped.choices[0].message.content) > 5


@pytest.mark.slow
def test_a_system_message_stays_out_of_retrieval(client):
    plain = client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}])
    steered = client.chat.completions.create(model="regkb", messages=[
        {"role": "system", "content": "你是消防法专家，只回答关于危险化学品和消防的问题"},
        {"role": "user", "content": QUESTION}])
    assert steered.choices[0].message.content == plain.choices[0].message.content
    assert steered.model_extra["regkb"]["read_as"] == QUESTION


@pytest.mark.slow
def test_what_the_model_cannot_do_is_refused_clearly(client):
    import openai

    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}], n=2)
    assert "n 应为 1" in raised.value.message
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="regkb", messages=[{"role": "user", "content": QUESTION}], tools=[tool])
    assert "不支持工具调用" in raised.value.message
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="regkb", messages=[
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "结果"}])


def test_a_citation_line_names_the_item_a_quote_is_cited_to():
    citation = Citation(source="安全生产法.md", title="中华人民共和国安全生产法", section_path=["第六章 法律责任"],
                        article="第九十七条", paragraph="第一款", item="第（三）项", quote="（三）未按照规定…", chunk_id="d:1")
    assert citation_line(1, citation, "（三）未按照规定…") == "[1] 《中华人民共和国安全生产法》第六章 法律责任 第九十七条 第一款 第（三）项"
