"""What a newcomer meets first, in a real browser against `referee serve` with no internet: `/`
leads to the sign-in page, which says what Referee is below its form, and from it the API
documentation (Swagger UI from the pinned sidecar package)."""

import pytest

from tests.live.processes import schema_operations

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(embedded_module):
    return embedded_module.start("serve-pages", worker=False)


def test_home_page_says_what_referee_is_and_leads_to_the_api_documentation(server, page):
    page.goto(f"{server.url}/")
    assert page.url == f"{server.url}/login/"
    assert page.inner_text("h1") == "Sign in" and page.inner_text("#about-referee") == "About Referee"
    assert "assigns reviewers to the proposals of a call for proposals" in page.inner_text("main")
    links = {a.inner_text(): a.get_attribute("href") for a in page.query_selector_all(".links a")}
    assert links == {"API documentation": "/api/docs/", "OpenAPI schema": "/api/schema/",
                     "Administration": "/admin/", "Health check": "/health/"}

    page.click("text=API documentation")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert page.inner_text(".swagger-ui .info .title").startswith("Referee API")
    operations = schema_operations(server.url)
    assert len(operations_listed(page)) == operations > 100  # every operation is listed
    assert page.outside == [] and page.errors == []


def test_the_admin_sign_in_page_renders_offline(server, page):
    page.goto(f"{server.url}/admin/")
    assert page.locator("#id_username").is_visible() and page.locator("#id_password").is_visible()
    assert page.outside == [] and page.errors == []


def operations_listed(page) -> set[str]:
    """The operations a reader meets scrolling the page to its end. Swagger UI renders a long list
    (150 tags and operations or more) virtually: only what is near the window is in the DOM."""
    page.wait_for_selector(".opblock")
    seen = set()
    for _ in range(1000):
        seen |= set(page.eval_on_selector_all(".opblock", "blocks => blocks.map(block => block.id)"))
        if page.evaluate("scrollY + innerHeight >= document.body.scrollHeight - 2"):
            return seen
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(30)
    raise AssertionError(f"the documentation page did not end after {len(seen)} operations")
