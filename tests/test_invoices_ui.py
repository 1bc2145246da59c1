import re
from pathlib import Path

import pytest

from admin.db import db
from admin.models import Invoice
from tests.conftest import csrf_token


def form_data(token, **overrides):
    data = {
        "csrf_token": token,
        "client-name": "ACME Ltd",
        "client-email": "billing@acme.example",
        "client-language": "en",
        "currency": "EUR",
        "issue_date": "2026-12-03",
        "due_date": "2026-12-17",
        "lines-0-description": "Consulting",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "500.00",
        "lines-0-tax_percent": "19",
        "lines-1-description": "",
        "email_client": "y",
    }
    data.update(overrides)
    return data


@pytest.fixture
def owner(auth):
    auth.signup()
    return auth


def new_draft(client, **overrides):
    token = csrf_token(client.get("/invoices/new"))
    return client.post("/invoices/new", data=form_data(token, **overrides))


def test_record_and_issue_an_invoice(client, owner):
    response = new_draft(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert b"Draft #" in page.data
    assert "1.190,00" in page.text or "€1,190.00" in page.text
    issue_url = re.search(r'action="(/invoices/\d+/issue)"', page.text).group(1)
    issued = client.post(issue_url, data={"csrf_token": csrf_token(page)})
    view = client.get(issued.headers["Location"])
    assert "INV-2026-0001" in view.text
    assert 'id="share"' in view.text
    assert re.search(r'value="http://pages\.test/[^"]+"', view.text)


def test_unvalidated_owner_is_told_the_client_was_not_emailed(client, owner):
    location = new_draft(client).headers["Location"]
    page = client.get(location)
    client.post(location + "/issue", data={"csrf_token": csrf_token(page)})
    view = client.get(location)
    assert "0 of 3 paid invoices" in view.text
    assert "not emailed" in view.text.lower()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("client-name", "", "Enter the client&#39;s name."),
        ("client-email", "a@b.example\r\nBcc: x@y.example", "line break"),
        ("currency", "EURO", "not an ISO 4217 currency"),
        ("due_date", "2026-12-01", "due date is before the issue date"),
        ("lines-0-quantity", "-3", "at least 0"),
        ("lines-0-unit_price", "NaN", "Enter a number"),
        ("lines-0-unit_price", "1.005", "at most 2 decimals"),
        ("lines-0-discount_percent", "150", "at most 100"),
        ("payment-link", "ftp://x.example", "https://"),
        ("payment-bank-iban", "DE00 0000", "Not a valid IBAN"),
    ],
)
def test_bad_input_shows_the_field_and_stores_nothing(
    app, client, owner, field, value, message
):
    response = new_draft(client, **{field: value})
    assert response.status_code == 200
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or "invalid" in response.text
    with app.app_context():
        assert db.session.query(Invoice).count() == 0


def test_add_a_line_keeps_what_was_typed(client, owner):
    token = csrf_token(client.get("/invoices/new"))
    response = client.post(
        "/invoices/new", data=form_data(token, add_line="1", **{"client-name": "Keep"})
    )
    assert response.status_code == 200
    assert 'value="Keep"' in response.text
    assert 'name="lines-2-description"' in response.text


def test_edit_a_draft_and_delete_it(app, client, owner):
    location = new_draft(client).headers["Location"]
    edit = client.get(location + "/edit")
    assert 'value="ACME Ltd"' in edit.text
    client.post(
        location + "/edit",
        data=form_data(csrf_token(edit), **{"client-name": "ACME Group"}),
    )
    assert "ACME Group" in client.get(location).text
    client.post(location + "/delete", data={"csrf_token": csrf_token(edit)})
    assert client.get(location).status_code == 404


def test_dashboard_shows_totals_and_filters(client, owner):
    for _ in range(2):
        location = new_draft(client).headers["Location"]
    page = client.get(location)
    client.post(location + "/issue", data={"csrf_token": csrf_token(page)})
    dashboard = client.get("/")
    assert "€1,190.00" in dashboard.text
    assert client.get("/?status=draft").text.count("Draft #") == 1
    assert client.get("/?status=bogus").status_code == 404
    assert client.get("/?page=0").status_code == 404


def test_mark_paid_then_void_is_a_conflict(client, owner):
    location = new_draft(client).headers["Location"]
    token = csrf_token(client.get(location))
    client.post(location + "/issue", data={"csrf_token": token})
    client.post(location + "/paid", data={"csrf_token": token, "paid_on": "2026-12-03"})
    assert "Paid on" in client.get(location).text
    assert (
        client.post(location + "/void", data={"csrf_token": token}).status_code == 409
    )


def test_profile_stores_the_iban_compact(app, client, owner):
    page = client.get("/profile/")
    response = client.post(
        "/profile/",
        data={
            "csrf_token": csrf_token(page),
            "display_name": "Bits'n'Bugs",
            "default_currency": "eur",
            "default_language": "lt",
            "payment-link": "https://pay.example/me",
            "payment-bank-beneficiary": "Bits'n'Bugs",
            "payment-bank-iban": "de89 3704 0044 0532 0130 00",
            "payment-bank-bic": "COBADEFFXXX",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from admin.models import Owner

        owner_row = db.session.query(Owner).one()
        assert owner_row.bank_iban == "DE89370400440532013000"
        assert owner_row.default_currency == "EUR"


def test_api_tokens_page_shows_a_token_once(client, owner):
    page = client.get("/profile/tokens")
    made = client.post(
        "/profile/tokens", data={"csrf_token": csrf_token(page), "name": "script"}
    )
    secret = re.search(r'value="(pp_[^"]+)"', made.text).group(1)
    again = client.get("/profile/tokens")
    assert secret not in again.text
    assert (
        client.get(
            "/api/v1/invoices", headers={"Authorization": f"Bearer {secret}"}
        ).status_code
        == 200
    )


def test_a_correction_is_a_void_and_a_copy(app, client, owner):
    location = new_draft(client).headers["Location"]
    token = csrf_token(client.get(location))
    client.post(location + "/issue", data={"csrf_token": token})
    client.post(location + "/void", data={"csrf_token": token})
    copied = client.post(location + "/copy", data={"csrf_token": token})
    assert copied.status_code == 302
    edit = client.get(copied.headers["Location"])
    assert 'value="ACME Ltd"' in edit.text
    assert 'value="500.00"' in edit.text
    with app.app_context():
        statuses = sorted(i.status for i in db.session.query(Invoice))
        copy = db.session.query(Invoice).filter_by(status="draft").one()
        assert copy.number is None and copy.token is None
        assert copy.total_minor == 119000
    assert statuses == ["draft", "void"]


def test_round_quantities_and_rates_show_plainly(app, client, owner):
    location = new_draft(
        client,
        **{
            "lines-0-quantity": "10",
            "lines-0-tax_percent": "20",
            "lines-0-discount_percent": "10",
        },
    ).headers["Location"]
    token = csrf_token(client.get(location))
    client.post(location + "/issue", data={"csrf_token": token})
    view = client.get(location).text
    assert "E+" not in view
    assert '<td class="num">10</td>' in view
    assert "(20 %)" in view
    content = next(Path(app.config["CONTENT_DIR"]).glob("*.md")).read_text()
    assert "E+" not in content


def test_each_line_input_is_labelled_with_its_own_line(client, owner):
    form = client.get("/invoices/new").text
    assert 'aria-label="Quantity (line 2)"' in form
    assert 'aria-label="Tax % (line 1)"' in form
