"""A real browser for the page tests (pytest plugin, loaded by tests/conftest.py): the system's
Chromium through Playwright, pages that may reach 127.0.0.1 only, screenshots at a phone's and a
laptop's width, and the axe-core accessibility check vendored under tests/browser_vendor/."""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.live.processes import ROOT, unavailable

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-results" / "screenshots"
AXE = Path(__file__).with_name("browser_vendor") / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 390, "laptop": 1280}
# As on a machine without internet: no background traffic to Google's hosts (refused here anyway).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def chromium():
    """The system's Chromium driven by Playwright (which never downloads a browser here)."""
    if not CHROMIUM.exists():
        unavailable("the browser tests need Chromium: apt-get install -y chromium")
    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls between
    # page steps are still synchronous, which Django would otherwise refuse.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh page that may reach 127.0.0.1 only: every request to another host is refused and
    listed in `page.outside`, console errors in `page.errors`. Its screenshot is saved at the end
    under test-results/screenshots/, whatever the outcome."""
    context = chromium.new_context(viewport={"width": WIDTHS["laptop"], "height": 900})
    page = context.new_page()
    page.outside, page.errors = [], []

    def route(route):
        host = route.request.url.split("/")[2] if "://" in route.request.url else ""
        if host.split(":")[0] in ("127.0.0.1", "localhost"):
            return route.continue_()
        page.outside.append(route.request.url)
        return route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def screenshots(page, name: str) -> None:
    """The page as it stands, at a phone's and a laptop's width (`<name>-phone.png`, `-laptop.png`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(size)


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each (rule: where)."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in json.loads(result)["violations"] if v["impact"] in ("serious", "critical")]


def sign_in(page, base_url: str, user) -> None:
    """Give the browser `user`'s session, as after signing in (the sign-in page has its own tests)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])
