"""The MCP server driven by the official SDK's own client: over stdio (``regkb mcp`` as a
subprocess) and over streamable HTTP (``/mcp`` of a live ``regkb serve``)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from live_server import copy_store, live_server
from regkb.service.http.app import ServiceSettings, create_app
from regkb.service.settings import Settings

pytestmark = pytest.mark.slow  # regkb mcp in its own process, over stdio and over HTTP

TOOLS = {"search", "ask", "duties", "department", "targets", "exam_solve", "exam_check", "article"}
KEY = "mcp-test-key"

# one call per tool, with what its structured result must show
CALLS = {
    "search": {"query": "生产经营单位的主要负责人有哪些安全生产职责", "k": 3},
    "ask": {"question": "生产经营单位的主要负责人有哪些安全生产职责"},
    "duties": {"task": "危险化学品安全监管", "k": 3},
    "department": {"name": "省应急厅"},
    "targets": {"region": "辽宁"},
    "exam_solve": {"stem": "生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。"},
    "exam_check": {"rows": [{"type": "judge", "stem": "生产经营单位的主要负责人是本单位安全生产第一责任人，"
                                                     "对本单位的安全生产工作全面负责。", "answer": "true"}]},
    "article": {"law": "安全生产法", "number": "21"},
}


async def exercise(client: Client) -> dict:
    """List the tools and resources, call every tool and a few bad calls; return what came back."""
    seen: dict = {"tools": {t.name: t for t in (await client.list_tools()).tools}}
    for name, arguments in CALLS.items():
        seen[name] = await client.call_tool(name, arguments)
    seen["bad"] = [await client.call_tool("search", {"query": ""}),
                   await client.call_tool("search", {"query": "安全", "k": 0}),
                   await client.call_tool("article", {"law": "安全生产法", "number": "第九百条"}),
                   await client.call_tool("article", {"law": "没有这部法", "number": "1"})]
    seen["resources"] = (await client.list_resources()).resources
    listing = await client.read_resource("regkb://documents")
    seen["documents"] = json.loads(listing.contents[0].text)["documents"]
    one = await client.read_resource(f"regkb://documents/{seen['documents'][0]['doc_id']}")
    seen["document"] = json.loads(one.contents[0].text)
    return seen


def check_everything(seen: dict) -> None:
    tools = seen["tools"]
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.output_schema and tool.input_schema["properties"], tool.name
        chinese, english = tool.description.split("/ ", 1)  # 中文 / English
        assert re.search(r"[\u4e00-\u9fff]{4}", chinese) and re.search(r"[A-Za-z]+ [A-Za-z]+", english), tool.name
    for name in CALLS:
        result = seen[name]
        assert not result.is_error, (name, result.content)
        assert result.structured_content, name
    search = seen["search"].structured_content["hits"]
    assert any(h["article"] == "第二十一条" and "安全生产法" in h["title"] for h in search)
    assert all(h["source"] and h["authority"] for h in search)  # citations survive the trip
    ask = seen["ask"].structured_content
    assert not ask["abstained"] and any(c["article"] == "第二十一条" for c in ask["citations"])
    assert seen["duties"].structured_content["matches"][0]["source"]
    assert seen["department"].structured_content["tasks"]
    assert seen["targets"].structured_content["targets"]
    assert seen["exam_solve"].structured_content["answer"] == "true"
    check = seen["exam_check"].structured_content
    assert check["checked"] == 1 and check["results"][0]["verdict"] == "agrees" and check["results"][0]["article"]
    article = seen["article"].structured_content
    assert article["citation"] == "《中华人民共和国安全生产法》第二十一条"
    assert article["text"].startswith("第二十一条") and "主要负责人" in article["text"]
    for bad in seen["bad"]:
        assert bad.is_error and bad.content[0].text  # a tool error the agent can read, not a crash
    assert "第九百条" in seen["bad"][2].content[0].text and "没有这部法" in seen["bad"][3].content[0].text
    assert {r.name for r in seen["resources"]} == {"documents"}
    assert len(seen["documents"]) == 2
    assert seen["document"]["doc_id"] == seen["documents"][0]["doc_id"] and "path" not in seen["document"]


def test_every_tool_over_stdio(law_kb, tmp_path):
    home = copy_store(law_kb.settings.home, tmp_path / "home")
    params = StdioServerParameters(command=sys.executable, args=["-m", "regkb.service.cli", "mcp"],
                                   env={**os.environ, "REGKB_HOME": str(home)})

    async def run() -> dict:
        async with Client(params, read_timeout_seconds=300) as client:
            return await exercise(client)

    check_everything(asyncio.run(run()))


def test_a_missing_store_is_refused_before_serving(tmp_path):
    import subprocess

    done = subprocess.run([sys.executable, "-m", "regkb.service.cli", "mcp"], capture_output=True, text=True,
                          env={**os.environ, "REGKB_HOME": str(tmp_path / "none")}, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode != 0 and "知识库不存在" in done.stderr and done.stdout == ""


@pytest.fixture(scope="module")
def keyed_server(law_kb, tmp_path_factory):
    home = copy_store(law_kb.settings.home, tmp_path_factory.mktemp("mcp") / "home")
    with live_server(create_app(Settings(home=home, show_progress=False), ServiceSettings(api_key=KEY))) as url:
        yield url


def over_http(url: str, headers: dict[str, str]):
    return Client(streamable_http_client(url + "/mcp", http_client=create_mcp_http_client(headers=headers)),
                  read_timeout_seconds=300)


def test_every_tool_over_streamable_http(keyed_server):
    async def run() -> dict:
        async with over_http(keyed_server, {"Authorization": f"Bearer {KEY}"}) as client:
            return await exercise(client)

    check_everything(asyncio.run(run()))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}])
def test_the_api_key_is_enforced_over_http(keyed_server, headers):
    async def run() -> None:
        async with over_http(keyed_server, headers) as client:
            await client.list_tools()

    with pytest.raises(Exception):
        asyncio.run(run())
    import httpx

    answer = httpx.post(keyed_server + "/mcp", headers={**headers, "Accept": "application/json, text/event-stream"},
                        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert answer.status_code == 401 and "API 密钥" in answer.json()["detail"]
