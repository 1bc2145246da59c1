"""Hostile input from a malicious owner, a client holding a link, an outsider.

Each test states what a user relies on when someone sends the admin, the
API or the pages something it was not meant to take: a 400 that names the
field and stores nothing, a page whose text cannot run or leave its field,
a link that stops working, a log that holds no token.
"""

import email
import json
import logging
import mailbox
import re
import urllib.parse
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from werkzeug.test import Client

from admin.db import db
from admin.models import Invoice, Owner
from admin.pages_server import local_folder, pages_app
from tests.conftest import PASSWORD, csrf_token, draft_json

ONE_LINE = {"description": "Work", "quantity": "1", "unit_price": "10"}


@pytest.fixture
def call(api):
    return api()


def invoice_count(app) -> int:
    with app.app_context():
        return db.session.query(Invoice).count()


def line(**overrides) -> list[dict]:
    return [dict(ONE_LINE, **overrides)]


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json
    assert response.json["field"] == field
    assert response.json["error"]


def public_folder(app) -> Path:
    return local_folder(app.config["PUBLISH_URL"])


def fetch(app, path: str, method: str = "GET"):
    """Ask the local pages server for a path; return status, body, headers."""
    with Client(pages_app(public_folder(app))).open(path, method=method) as response:
        return response.status_code, response.get_data(), response.headers


def page_path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def token_of(url: str) -> str:
    return page_path(url).rsplit("/", 1)[1].removesuffix(".html")


def issue(call, **overrides) -> dict:
    created = call("POST", "/invoices", draft_json(**overrides))
    assert created.status_code == 201, created.json
    issued = call("POST", f"/invoices/{created.json['id']}/issue")
    assert issued.status_code == 200, issued.json
    assert issued.json["publish"]["state"] == "published"
    return issued.json


def published_html(app, url: str) -> str:
    status, body, _ = fetch(app, page_path(url))
    assert status == 200
    return body.decode("utf-8")


def validate(app, email_address: str = "api@example.com") -> None:
    with app.app_context():
        owner = db.session.query(Owner).filter_by(email=email_address).one()
        owner.validated = True
        db.session.commit()


