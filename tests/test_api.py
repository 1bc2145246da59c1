import pytest
from sqlalchemy import create_engine, text

from admin import publishing
from tests.conftest import draft_json


@pytest.fixture
def call(api):
    return api()


def create(call, **overrides):
    response = call("POST", "/invoices", draft_json(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def test_create_draft_computes_totals_as_decimal_strings(call):
    invoice = create(
        call,
        lines=[
            {
                "description": "Design",
                "quantity": "1",
                "unit_price": "57.48",
                "discount_percent": "10",
                "tax_percent": "21",
            }
        ],
    )
    assert invoice["status"] == "draft"
    assert invoice["number"] is None
    assert invoice["totals"] == {
        "net": "51.73",
        "tax": "10.86",
        "total": "62.59",
        "due": "62.59",
    }
    assert invoice["url"] is None


def test_payment_falls_back_to_the_profile(call):
    profile = call(
        "PATCH",
        "/profile",
        {"payment": {"link": "https://pay.example/me"}, "display_name": "Jonas"},
    )
    assert profile.status_code == 200, profile.json
    body = draft_json()
    del body["payment"]
    invoice = call("POST", "/invoices", body).json
    assert invoice["payment"]["link"] == "https://pay.example/me"


def test_issue_numbers_and_publishes(call):
    invoice = create(call)
    issued = call("POST", f"/invoices/{invoice['id']}/issue")
    assert issued.status_code == 200, issued.json
    body = issued.json
    assert body["number"] == "INV-2026-0001"
    assert body["status"] == "open"
    assert body["publish"]["state"] == "published"
    assert body["url"].startswith("http://pages.test/")
    token = body["url"].rsplit("/", 1)[1].split(".")[0]
    assert len(token) >= 22
    assert "INV" not in body["url"]


def test_issued_invoice_is_locked(call):
    invoice = create(call)
    call("POST", f"/invoices/{invoice['id']}/issue")
    patched = call("PATCH", f"/invoices/{invoice['id']}", {"notes": "changed"})
    assert patched.status_code == 409
    assert patched.json["field"] == "status"
    assert call("DELETE", f"/invoices/{invoice['id']}").status_code == 409
    assert call("POST", f"/invoices/{invoice['id']}/issue").status_code == 409


def test_lifecycle_paid_and_void(call):
    first, second = create(call), create(call)
    for invoice in (first, second):
        call("POST", f"/invoices/{invoice['id']}/issue")
    paid = call("POST", f"/invoices/{first['id']}/paid", {"paid_on": "2026-12-03"})
    assert paid.json["status"] == "paid"
    assert paid.json["paid_on"] == "2026-12-03"
    assert paid.json["totals"]["due"] == "0.00"
    assert call("POST", f"/invoices/{first['id']}/void").status_code == 409
    voided = call("POST", f"/invoices/{second['id']}/void")
    assert voided.json["status"] == "void"
    assert call("POST", f"/invoices/{second['id']}/paid").status_code == 409


def test_paid_on_cannot_be_before_the_issue_date(call):
    invoice = create(call)
    call("POST", f"/invoices/{invoice['id']}/issue")
    early = call("POST", f"/invoices/{invoice['id']}/paid", {"paid_on": "2026-12-01"})
    assert early.status_code == 400
    assert early.json["field"] == "paid_on"
    assert call("GET", f"/invoices/{invoice['id']}").json["status"] == "open"


def test_patch_and_delete_a_draft(call):
    invoice = create(call)
    patched = call(
        "PATCH",
        f"/invoices/{invoice['id']}",
        {
            "currency": "JPY",
            "lines": [{"description": "Tea", "quantity": "3", "unit_price": "8"}],
        },
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["totals"]["total"] == "24"
    assert call("DELETE", f"/invoices/{invoice['id']}").status_code == 204
    assert call("GET", f"/invoices/{invoice['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XYZ"}, "currency"),
        ({"due_date": "2026-12-01"}, "due_date"),
        ({"client": {"name": "", "email": "a@b.example"}}, "client.name"),
        (
            {"client": {"name": "A", "email": "a@b.example\nBcc: x@y.example"}},
            "client.email",
        ),
        ({"client": {"name": "A", "email": "not an email"}}, "client.email"),
        ({"client": {"name": "x" * 201}}, "client.name"),
        (
            {"lines": [{"description": "x", "quantity": "-1", "unit_price": "1"}]},
            "lines.0.quantity",
        ),
        (
            {"lines": [{"description": "x", "quantity": "1", "unit_price": "NaN"}]},
            "lines.0.unit_price",
        ),
        (
            {
                "lines": [
                    {"description": "x", "quantity": "1", "unit_price": "Infinity"}
                ]
            },
            "lines.0.unit_price",
        ),
        (
            {"lines": [{"description": "x", "quantity": "1", "unit_price": "1.234"}]},
            "lines.0.unit_price",
        ),
        (
            {"lines": [{"description": "x", "quantity": "1e9", "unit_price": "1"}]},
            "lines.0.quantity",
        ),
        (
            {
                "lines": [
                    {"description": "x", "quantity": "1", "unit_price": "99999999999"}
                ]
            },
            "lines.0.unit_price",
        ),
        (
            {
                "lines": [
                    {
                        "description": "x",
                        "quantity": "1",
                        "unit_price": "1",
                        "tax_percent": "101",
                    }
                ]
            },
            "lines.0.tax_percent",
        ),
        ({"lines": []}, "lines"),
        ({"payment": {"link": "javascript:alert(1)"}}, "payment.link"),
        (
            {"payment": {"bank": {"beneficiary": "X", "iban": "LT121000011101001001"}}},
            "payment.bank.iban",
        ),
        ({"issue_date": "tomorrow"}, "issue_date"),
        ({"notes": "x" * 10001}, "notes"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(call, change, field):
    response = call("POST", "/invoices", draft_json(**change))
    assert response.status_code == 400
    assert response.json["field"] == field
    assert response.json["error"]
    assert call("GET", "/invoices").json["count"] == 0


def test_yen_with_decimals_is_refused(call):
    response = call(
        "POST",
        "/invoices",
        draft_json(
            currency="JPY",
            lines=[{"description": "Tea", "quantity": "1", "unit_price": "3.5"}],
        ),
    )
    assert response.status_code == 400
    assert response.json["field"] == "lines.0.unit_price"
    assert "JPY" in response.json["error"]


def test_json_numbers_are_read_exactly(call):
    body = draft_json(
        lines=[{"description": "x", "quantity": 1, "unit_price": 0.1, "tax_percent": 0}]
    )
    invoice = call("POST", "/invoices", body).json
    assert invoice["totals"]["total"] == "0.10"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"{" * 5000])
def test_malformed_bodies_answer_400_in_json(call, body):
    response = call("POST", "/invoices", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.is_json
    assert response.json["error"]


def test_no_token_or_a_revoked_one_answers_401(app, client, runner, call):
    assert client.get("/api/v1/invoices").status_code == 401
    bad = client.get("/api/v1/invoices", headers={"Authorization": "Bearer pp_nope"})
    assert bad.status_code == 401
    assert bad.json["error"]
    result = runner.invoke(args=["tokens", "revoke", "1"])
    assert result.exit_code == 0, result.output
    assert call("GET", "/invoices").status_code == 401


def test_unknown_route_and_method_answer_json(call):
    assert call("GET", "/nothing").status_code == 404
    assert call("GET", "/nothing").is_json
    response = call("PUT", "/invoices")
    assert response.status_code == 405
    assert response.is_json


def test_list_filters_by_status(call):
    drafts = [create(call) for _ in range(3)]
    call("POST", f"/invoices/{drafts[0]['id']}/issue")
    listed = call("GET", "/invoices?status=open").json
    assert [i["id"] for i in listed["invoices"]] == [drafts[0]["id"]]
    assert call("GET", "/invoices?status=draft").json["count"] == 2
    assert call("GET", "/invoices?status=bogus").status_code == 400


def test_a_change_during_publishing_does_not_leave_a_stale_page(app, call):
    invoice = create(call)
    real_publish = publishing.Site.publish
    changed = []

    def publish_then_pay_elsewhere(self, token, retired=()):
        url = real_publish(self, token, retired)
        if not changed:  # another request marks it paid while this one uploads
            engine = create_engine(app.config["DATABASE_URL"])
            with engine.begin() as other:
                other.execute(
                    text(
                        "UPDATE invoices SET status='paid', paid_on='2026-12-03' "
                        "WHERE id=:id"
                    ),
                    {"id": invoice["id"]},
                )
            engine.dispose()
            changed.append(token)
        return url

    publishing.Site.publish = publish_then_pay_elsewhere
    try:
        issued = call("POST", f"/invoices/{invoice['id']}/issue").json
    finally:
        publishing.Site.publish = real_publish
    assert changed
    assert issued["status"] == "paid"
    assert issued["publish"]["state"] == "published"
    token = issued["url"].rsplit("/", 1)[1]
    from pathlib import Path

    page = Path(app.config["PUBLISH_URL"].removeprefix("file://")) / "p" / token
    assert 'data-state="paid"' in page.read_text()
