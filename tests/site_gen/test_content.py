import json
import re

import pytest

from site_gen import PageError
from site_gen.build import safe_join
from site_gen.content import dumps, loads

LINE_BREAKERS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]
LINE_BREAKERS += ["\x1c", "\x1d", "\x1e", "\x00", "\u202e"]


def header_lines(text):
    return text.partition("\n\n")[0].split("\n")


def test_content_file_is_a_readable_pelican_markdown_file(site, make_page):
    page = make_page()

    path = site.write(page)

    text = path.read_text(encoding="utf-8")
    assert path.name == page["token"] + ".md"
    assert text.startswith('Paypages: 1\nTitle: "INV-2026-0001"\n')
    assert f'Slug: "{page["token"]}"' in text
    assert 'Client: {"name": "ACME Widgets Ltd", ' in text
    assert text.endswith(
        "\n\nThank you for your business.\n\nQuestions? Write to **billing**.\n"
    )
    for line in header_lines(text):
        key, _, value = line.partition(": ")
        assert re.fullmatch(r"[A-Z][A-Za-z-]*", key)
        json.loads(value)


@pytest.mark.parametrize("breaker", LINE_BREAKERS)
def test_no_character_splits_a_header_line(site, make_page, breaker):
    name = f"ACME{breaker}Slug: other{breaker}Title: x"
    page = make_page(client={"name": name, "address": f"a{breaker}b"})
    page["lines"][0]["description"] = f"Work{breaker}Line: {{}}"

    text = site.write(page).read_bytes().decode("utf-8")

    header = text.partition("\n\n")[0]
    assert len(header.splitlines()) == len(header_lines(dumps(make_page())))
    assert breaker == "\n" or breaker not in header
    assert loads(text, page["token"])["client"]["name"] == name


@pytest.mark.parametrize(
    "name", ["ACME\nSlug: other", "</title><script>alert(1)</script>"]
)
def test_injected_client_name_changes_only_the_name(site, make_page, name, tree):
    page = make_page(client={"name": name, "address": ""})

    html = site.render(page)

    assert tree(site.output_dir) == [
        site.builder.assets.css_key,
        site.page_key(page["token"]),
    ]
    assert html.count("<script>") == 1
    assert "<title>Invoice INV-2026-0001 · Bits&#39;n&#39;Bugs</title>" in html
    escaped = name.replace("<", "&lt;").replace(">", "&gt;")
    assert f'<p class="party-name">{escaped}</p>' in html


@pytest.mark.parametrize(
    "notes, gone",
    [
        ("Hi <script>alert(1)</script>", "<script>alert"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="{filename}/x.md">x</a>', "{filename}"),
        ('<p style="color:red" onclick="x()">p</p>', "onclick"),
        ("<iframe src='https://evil.example'></iframe>", "iframe"),
    ],
)
def test_notes_are_sanitized(site, make_page, notes, gone):
    html = site.render(make_page(notes=notes))

    assert gone not in html
    assert "style=" not in html


def test_notes_links_are_kept_with_rel(site, make_page):
    html = site.render(make_page(notes="See [terms](https://bits.example/terms)."))

    assert (
        '<a href="https://bits.example/terms" rel="noopener noreferrer">terms</a>'
        in html
    )


@pytest.mark.parametrize(
    "token", ["short", "../../etc/passwd-aaaaaaaaaaaaa", "a/b" * 10, "é" * 22, None]
)
def test_malformed_token_is_refused(site, make_page, token):
    with pytest.raises(PageError):
        site.write(make_page(token=token))
    with pytest.raises(PageError):
        site.page_key(token)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("not a header\n\nbody", "not 'Key: value'"),
        ("Paypages: 1\nSlug: {not json\n\n", "not valid JSON"),
        ("Paypages: 1\nPaypages: 1\n\n", "appears twice"),
        ('Paypages: 1\nTemplate: "x"\n\n', "unknown key"),
        ('Title: "x"\n\n', "no 'Paypages'"),
    ],
)
def test_unreadable_content_file_is_an_error(site, make_page, text, reason, tree):
    token = make_page()["token"]
    (site.content_dir / f"{token}.md").write_text(text, encoding="utf-8")

    with pytest.raises(PageError, match=reason):
        site.build(token)
    assert tree(site.output_dir) == [site.builder.assets.css_key]


def test_content_file_with_another_slug_is_an_error(site, make_page):
    page = make_page()
    other = "Another_token_of_22_chars"
    (site.content_dir / f"{other}.md").write_text(dumps(page), encoding="utf-8")

    with pytest.raises(PageError, match="Slug does not match"):
        site.build(other)


def test_build_without_content_file_is_an_error(site, make_page):
    with pytest.raises(PageError, match="no content file"):
        site.build(make_page()["token"])


def test_non_utf8_content_file_is_an_error(site, make_page):
    token = make_page()["token"]
    (site.content_dir / f"{token}.md").write_bytes(b"Paypages: 1\n\n\xff\xfe")

    with pytest.raises(PageError, match="could not be read"):
        site.build(token)


@pytest.mark.parametrize(
    "change",
    [
        {"status": "draft"},
        {"currency": "euro"},
        {"issue_date": "3/12/2026"},
        {"totals": {"net": "1", "tax": "0", "total": "1", "due": 1.5}},
        {"totals": {"net": "1", "tax": "0", "total": "1", "due": "NaN"}},
        {"payment": {"crypto": {"network": "dogecoin", "address": "x"}}},
    ],
)
def test_invalid_page_dict_is_refused(site, make_page, change):
    with pytest.raises(PageError):
        site.write(make_page(**change))


@pytest.mark.parametrize(
    "key", ["../escape.html", "p/../../escape.html", "/etc/passwd"]
)
def test_output_paths_cannot_leave_their_root(tmp_path, key):
    with pytest.raises(PageError, match="would leave"):
        safe_join(tmp_path / "output", key)


def test_output_paths_inside_their_root(tmp_path):
    assert safe_join(tmp_path, "p/x.html") == tmp_path / "p" / "x.html"
