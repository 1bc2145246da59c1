"""The product in a real browser: from sign-up to a client's paid page.

The system Chromium is driven through Playwright, which never downloads a
browser of its own. Where no Chromium can be had these tests are skipped
loudly, except under CI=true, where they must run.
"""

import itertools
import os

import pytest
import zxingcpp

from admin.settings import CHECKOUT
from tests.browser_helpers import (
    BANK,
    CHROMIUM_ARGS,
    PAY_LINK,
    TOTAL_LT,
    Product,
    fill_profile,
    find_chromium,
    issue,
    origin,
    read_png_gray,
    record_invoice,
    sign_up,
)

ARTIFACTS = CHECKOUT / "test-artifacts"
DOCS = CHECKOUT / "docs"
_emails = (f"owner{n}@example.com" for n in itertools.count(1))


@pytest.fixture(scope="module")
def chromium_path():
    path = find_chromium()
    if path is not None:
        return path
    message = (
        "Chromium is missing (no `chromium` on PATH, no /usr/bin/chromium): "
        "install Debian's `chromium` package, or run `make test` as root."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the browser tests cannot run. {message}")
    pytest.skip(f"*** BROWSER TESTS SKIPPED *** {message}")


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    running = Product(tmp_path_factory.mktemp("product"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def admin_page(browser, product):
    """Return a page signed in as a new owner whose profile is filled."""
    context = browser.new_context(
        viewport={"width": 1100, "height": 800},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    sign_up(page, product, next(_emails))
    fill_profile(page, product)
    yield page
    context.close()


def save_screenshot(page, name: str, **options) -> None:
    """Keep a screenshot as a test artifact, and in docs/ when asked."""
    ARTIFACTS.mkdir(exist_ok=True)
    data = page.screenshot(**options)
    (ARTIFACTS / name).write_bytes(data)
    if os.environ.get("PAYPAGES_UPDATE_SCREENSHOTS") == "1":
        (DOCS / name).write_bytes(data)


def visible_text(locator) -> str:
    return locator.inner_text().replace("\xa0", " ").replace("\u202f", " ")


def decode_epc_qr(page) -> str:
    """Return the text of the EPC QR code as Chromium drew it."""
    found = zxingcpp.read_barcodes(
        read_png_gray(page.locator("figure.epc").screenshot())
    )
    assert len(found) == 1, "the EPC QR code on the page could not be decoded"

    return found[0].text


def test_owner_shares_a_page_the_client_pays(browser, product, admin_page):
    record_invoice(admin_page, product)
    number = issue(admin_page)
    admin_page.click("#share")
    admin_page.wait_for_selector("text=Copied the link.")
    link = admin_page.evaluate("navigator.clipboard.readText()")
    assert link == admin_page.input_value("#share-url")
    assert origin(link) == product.pages_origin
    save_screenshot(admin_page, "admin.png")

    client = browser.new_context(viewport={"width": 900, "height": 900})
    assert client.cookies() == []
    requests = []
    page = client.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.goto(link)

    assert page.locator("html").get_attribute("lang") == "lt"
    assert number in page.locator("h1").inner_text()
    assert visible_text(page.locator(".due-amount")) == TOTAL_LT
    assert visible_text(page.locator("dd.grand")) == TOTAL_LT
    assert page.locator("a.button-pay").get_attribute("href") == PAY_LINK
    assert page.locator("figure.epc svg").is_visible()
    epc = decode_epc_qr(page).splitlines()
    assert epc[0] == "BCD"
    assert BANK["iban"].replace(" ", "") in epc
    assert "EUR1234.5" in epc
    save_screenshot(page, "payment-page.png", full_page=True)

    admin_page.click("text=Mark paid")
    admin_page.wait_for_selector(f"text=Marked {number} paid.")
    page.reload()
    assert page.locator("#state").get_attribute("data-state") == "paid"
    assert page.locator(".notice-paid").is_visible()
    assert page.locator("section.pay").count() == 0
    assert page.locator("a.button-pay").count() == 0
    assert page.locator(".due-box").count() == 0

    assert requests, "the page made no request at all"
    elsewhere = [url for url in requests if origin(url) != product.pages_origin]
    assert not [url for url in elsewhere if not url.startswith("data:")]
    client.close()


def test_share_selects_the_link_without_the_clipboard_api(browser, product):
    context = browser.new_context()
    context.add_init_script(
        "delete Navigator.prototype.clipboard;document.execCommand = () => false;"
    )
    page = context.new_page()
    sign_up(page, product, next(_emails))
    fill_profile(page, product)
    record_invoice(page, product)
    issue(page)
    assert page.evaluate("navigator.clipboard") is None

    page.click("#share")

    hint = page.locator("[data-copied]")
    hint.wait_for()
    assert "press Ctrl-C" in hint.inner_text()
    selected = page.evaluate(
        "() => { const input = document.activeElement;"
        " return [input.id, input.value.slice(input.selectionStart,"
        " input.selectionEnd)]; }"
    )
    assert selected == ["share-url", page.input_value("#share-url")]
    context.close()


def test_page_reads_without_javascript(browser, product, admin_page):
    record_invoice(admin_page, product)
    number = issue(admin_page)
    link = admin_page.input_value("#share-url")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(link)

    assert number in page.locator("h1").inner_text()
    assert visible_text(page.locator("dd.grand")) == TOTAL_LT
    assert page.locator("a.button-pay").is_visible()
    assert page.locator("figure.epc svg").is_visible()
    assert not page.locator("button.copy").first.is_visible()
    context.close()
