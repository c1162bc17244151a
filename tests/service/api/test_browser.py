"""The web page in a real browser: Playwright driving Debian's chromium against a live server.

Screenshots go to ``tests/artifacts/`` (desktop and phone width), for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPOSITORY
from live_server import live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPOSITORY / "tests" / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (apt-get install chromium)")]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def site(served_home):
    from regkb.service.http.app import ServiceSettings, create_app
    from regkb.service.settings import Settings

    app = create_app(Settings(home=served_home, show_progress=False), ServiceSettings())
    with live_server(app) as url:
        yield url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_ask_shows_a_cited_article(browser, site, viewport):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.goto(site + "/")
    assert page.title() == "安全生产法规知识库"
    page.fill("#ask-q", "生产经营单位的主要负责人有哪些安全生产职责")
    page.click("#ask-form button[type=submit]")
    first = page.locator("#ask-result .cite").first
    first.wait_for(timeout=30_000)
    assert "安全生产法" in first.locator(".cite-title").inner_text()
    assert first.locator(".cite-title .status").inner_text() == "现行有效"  # the 时效性 tag
    assert "第" in first.locator(".path").inner_text() and "条" in first.locator(".path").inner_text()
    card = page.locator("#ask-result .card").first
    assert card.get_attribute("data-confidence") == "high" and card.locator(".confidence").inner_text() == "把握：较高"
    first.locator("details summary").click()
    first.locator(".context").get_by_text("来源文件").wait_for(timeout=10_000)
    name = "ask-" + ("phone" if viewport is PHONE else "desktop")
    shot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], "the page must not scroll sideways"
    page.close()


def asked(browser, site, question: str, shown: str):
    """A desktop page that has asked ``question``, once ``shown`` (a selector) is on it."""
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(site + "/")
    page.fill("#ask-q", question)
    page.click("#ask-form button[type=submit]")
    page.locator(shown).first.wait_for(timeout=30_000)
    return page


def test_a_quoted_list_item_shows_its_item_on_the_card(browser, site):
    page = asked(browser, site, "特种作业人员没有证上岗怎么罚", "#ask-result .cite")
    paths = page.locator("#ask-result .cite .path").all_inner_texts()
    assert any(path.endswith("第九十七条 › 第一款 › 第（七）项") for path in paths), paths
    page.close()


def test_an_abstention_shows_no_confidence_badge(browser, site):
    page = asked(browser, site, "离婚以后孩子的抚养费怎么算", "#ask-result .notice")
    card = page.locator("#ask-result .card").first
    assert card.get_attribute("data-confidence") == "none" and card.locator(".confidence").count() == 0
    page.close()


def test_a_follow_up_on_the_page_is_read_with_the_question_before_it(browser, site):
    """The page keeps the topic's questions: 第二款呢？ after a question on 第二十五条 is answered with that
    paragraph and says how it was read; 新话题 forgets them, and the same words are then read alone."""
    page = asked(browser, site, "安全生产法第二十五条规定了什么？", "#ask-result .cite")
    page.fill("#ask-q", "第二款呢？")
    page.click("#ask-form button[type=submit]")
    page.locator("#ask-result .read-as").wait_for(timeout=30_000)
    assert "第二十五条第二款" in page.locator("#ask-result .read-as").inner_text()
    assert page.locator("#ask-result .cite .path").first.inner_text().endswith("第二十五条 › 第二款")
    page.click("#ask-new")
    assert page.locator("#ask-new").is_hidden()
    page.click("#ask-form button[type=submit]")
    page.locator("#ask-result .card").first.wait_for(timeout=30_000)
    page.wait_for_function("!document.querySelector('#ask-result .hint')")
    assert page.locator("#ask-result .read-as").count() == 0
    page.close()


def test_department_page_lists_tasks_by_role(browser, site):
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(site + "/#duties")
    page.fill("#dept-filter", "应急")
    page.locator("#dept-list li", has_text="省应急管理厅").first.click()
    page.locator("#dept-detail h2", has_text="省应急管理厅").wait_for(timeout=10_000)
    roles = page.locator("#dept-detail .role").all_inner_texts()
    assert roles and all(role[:2] in ("牵头", "负责", "配合") for role in roles)
    page.fill("#duty-q", "尾矿库治理")
    page.click("#duty-form button[type=submit]")
    page.locator("#duty-result .card").first.wait_for(timeout=30_000)
    assert "省应急管理厅" in page.locator("#duty-result .card").first.inner_text()
    shot(page, "departments")
    page.set_viewport_size(PHONE)
    shot(page, "departments-phone")
    page.close()


def test_upload_a_document_and_find_it(browser, site, tmp_path):
    document = tmp_path / "浏览器测试规定.md"
    document.write_text("# 浏览器测试规定\n\n第一条 仓库管理员每日巡查灭火器压力表读数,发现失效及时更换。\n", encoding="utf-8")
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(site + "/#docs")
    page.locator("#doc-result table").wait_for(timeout=10_000)
    page.set_input_files("#upload-files", str(document))
    page.click("#upload-form button[type=submit]")
    page.get_by_text("导入完成").wait_for(timeout=120_000)
    row = page.locator("#doc-result tr", has_text="浏览器测试规定")
    row.wait_for(timeout=10_000)
    assert "现行有效" in row.inner_text()
    shot(page, "documents")
    page.click("#tabs button[data-tab=ask]")
    page.fill("#ask-q", "灭火器压力表谁来巡查")
    page.click("#ask-form button[type=submit]")
    page.locator("#ask-result .cite", has_text="浏览器测试规定").first.wait_for(timeout=30_000)
    page.close()


def test_bank_check_flags_a_wrong_key_beside_its_article(browser, site, tmp_path):
    from openpyxl import load_workbook

    bank = tmp_path / "旧题库.csv"
    bank.write_text("题型,题干,答案\n"
                    "判断题,生产经营单位应当在有较大危险因素的生产经营场所和有关设施、设备上，设置明显的安全警示标志。,正确\n"
                    "判断题,生产经营单位发生生产安全事故后，事故现场有关人员应当在2小时内报告本单位负责人。,正确\n"
                    "填空题,生产经营单位必须依法参加（ ），为从业人员缴纳保险费。,工伤保险\n", encoding="utf-8")
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(site + "/#exam")
    page.set_input_files("#bank-file", str(bank))
    page.click("#bank-form button[type=submit]")
    page.locator("#bank-summary").wait_for(timeout=60_000)
    assert "共检查 3 题" in page.locator("#bank-summary").inner_text()
    flagged = page.locator("#bank-flagged tr.flagged")
    assert flagged.count() == 1
    row = flagged.first.inner_text()
    assert "2小时内" in row and "第八十三条" in row and "立即报告本单位负责人" in row
    shot(page, "bank-check")
    with page.expect_download(timeout=60_000) as download:
        page.click("#bank-report")
    report = tmp_path / "report.xlsx"
    download.value.save_as(report)
    assert download.value.suggested_filename == "旧题库.体检.xlsx"
    sheet = load_workbook(report).active
    conclusions = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert conclusions == ["一致", "不一致", "一致"]
    page.close()
