import base64
import hashlib
import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from site_gen import write_pelicanconf
from site_gen.i18n import LABELS

EXPECTED = Path(__file__).parent / "expected"
ROOT = Path(__file__).parents[2]


def check_expected(name, html):
    path = EXPECTED / name
    if os.environ.get("PAYPAGES_UPDATE_EXPECTED") == "1":
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8"), (
        f"{name} changed; if that is intended, rerun with "
        "PAYPAGES_UPDATE_EXPECTED=1 and review the diff"
    )


@pytest.mark.parametrize("language", ["en", "lt"])
def test_whole_page_matches_expected(site, make_page, language):
    html = site.render(make_page(language=language))

    check_expected(f"invoice-{language}.html", html)


def test_output_holds_exactly_the_pages_and_assets(site, make_page, tree):
    tokens = [f"Three_pages_test_token_{n:02d}" for n in range(3)]

    keys = [site.build(t) for t in tokens if site.write(make_page(token=t))]

    css = site.builder.assets.css_key
    assert css.startswith("assets/style.") and css.endswith(".css")
    assert keys == [[css, f"p/{t}.html"] for t in tokens]
    assert tree(site.output_dir) == [css] + [f"p/{t}.html" for t in tokens]


def test_stylesheet_is_named_by_its_hash(site, make_page):
    site.render(make_page())

    css_key = site.builder.assets.css_key
    data = (site.output_dir / css_key).read_bytes()
    assert hashlib.sha256(data).hexdigest()[:16] in css_key


def test_page_locks_itself_down(site, make_page):
    html = site.render(make_page())

    assert '<meta name="robots" content="noindex,nofollow">' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    script = re.search(r"<script>(.*?)</script>", html, flags=re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp.group(1).startswith(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"script-src 'sha256-{digest}';"
    )
    assert html.count("<script") == 1
    assert not re.search(r"\son\w+=", html)
    for tag in re.findall(r"<a [^>]*>", html):
        assert 'rel="noopener noreferrer"' in tag
    for url in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert not url.startswith(("http", "//")) or url.startswith(
            ("https://pay.example/", "https://bits.example/")
        )
    assert (
        re.findall(r'<(?:link|img|script|iframe)[^>]+(?:src|href)="https?:', html) == []
    )


def test_buttons_need_javascript_and_print_hides_them(site, make_page):
    html = site.render(make_page())

    assert re.search(r'<button type="button" id="print"[^>]* hidden>', html)
    assert all(" hidden>" in b for b in re.findall(r"<button[^>]*>", html))
    css = (site.output_dir / site.builder.assets.css_key).read_text()
    print_css = css.split("@media print")[1]
    assert ".button" in print_css and "display: none" in print_css


def test_open_page_shows_every_way_to_pay(site, make_page):
    page = make_page()
    page["payment"]["crypto"] = {
        "network": "bitcoin",
        "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    }

    html = site.render(page)

    assert 'href="https://pay.example/checkout/abc"' in html
    assert "DE89 3704 0044 0532 0130 00" in html
    assert 'data-copy="DE89370400440532013000"' in html
    assert 'data-copy="COBADEFFXXX"' in html
    assert 'data-copy="INV-2026-0001"' in html
    assert 'href="bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"' in html
    assert (
        'href="mailto:billing@bits.example?subject=Payment%20for%20invoice%20'
        'INV-2026-0001"' in html
    )
    assert html.count("<svg") == 2


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,x", "ftp://x.example/", "//x"]
)
def test_pay_button_only_for_http_links(site, make_page, link):
    page = make_page()
    page["payment"]["link"] = link

    html = site.render(page)

    assert "button-pay" not in html
    assert link not in html


@pytest.mark.parametrize("language", ["en", "lt"])
def test_paid_page_has_no_way_to_pay(site, make_page, language):
    html = site.render(
        make_page(status="paid", paid_on="2026-12-10", language=language)
    )

    paid = {"en": "Paid on December 10, 2026", "lt": "Apmokėta 2026 m. gruodžio 10 d."}
    assert paid[language] in html
    for absent in ("button-pay", "<svg", "mailto:", "data-copy=", 'class="pay"'):
        assert absent not in html


@pytest.mark.parametrize("language", ["en", "lt"])
def test_void_page_says_do_not_pay(site, make_page, language):
    html = site.render(make_page(status="void", language=language))

    assert LABELS[language]["voided"] in html
    assert 'data-state="void"' in html
    for absent in ("button-pay", "<svg", "mailto:", "data-copy=", 'class="pay"'):
        assert absent not in html


@pytest.mark.parametrize(
    "today, state, label",
    [
        (date(2026, 12, 17), "open", "Open"),
        (date(2026, 12, 18), "overdue", "Overdue"),
    ],
)
def test_overdue_is_computed_at_build_time(make_site, make_page, today, state, label):
    site = make_site(today=today)

    html = site.render(make_page())

    assert f'data-state="{state}" data-due="2026-12-17"' in html
    assert f">{label}</p>" in html


def test_lithuanian_page_is_all_lithuanian(site, make_page):
    page = make_page(language="lt")
    page["totals"]["due"] = "1234.50"

    html = site.render(page)

    assert '<html lang="lt">' in html
    assert "1\xa0234,50\xa0€" in html
    assert "2026 m. gruodžio 17 d." in html
    assert "10\xa0%" in html
    text = re.sub(
        r"<[^>]+>", "\n", re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    )
    shown = {line.strip() for line in text.splitlines() if line.strip()}
    data = {"Bits&#39;n&#39;Bugs", "ACME Widgets Ltd", "Website redesign"}
    for key, english in LABELS["en"].items():
        if english != LABELS["lt"][key] and "{" not in english:
            assert english not in shown - data, key


def test_english_page_formats_in_english(site, make_page):
    html = site.render(make_page())

    assert "€3,005.64" in html
    assert "December 17, 2026" in html
    assert "Amount due" in html


def test_unknown_language_falls_back_to_english(site, make_page):
    html = site.render(make_page(language="xx"))

    assert '<html lang="en">' in html
    assert "Amount due" in html


def test_every_language_has_every_label():
    for language, labels in LABELS.items():
        assert labels.keys() == LABELS["en"].keys(), language
        assert all(labels.values()), language


def test_one_page_builds_in_tens_of_milliseconds(site, make_page, tmp_path):
    page = make_page()
    site.render(page)
    for n in range(300):
        filler = make_page(token=f"Filler_page_token_number_{n:04d}")
        (site.content_dir / f"{filler['token']}.md").write_text("x")

    start = time.perf_counter()
    for _ in range(10):
        site.build(page["token"])
    per_page = (time.perf_counter() - start) / 10

    assert per_page < 0.2


def test_plain_pelican_builds_the_same_page(make_site, make_page, tmp_path, tree):
    site = make_site(today=None)
    page = make_page(due_date="2999-12-31")
    ours = site.render(page)
    for stray in ("about.markdown", "index.html", "notes.rst", "x.mkd"):
        (site.content_dir / stray).write_text("Title: stray\n\nstray\n")
    conf = write_pelicanconf(
        tmp_path / "pelicanconf.py", site.content_dir, tmp_path / "plain"
    )

    subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(conf), "-q"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
    )

    assert tree(tmp_path / "plain") == tree(site.output_dir)
    plain = (tmp_path / "plain" / site.page_key(page["token"])).read_text()
    assert plain == ours