class Tags(HTMLParser):
    """Collect every start tag with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def notes_section(html: str) -> str:
    match = re.search(r'<section class="notes">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


# --- The JSON API refuses what it cannot take, and stores nothing ----------


@pytest.mark.parametrize(
    "price",
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "sNaN",
        "1e3",
        "1E2",
        "1_000",
        "+1",
        "0x10",
        "1,5",
        "½",
        "1.",
        ".5",
        "-1",
        "1.0000000000000",
        "999999999999999",
        "1000000000.01",
        True,
        "",
        None,
        [],
        {},
    ],
)
def test_api_refuses_a_unit_price_that_is_not_plain_digits(app, call, price):
    response = call("POST", "/invoices", draft_json(lines=line(unit_price=price)))
    assert_refused(response, "lines.0.unit_price")
    assert invoice_count(app) == 0


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1" + b"0" * 5000])
def test_api_refuses_non_json_numbers_and_giant_integers(app, call, raw):
    body = json.dumps(draft_json(lines=line(quantity="@@"))).encode()
    response = call("POST", "/invoices", data=body.replace(b'"@@"', raw))
    assert response.status_code == 400
    assert response.json["error"]
    assert invoice_count(app) == 0


@pytest.mark.parametrize("quantity", ["0", "0.000", "-0", "0.0001", "1000001", 0])
def test_api_refuses_a_zero_or_absurd_quantity(app, call, quantity):
    response = call("POST", "/invoices", draft_json(lines=line(quantity=quantity)))
    assert_refused(response, "lines.0.quantity")
    assert invoice_count(app) == 0


@pytest.mark.parametrize("name", ["discount_percent", "tax_percent"])
@pytest.mark.parametrize("value", ["101", "100.01", "-1", "1.001", "1e2"])
def test_api_refuses_percentages_outside_0_to_100(app, call, name, value):
    response = call("POST", "/invoices", draft_json(lines=line(**{name: value})))
    assert_refused(response, f"lines.0.{name}")
    assert invoice_count(app) == 0


def test_api_refuses_more_decimals_than_the_currency_has(app, call):
    response = call(
        "POST", "/invoices", draft_json(currency="JPY", lines=line(unit_price="5.5"))
    )
    assert_refused(response, "lines.0.unit_price")
    assert "JPY" in response.json["error"]


@pytest.mark.parametrize("currency", ["ZZZ", "EU", "EURO", "€", "ＥＵＲ", "E\nUR", 1])
def test_api_refuses_an_unknown_currency(app, call, currency):
    response = call("POST", "/invoices", draft_json(currency=currency))
    assert_refused(response, "currency")
    assert invoice_count(app) == 0


def test_api_upper_cases_a_lower_case_currency(call):
    response = call("POST", "/invoices", draft_json(currency=" eur "))
    assert response.status_code == 201
    assert response.json["currency"] == "EUR"


@pytest.mark.parametrize(
    "day",
    [
        "2026-02-30",
        "2026-13-01",
        "26-1-1",
        "2026-12-03T00:00",
        "２０２６-１２-０３",
        "+2026-12-03",
        "",
        1,
    ],
)
def test_api_refuses_an_impossible_issue_date(app, call, day):
    response = call("POST", "/invoices", draft_json(issue_date=day))
    assert_refused(response, "issue_date")
    assert invoice_count(app) == 0


def test_api_refuses_a_due_date_before_the_issue_date(app, call):
    response = call(
        "POST", "/invoices", draft_json(issue_date="2026-12-03", due_date="2026-12-02")
    )
    assert_refused(response, "due_date")


@pytest.mark.parametrize("language", ["xx", "EN", "fr", "en\n", "../en", 1])
def test_api_refuses_a_client_language_not_offered(app, call, language):
    client = {"name": "ACME", "language": language}
    response = call("POST", "/invoices", draft_json(client=client))
    assert_refused(response, "client.language")
    assert invoice_count(app) == 0


@pytest.mark.parametrize("name", [None, "", "   ", "a" * 201, [], {}])
def test_api_refuses_a_missing_or_overlong_client_name(app, call, name):
    response = call("POST", "/invoices", draft_json(client={"name": name}))
    assert_refused(response, "client.name")
    assert invoice_count(app) == 0


@pytest.mark.parametrize(
    "address",
    [
        "pay@example.com\r\nBcc: victim@evil.example",
        "pay@example.com\nBcc: victim@evil.example",
        "pay@example.com\x00",
        "pay@example.com, victim@evil.example",
        "Pay <pay@example.com>",
        '"a@b"@example.com',
        "not an address",
    ],
)
def test_api_refuses_a_client_email_that_could_add_recipients(app, call, address):
    client = {"name": "ACME", "email": address}
    response = call("POST", "/invoices", draft_json(client=client))
    assert_refused(response, "client.email")
    assert invoice_count(app) == 0


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ("abc", "lines"),
        (5, "lines"),
        (None, "lines"),
        ([], "lines"),
        ([1], "lines.0"),
        ([[1]], "lines.0"),
        ([{}], "lines"),
    ],
)
def test_api_refuses_lines_that_are_not_line_objects(app, call, lines, field):
    response = call("POST", "/invoices", draft_json(lines=lines))
    assert_refused(response, field)
    assert invoice_count(app) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[1]",
        b'"invoice"',
        b"null",
        b"42",
        b"{",
        b'{"a": 1,}',
        b"\xff\xfe{}",
        b'{"notes":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"notes":' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
    ids=[
        "array",
        "string",
        "null",
        "number",
        "truncated",
        "trailing-comma",
        "not-utf8",
        "deep-objects",
        "deep-arrays",
    ],
)
def test_api_answers_400_to_a_body_that_is_not_an_object(app, call, body):
    response = call("POST", "/invoices", data=body)
    assert response.status_code == 400
    assert response.is_json and response.json["error"]
    assert invoice_count(app) == 0


def test_api_answers_413_in_json_to_a_body_over_one_megabyte(app, call):
    response = call("POST", "/invoices", draft_json(notes="a" * (1024 * 1024)))
    assert response.status_code == 413
    assert response.is_json and response.json["error"]
    assert invoice_count(app) == 0


def test_api_refuses_notes_over_ten_thousand_characters(app, call):
    response = call("POST", "/invoices", draft_json(notes="a" * 10_001))
    assert_refused(response, "notes")


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/pay",
        "https:evil.example",
        "http://",
        "ftp://files.example/pay",
        "https://pay.example/a b",
        "\x01https://pay.example/",
    ],
)
def test_api_refuses_a_payment_link_that_is_not_http(app, call, link):
    response = call("POST", "/invoices", draft_json(payment={"link": link}))
    assert_refused(response, "payment.link")
    assert invoice_count(app) == 0


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        ({"bank": {"iban": "LT00", "beneficiary": "J"}}, "payment.bank.iban"),
        ({"bank": {"iban": "<script>", "beneficiary": "J"}}, "payment.bank.iban"),
        (
            {"bank": {"iban": "LT121000011101001001", "beneficiary": "J"}},
            "payment.bank.iban",
        ),
        ({"bank": {"bic": "<b>"}}, "payment.bank.bic"),
        (
            {
                "bank": {
                    "iban": "LT121000011101001000",
                    "beneficiary": "J\r\nBCD",
                }
            },
            "payment.bank.beneficiary",
        ),
        (
            {"crypto": {"network": "bitcoin", "address": "nope"}},
            "payment.crypto.address",
        ),
        (
            {"crypto": {"network": "ethereum", "address": "0x12"}},
            "payment.crypto.address",
        ),
        (
            {"crypto": {"network": "dogecoin", "address": "D1"}},
            "payment.crypto.network",
        ),
    ],
)
def test_api_refuses_malformed_payment_details(app, call, payment, field):
    response = call("POST", "/invoices", draft_json(payment=payment))
    assert_refused(response, field)
    assert invoice_count(app) == 0


def test_api_ignores_fields_a_client_may_not_set(app, call):
    other = call("POST", "/invoices", draft_json()).json
    body = draft_json(
        id=other["id"],
        status="paid",
        number="INV-FAKE",
        token="A" * 22,
        owner_id=999,
        total_minor=1,
        url="http://evil.example/",
    )
    response = call("POST", "/invoices", body)
    assert response.status_code == 201
    created = response.json
    assert created["id"] != other["id"]
    assert created["status"] == "draft"
    assert created["number"] is None and created["url"] is None
    assert created["totals"]["total"] == other["totals"]["total"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "Jonas\r\nBcc: victim@evil.example"),
        ("display_name", "Jonas\nBcc: victim@evil.example"),
        ("display_name", "Jonas\x00"),
        ("tax_id", "LT1\r\nX-Evil: 1"),
        ("reply_to", "me@example.com\r\nBcc: victim@evil.example"),
        ("reply_to", "me@example.com, victim@evil.example"),
        ("default_currency", "zzz"),
        ("default_language", "fr"),
    ],
)
def test_profile_refuses_values_that_could_break_a_header(app, call, field, value):
    before = call("GET", "/profile").json
    response = call("PATCH", "/profile", {field: value})
    assert_refused(response, field)
    assert call("GET", "/profile").json == before


def test_profile_cannot_change_the_sign_in_email(call):
    response = call("PATCH", "/profile", {"email": "hijack@evil.example"})
    assert response.status_code == 200
    assert response.json["email"] == "api@example.com"


@pytest.mark.parametrize("paid_on", ["2026-02-30", "yesterday", "2026-12-02", "1"])
def test_paid_refuses_a_bad_or_early_payment_date(app, call, paid_on):
    invoice = issue(call)
    response = call("POST", f"/invoices/{invoice['id']}/paid", {"paid_on": paid_on})
    assert_refused(response, "paid_on")
    assert call("GET", f"/invoices/{invoice['id']}").json["status"] == "open"


# --- The payment page: text stays text, links stay safe ---------------------

HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "</script><script>alert(2)</script>",
    '"><img src=x onerror=alert(3)>',
    "'><svg onload=alert(4)>",
    "{{ 7*7 }}{% raw %}{{ 8*8 }}{% endraw %}",
    "</title><script>alert(5)</script>",
    "&lt;script&gt;alert(6)&lt;/script&gt;",
    "\u202eevil\u2028line\u2029para",
]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_page_shows_hostile_text_as_text(app, call, text):
    profile = call(
        "PATCH",
        "/profile",
        {"display_name": text[:200], "address": text, "tax_id": text[:64]},
    )
    assert profile.status_code == 200, profile.json
    invoice = issue(
        call,
        client={"name": text, "address": text, "language": "en"},
        lines=line(description=text),
        payment={"bank": {"beneficiary": text[:70], "iban": "LT121000011101001000"}},
    )
    html = published_html(app, invoice["url"])
    for tag, attrs in tags_of(html):
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert tag not in ("img", "iframe", "object", "embed", "base", "form")
    assert html.count("<script") == 1  # the theme's own, allowed by its hash
    assert "<script>alert" not in html and "<svg onload" not in html
    if "{{" in text:
        assert "{{ 7*7 }}{% raw %}{{ 8*8 }}{% endraw %}" in html


@pytest.mark.parametrize(
    "notes",
    [
        "<script>alert(1)</script>",
        "</section></main><script>alert(1)</script>",
        "[a](javascript:alert(1))",
        "[a](JAVASCRIPT:alert(1))",
        "[a](java\tscript:alert(1))",
        "[a](java&#x09;script:alert(1))",
        "[a](&#106;avascript:alert(1))",
        "[a](data:text/html,<script>alert(1)</script>)",
        "[a](vbscript:msgbox(1))",
        "[a][1]\n\n[1]: javascript:alert(1)",
        "<javascript:alert(1)>",
        '<a href="javascript&colon;alert(1)">x</a>',
        '<a href="https://ok.example" onclick="alert(1)" target="_blank">x</a>',
        '[a](https://ok.example/ "t\\" onmouseover=alert(1)")',
        '[a](https://ok.example/#"><script>alert(1)</script>)',
        "<img src=x onerror=alert(1)>",
        "![pixel](https://evil.example/track.png)",
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.example/></iframe>",
        '<form action="https://evil.example/"><input name=card></form>',
        '<base href="https://evil.example/">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<div style="background:url(https://evil.example/)">x</div>',
        "<style>body{background:url(https://evil.example/)}</style>",
        "[rel](//evil.example/x) [path](/admin)",
        "{{ 7*7 }} {% raw %}x{% endraw %}",
        "[x](https://ok.example/{filename}../../etc/passwd)",
    ],
)
def test_page_notes_never_run_script_nor_load_another_origin(app, call, notes):
    invoice = issue(call, notes=notes)
    html = published_html(app, invoice["url"])
    section = notes_section(html)
    allowed = {
        "a", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i",
        "li", "ol", "p", "pre", "strong", "ul",
    }  # fmt: skip
    for tag, attrs in tags_of(section):
        assert tag in allowed, (tag, attrs)
        assert set(attrs) <= {"href", "title", "rel"}, (tag, attrs)
        if "href" in attrs:
            assert urllib.parse.urlsplit(attrs["href"]).scheme in ("http", "https")
            assert attrs["href"].startswith(("http://", "https://"))
        if tag == "a":
            assert attrs.get("rel") == "noopener noreferrer"
    assert "49" not in section
    for tag, attrs in tags_of(html):
        if tag in ("script", "img", "iframe", "link"):
            source = attrs.get("src") or attrs.get("href") or ""
            assert not urllib.parse.urlsplit(source).netloc, (tag, attrs)


def test_page_keeps_safe_notes_links_with_noopener(app, call):
    invoice = issue(
        call, notes="See [terms](https://ok.example/terms) or <mailto:a@ok.example>."
    )
    html = published_html(app, invoice["url"])
    links = [attrs for tag, attrs in tags_of(notes_section(html)) if tag == "a"]
    assert {a["href"] for a in links} == {
        "https://ok.example/terms",
        "mailto:a@ok.example",
    }
    assert all(a["rel"] == "noopener noreferrer" for a in links)


def test_page_outbound_links_carry_noopener_and_the_head_is_locked(app, call):
    invoice = issue(call)
    html = published_html(app, invoice["url"])
    head = html.split("</head>")[0]
    assert '<meta name="robots" content="noindex,nofollow">' in head
    assert '<meta name="referrer" content="no-referrer">' in head
    assert "default-src 'none'" in head
    for tag, attrs in tags_of(html):
        href = attrs.get("href") or ""
        if tag == "a" and urllib.parse.urlsplit(href).scheme:
            assert attrs.get("rel") == "noopener noreferrer", attrs
        if tag in ("link", "script", "img"):
            assert not urllib.parse.urlsplit(href or attrs.get("src") or "").netloc


BREAKOUT = (
    "x\nSlug: evil\nSave_as: ../../evil.html\nTemplate: evil\r\nStatus: draft"
    "\rUrl: evil\u2028Title: evil\u2029Lang: xx\u0085State: paid\x0bTotals: {}"
    "\x0cPaid-On: 2026-01-01\x1cLine: {}\n\nbody"
)


# Single-line fields refuse \r and \n outright; the other separators reach
# the content file and must stay in their field there.
ONE_LINE_BREAKOUT = BREAKOUT.replace("\n", "\u2028").replace("\r", "\x85")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client": {"name": BREAKOUT[:200]}}, "client.name"),
        ({"lines": line(description=BREAKOUT)}, "lines.0.description"),
    ],
)
def test_single_line_fields_refuse_line_breaks(app, call, change, field):
    assert_refused(call("POST", "/invoices", draft_json(**change)), field)
    assert invoice_count(app) == 0


def test_content_file_fields_cannot_add_a_header_line(app, call):
    call("PATCH", "/profile", {"address": BREAKOUT, "display_name": "Seller"})
    invoice = issue(
        call,
        client={"name": ONE_LINE_BREAKOUT[:200], "address": BREAKOUT, "language": "en"},
        lines=line(description=ONE_LINE_BREAKOUT),
        notes="Slug: evil\nTemplate: evil\n\n" + BREAKOUT,
    )
    token = token_of(invoice["url"])
    content_dir = Path(app.config["CONTENT_DIR"])
    assert [p.name for p in content_dir.iterdir()] == [f"{token}.md"]
    header = (content_dir / f"{token}.md").read_text(encoding="utf-8").split("\n\n")[0]
    keys = [row.split(": ", 1)[0] for row in header.split("\n")]
    assert keys == [
        "Paypages", "Title", "Slug", "Language", "State", "Number", "Currency",
        "Issue-Date", "Due-Date", "Paid-On", "Seller", "Client", "Line", "Totals",
        "Payment",
    ]  # fmt: skip
    assert f'Slug: "{token}"' in header
    assert not re.search(r"[\r\x0b\x0c\x1c\x85\u2028\u2029]", header)
    public = sorted(
        p.relative_to(public_folder(app)).as_posix()
        for p in public_folder(app).rglob("*")
        if p.is_file()
    )
    assert public[-1] == f"p/{token}.html"
    assert all(key.startswith("assets/style.") for key in public[:-1])
    html = published_html(app, invoice["url"])
    assert 'data-state="open"' in html


def test_public_folder_holds_no_content_manifest_or_database(app, call):
    issue(call)
    names = {p.name for p in public_folder(app).rglob("*")}
    assert not any(
        name.endswith((".md", ".sqlite", ".sqlite-wal", ".py")) for name in names
    )
    assert names <= {"p", "assets"} | {
        n for n in names if n.endswith((".html", ".css"))
    }


# --- A rotated link is gone; a voided page offers no way to pay -------------


def test_rotated_link_old_page_is_gone_everywhere(app, call):
    invoice = issue(call)
    old = invoice["url"]
    rotated = call("POST", f"/invoices/{invoice['id']}/rotate-link").json
    new = rotated["url"]
    assert new != old and rotated["publish"]["state"] == "published"
    assert fetch(app, page_path(old))[0] == 404
    assert fetch(app, page_path(new))[0] == 200
    old_token = token_of(old)
    for folder in (app.config["CONTENT_DIR"], app.config["OUTPUT_DIR"]):
        assert not any(old_token in p.name for p in Path(folder).rglob("*"))


def test_voided_page_offers_no_way_to_pay(app, call):
    crypto = {"network": "ethereum", "address": "0x" + "ab" * 20}
    invoice = issue(
        call,
        payment={
            "link": "https://pay.example/abc",
            "bank": {"beneficiary": "Jonas", "iban": "LT121000011101001000"},
            "crypto": crypto,
        },
    )
    voided = call("POST", f"/invoices/{invoice['id']}/void")
    assert voided.status_code == 200 and voided.json["totals"]["due"] == "0.00"
    html = published_html(app, voided.json["url"])
    assert 'class="notice notice-void"' in html
    for absent in ("pay.example", "LT12", "ethereum:", "mailto:", "<svg", "button-pay"):
        assert absent not in html
    again = call("POST", f"/invoices/{invoice['id']}/paid", {})
    assert again.status_code == 409


# --- Client email: one recipient, no header from the owner's text -----------


@pytest.mark.parametrize(
    "sep", ["\r\n", "\n", "\r", "\u2028", "\u0085", "\x0b", "\x00", "\x1e"]
)
def test_client_mail_has_no_header_injected_from_the_client_name(app, call, sep):
    validate(app)
    name = f"Bob{sep}Bcc: victim@evil.example{sep}{sep}Injected body"
    client = {"name": name, "email": "c@example.com", "language": "en"}
    if sep in ("\r\n", "\n", "\r", "\x00"):
        refused = call("POST", "/invoices", draft_json(client=client))
        assert_refused(refused, "client.name")
        return
    invoice = issue(call, client=client)
    assert invoice["email"]["state"] == "sent"
    box = mailbox.Maildir(Path(app.instance_path) / "maildir", create=False)
    [raw] = [bytes(message) for message in box]
    head = raw.split(b"\n\n", 1)[0]
    assert not re.search(rb"^(Bcc|Cc|Injected)", head, re.M | re.I)
    message = email.message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in message["To"].addresses] == ["c@example.com"]
    assert message["Bcc"] is None and message["Cc"] is None


@pytest.mark.parametrize(
    "change",
    [
        {
            "client": {
                "name": "=?utf-8?q?Bob=0D=0AX-Injected:_yes=0D=0A=0D=0APhish?=",
                "email": "c@example.com",
                "language": "en",
            }
        },
        {"profile": {"display_name": "=?utf-8?q?x=0D=0ABcc:_a@evil.example?="}},
    ],
)
def test_encoded_words_cannot_smuggle_a_header_into_the_mail(app, call, change):
    validate(app)
    if "profile" in change:
        assert call("PATCH", "/profile", change["profile"]).status_code == 200
        invoice = issue(call)
    else:
        invoice = issue(call, client=change["client"])
    assert invoice["email"]["state"] == "sent"
    box = mailbox.Maildir(Path(app.instance_path) / "maildir", create=False)
    [raw] = [bytes(message) for message in box]
    head = raw.split(b"\n\n", 1)[0]
    assert not re.search(rb"^(Bcc|X-Injected)", head, re.M | re.I)
    message = email.message_from_bytes(raw, policy=policy.default)
    for header in ("To", "Reply-To", "Subject"):
        assert "\n" not in str(message[header]) and "\r" not in str(message[header])
    assert message["Bcc"] is None


def test_caplog_holds_no_token_or_client_data_above_debug(app, call, caplog):
    validate(app)
    caplog.set_level(logging.INFO)
    invoice = issue(call)
    rotated = call("POST", f"/invoices/{invoice['id']}/rotate-link").json
    paid = call("POST", f"/invoices/{invoice['id']}/paid", {})
    assert paid.status_code == 200
    second = issue(call)
    call("POST", f"/invoices/{second['id']}/void")
    secrets = {
        token_of(invoice["url"]),
        token_of(rotated["url"]),
        token_of(second["url"]),
        "pay@azuolas.example",
        "Ąžuolas",
    }
    above_debug = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert above_debug  # the actions were logged
    for message in above_debug:
        assert not any(secret in message for secret in secrets), message


# --- Another owner's invoices and tokens -----------------------------------


def test_another_owners_invoice_is_404_everywhere_in_the_api(app, api):
    victim, attacker = api("victim@example.com"), api("attacker@example.com")
    draft = victim("POST", "/invoices", draft_json()).json
    opened = issue(victim)
    before = [victim("GET", f"/invoices/{i}").json for i in (draft["id"], opened["id"])]
    for method, path, body in [
        ("GET", f"/invoices/{draft['id']}", None),
        ("PATCH", f"/invoices/{draft['id']}", {"notes": "pwned"}),
        ("DELETE", f"/invoices/{draft['id']}", None),
        ("POST", f"/invoices/{draft['id']}/issue", None),
        ("POST", f"/invoices/{opened['id']}/paid", {}),
        ("POST", f"/invoices/{opened['id']}/void", None),
        ("POST", f"/invoices/{opened['id']}/rotate-link", None),
    ]:
        response = attacker(method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.json["error"]
    assert attacker("GET", "/invoices").json["count"] == 0
    after = [victim("GET", f"/invoices/{i}").json for i in (draft["id"], opened["id"])]
    assert after == before


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("GET", "/edit"),
        ("POST", "/edit"),
        ("POST", "/copy"),
        ("POST", "/delete"),
        ("POST", "/issue"),
        ("POST", "/paid"),
        ("POST", "/void"),
        ("POST", "/rotate"),
        ("POST", "/publish"),
        ("POST", "/mail/retry"),
        ("POST", "/mail/resend"),
    ],
)
def test_another_owners_invoice_is_404_in_the_admin(
    app, api, client, auth, method, suffix
):
    victim = api("victim@example.com")
    draft = victim("POST", "/invoices", draft_json()).json
    opened = issue(victim)
    auth.signup("attacker@example.com")
    token = csrf_token(client.get("/invoices/new"))
    for invoice in (draft, opened):
        response = client.open(
            f"/invoices/{invoice['id']}{suffix}",
            method=method,
            data={"csrf_token": token, "paid_on": "2026-12-20", "client-name": "x"},
        )
        assert response.status_code == 404
    assert victim("GET", f"/invoices/{draft['id']}").json["status"] == "draft"
    assert victim("GET", f"/invoices/{opened['id']}").json["status"] == "open"
    assert victim("GET", f"/invoices/{opened['id']}").json["url"] == opened["url"]
    assert invoice_count(app) == 2


def test_another_owners_api_token_cannot_be_revoked(app, api, client, auth):
    victim = api("victim@example.com")
    auth.signup("attacker@example.com")
    token = csrf_token(client.get("/profile/tokens"))
    response = client.post("/profile/tokens/1/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    assert victim("GET", "/profile").status_code == 200


# --- CSRF, redirects, sign-in ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/signout", {}),
        ("/profile/", {"display_name": "pwned", "default_currency": "EUR"}),
        ("/profile/tokens", {"name": "pwned"}),
        ("/invoices/new", {"client-name": "pwned"}),
        ("/invoices/1/issue", {}),
        ("/invoices/1/void", {}),
        ("/invoices/1/rotate", {}),
        ("/invoices/1/delete", {}),
        ("/profile/tokens/1/revoke", {}),
    ],
)
@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_post_without_a_valid_csrf_token_changes_nothing(
    app, client, auth, path, data, token
):
    auth.signup()
    page = client.get("/invoices/new")
    client.post(
        "/invoices/new",
        data={
            "csrf_token": csrf_token(page),
            "client-name": "Mine",
            "client-language": "en",
            "currency": "EUR",
            "issue_date": "2026-12-03",
            "due_date": "2026-12-17",
            "lines-0-description": "x",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "1",
        },
    )
    if token is not None:
        data = dict(data, csrf_token=token)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert b"expired" in response.data
    with app.app_context():
        invoices = db.session.query(Invoice).all()
        owner = db.session.query(Owner).one()
        assert [(i.client_name, i.status) for i in invoices] == [("Mine", "draft")]
        assert owner.display_name == ""
    assert client.get("/").status_code == 200  # still signed in


def test_api_with_only_a_session_cookie_is_refused(client, auth):
    auth.signup()
    assert client.get("/api/v1/invoices").status_code == 401
    response = client.post("/api/v1/invoices", json=draft_json())
    assert response.status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "http://evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "/.//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/x\r\nLocation: https://evil.example",
    ],
)
def test_sign_in_never_redirects_to_another_site(client, auth, target):
    auth.signup()
    auth.logout()
    page = client.get("/signin")
    response = client.post(
        "/signin?next=" + urllib.parse.quote(target, safe=""),
        data={
            "email": "owner@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urllib.parse.urlsplit(location)
    assert not parts.scheme and not parts.netloc
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location


def test_sign_in_keeps_a_local_next_page(client, auth):
    auth.signup()
    auth.logout()
    page = client.get("/signin")
    response = client.post(
        "/signin?next=/profile/",
        data={
            "email": "owner@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/profile/"


def test_sign_in_limit_counts_one_account_whatever_its_spelling(app, client, auth):
    app.config["LOGIN_RATE_LIMIT"] = "4 per minute"
    auth.signup("limit@example.com")
    auth.logout()
    spellings = [
        "limit@example.com",
        "LIMIT@example.com",
        " Limit@Example.COM ",
        "limit@EXAMPLE.com",
    ]
    for spelling in spellings:
        page = client.get("/signin")
        response = client.post(
            "/signin",
            data={
                "email": spelling,
                "password": "wrong password",
                "csrf_token": csrf_token(page),
            },
            environ_base={"REMOTE_ADDR": f"10.0.0.{len(spelling)}"},
        )
        assert response.status_code == 200
    other = app.test_client()
    page = other.get("/signin")
    blocked = other.post(
        "/signin",
        data={
            "email": "limit@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data


def test_sign_in_issues_a_new_session_cookie(app, client, auth):
    auth.signup()
    auth.logout()
    page = client.get("/signin")
    before = client.get_cookie("session").value
    client.post(
        "/signin",
        data={
            "email": "owner@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    after = client.get_cookie("session").value
    assert after != before
    fixated = app.test_client()
    fixated.set_cookie("session", before)
    assert fixated.get("/").status_code == 302  # the planted cookie is not signed in


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Bearer pp_",
        "Basic {secret}",
        "Token {secret}",
        "{secret}",
        " Bearer {secret}",
        "Bearer\t{secret}",
        "Bearer {secret}x",
        "Bearer {short}",
        "Bearer {secret}\x00",
        "Bearer pp_" + "a" * 10_000,
        "Bearer " + "x" * 100_000,
    ],
)
def test_api_refuses_a_malformed_or_wrong_token(api, client, header):
    caller = api()
    secret = caller.headers["Authorization"].split(" ", 1)[1]
    value = header.format(secret=secret, short=secret[:-1])
    response = client.get("/api/v1/invoices", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="paypages"'
    assert response.json["error"]


@pytest.mark.parametrize(
    "form", ["Bearer {s}", "bearer {s}", "BEARER {s}", "Bearer  {s} "]
)
def test_api_accepts_the_bearer_scheme_in_any_case(api, client, form):
    caller = api()
    secret = caller.headers["Authorization"].split(" ", 1)[1]
    response = client.get(
        "/api/v1/invoices", headers={"Authorization": form.format(s=secret)}
    )
    assert response.status_code == 200


def test_revoked_api_token_stops_working(app, api, client):
    from admin import tokens
    from admin.models import ApiToken

    caller = api()
    with app.app_context():
        tokens.revoke(db.session.query(ApiToken).one())
    assert caller("GET", "/invoices").status_code == 401


# --- Paths, methods and pagination ------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/..%2f..%2fprofile",
        "/invoices/1/../../profile",
        "/invoices/%2e%2e/profile",
        "/invoices/-1",
        "/invoices/1.0",
        "/invoices/abc",
        "/invoices/" + "9" * 5000,
    ],
)
def test_api_paths_that_are_not_an_invoice_id_answer_404(call, path):
    response = call("GET", path)
    assert response.status_code == 404
    assert response.is_json


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"])
@pytest.mark.parametrize(
    "path", ["/", "/signin", "/signup", "/signout", "/invoices/new", "/profile/"]
)
def test_admin_answers_405_to_methods_it_does_not_serve(client, auth, method, path):
    auth.signup()
    assert client.open(path, method=method).status_code == 405


@pytest.mark.parametrize("method", ["PUT", "POST", "TRACE", "PROPFIND"])
@pytest.mark.parametrize("path", ["/invoices/1", "/profile"])
def test_api_answers_405_in_json_to_methods_it_does_not_serve(call, method, path):
    response = call(method, path)
    assert response.status_code == 405
    assert response.is_json


def test_admin_answers_404_to_an_overly_long_url(client, auth):
    auth.signup()
    assert client.get("/x" * 50_000).status_code == 404


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1e3", "%00", "１"])
def test_api_list_falls_back_to_the_first_page(call, page):
    call("POST", "/invoices", draft_json())
    response = call("GET", f"/invoices?page={page}")
    assert response.status_code == 200
    assert response.json["page"] == 1 and response.json["count"] == 1


def test_api_list_refuses_an_unknown_status(call):
    response = call("GET", "/invoices?status=' OR 1=1 --")
    assert_refused(response, "status")


@pytest.mark.parametrize("query", ["page=-1", "page=0", "status=bogus"])
def test_dashboard_answers_404_to_a_page_that_cannot_exist(client, auth, query):
    auth.signup()
    assert client.get(f"/?{query}").status_code == 404


# --- The local pages server: files only, nothing else -----------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/p/",
        "/p",
        "/assets/",
        "/index.html",
        "/../paypages.sqlite",
        "/../manifest.sqlite",
        "/%2e%2e/paypages.sqlite",
        "/p/..%2f..%2fmanifest.sqlite",
        "/p/%2e%2e/%2e%2e/manifest.sqlite",
        "/..%5cmanifest.sqlite",
        "//etc/passwd",
        "/etc/passwd",
        "/%2fetc%2fpasswd",
        "/../content/",
        "/p/" + "a" * 5000 + ".html",
    ],
)
def test_pages_server_lists_nothing_and_never_leaves_its_folder(app, call, path):
    invoice = issue(call)
    status, body, _ = fetch(app, path)
    assert status == 404
    assert token_of(invoice["url"]).encode() not in body


@pytest.mark.parametrize("suffix", ["%00", "%00.txt", ".bak", "~"])
def test_pages_server_ignores_nul_and_suffix_tricks(app, call, suffix):
    invoice = issue(call)
    assert fetch(app, page_path(invoice["url"]) + suffix)[0] == 404


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]
)
def test_pages_server_serves_only_gets(app, call, method):
    invoice = issue(call)
    path = page_path(invoice["url"])
    assert fetch(app, path, method)[0] == 404
    assert fetch(app, path)[0] == 200


def test_pages_server_sends_no_referrer_and_noindex(app, call):
    invoice = issue(call)
    _, _, headers = fetch(app, page_path(invoice["url"]))
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    assert headers["X-Content-Type-Options"] == "nosniff"


# --- Defects found by attacking it, now refused -----------------------------


def test_more_lines_than_an_invoice_holds_are_refused_not_dropped(app, call):
    lines = [dict(ONE_LINE) for _ in range(101)]
    assert_refused(call("POST", "/invoices", draft_json(lines=lines)), "lines")
    assert invoice_count(app) == 0


def test_a_full_draft_can_still_be_edited_in_the_admin(client, auth, api, app):
    hundred = api("full@example.com")
    lines = [dict(ONE_LINE) for _ in range(100)]
    draft = hundred("POST", "/invoices", draft_json(lines=lines)).json
    with app.app_context():
        owner = db.session.query(Owner).filter_by(email="full@example.com").one()
        owner.password_hash = db.session.query(Owner).first().password_hash
    auth.login("full@example.com")
    assert client.get(f"/invoices/{draft['id']}/edit").status_code == 200


@pytest.mark.parametrize("value", [0, 1, "0", "no", "false", "", [], {}])
def test_email_client_takes_only_a_json_boolean(app, call, value):
    assert_refused(
        call("POST", "/invoices", draft_json(email_client=value)), "email_client"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client": {"name": True}}, "client.name"),
        ({"notes": ["a"]}, "notes"),
        ({"payment": "x"}, "payment"),
        ({"payment": [1, 2]}, "payment"),
        ({"currency": []}, "currency"),
        ({"currency": {}}, "currency"),
    ],
)
def test_wrong_json_types_are_refused_not_coerced(app, call, change, field):
    assert_refused(call("POST", "/invoices", draft_json(**change)), field)
    assert invoice_count(app) == 0


def test_a_lone_surrogate_is_a_400_not_a_500(app, call):
    body = json.dumps(draft_json()).replace("UAB", "\\ud800")
    response = call("POST", "/invoices", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "surrogate" in response.json["error"]
    assert invoice_count(app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_price", "\uff11\uff12"),
        ("unit_price", "\u0663"),
        ("quantity", "\u0663"),
    ],
)
def test_amounts_take_only_ascii_digits(app, call, field, value):
    lines = line(**{field: value})
    assert_refused(
        call("POST", "/invoices", draft_json(lines=lines)), f"lines.0.{field}"
    )


@pytest.mark.parametrize("code", ["XAU", "XTS", "XBA", "LTL"])
def test_currencies_are_money_in_use_today(app, call, code):
    assert_refused(call("POST", "/invoices", draft_json(currency=code)), "currency")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"issue_date": "0001-01-01", "due_date": "0001-01-02"}, "issue_date"),
        ({"due_date": "9999-12-31"}, "due_date"),
        ({"client": {"name": "A\x00B"}}, "client.name"),
        ({"notes": "a\x00b"}, "notes"),
        ({"payment": {"link": "https://pay.example/\x7f"}}, "payment.link"),
        ({"payment": {"link": "https://pay.example/\u202egnp.exe"}}, "payment.link"),
    ],
)
def test_absurd_dates_nul_and_invisible_link_characters(app, call, change, field):
    assert_refused(call("POST", "/invoices", draft_json(**change)), field)


def test_paid_on_far_in_the_future_is_refused(app, call):
    invoice = issue(call)
    response = call(
        "POST", f"/invoices/{invoice['id']}/paid", {"paid_on": "9999-12-31"}
    )
    assert response.status_code == 400
    assert response.json["field"] == "paid_on"


@pytest.mark.parametrize("page", ["99999999999999999999", str(2**62), str(2**63)])
def test_huge_page_numbers_are_not_a_500(client, auth, call, page):
    assert call("GET", f"/invoices?page={page}").status_code in (200, 400)
    auth.signup("pager@example.com")
    assert client.get(f"/?page={page}").status_code == 404


@pytest.mark.parametrize("invoice_id", ["99999999999999999999999", str(2**63), "0"])
def test_huge_invoice_ids_answer_404(client, auth, call, invoice_id):
    assert call("GET", f"/invoices/{invoice_id}").status_code == 404
    auth.signup("ids@example.com")
    assert client.get(f"/invoices/{invoice_id}").status_code == 404


@pytest.mark.parametrize("name", [".git/config", ".hidden", "p/.abc.tmp"])
def test_pages_server_never_serves_dotfiles(app, call, name):
    issue(call)
    path = public_folder(app) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("secret")
    assert fetch(app, "/" + name)[0] == 404


def test_a_publish_failure_logs_no_token_above_debug(app, call, caplog):
    created = call("POST", "/invoices", draft_json()).json
    output = Path(app.config["OUTPUT_DIR"])
    output.mkdir(parents=True, exist_ok=True)
    (output / "p").write_text("a file where the pages folder should be")
    caplog.set_level(logging.INFO)
    issued = call("POST", f"/invoices/{created['id']}/issue").json
    assert issued["publish"]["state"] == "pending"
    token_lines = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG]
    assert token_lines
    with app.app_context():
        token = db.session.get(Invoice, created["id"]).token
    assert not any(token in text for text in token_lines)
