"""/docs and /redoc loaded Swagger UI and ReDoc from cdn.jsdelivr.net: without internet access
(a platform's intranet, this machine) both pages stayed blank, and where they loaded, a third
party's script ran on the console's origin. They now load the files bundled in the package."""

from __future__ import annotations

import re

import httpx
from console_support import Server
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait


def _sources(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)


def test_the_reference_pages_load_nothing_from_another_host(server: Server) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(server.url + page, timeout=30).text
        sources = _sources(html)
        assert sources and all(s.startswith("/") for s in sources), (page, sources)
        for source in sources:
            if source.endswith((".js", ".css")):
                got = httpx.get(server.url + source, timeout=30)
                assert got.status_code == 200 and len(got.content) > 10_000, source


def test_swagger_ui_renders_the_api_in_a_browser_without_internet(browser: WebDriver,
                                                                   server: Server) -> None:
    browser.get(server.url + "/docs")
    title = WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title"))
    assert title[0].text.startswith("techmatch")
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    assert any(o.text.startswith("/v1/search") for o in operations)
