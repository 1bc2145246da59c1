"""A second owner is shown 404 on every invoice route of the first."""

from admin import ledger
from admin.db import db
from admin.models import Invoice
from tests.conftest import csrf_token, draft_json


def test_second_owner_gets_404_on_every_invoice_route(app, client, auth, api):
    first = api("first@example.com")
    drafts = [first("POST", "/invoices", draft_json()).json for _ in range(2)]
    first("POST", f"/invoices/{drafts[1]['id']}/issue")
    with app.app_context():
        before = {
            inv.id: ledger.to_json(inv) for inv in db.session.query(Invoice).all()
        }

    second_api = api("second@example.com")
    auth.signup("second-ui@example.com")
    token = csrf_token(client.get("/invoices/new"))

    rules = [
        rule for rule in app.url_map.iter_rules() if "invoice_id" in rule.arguments
    ]
    assert len(rules) >= 15  # every UI and API invoice route is walked
    walked = 0
    for rule in rules:
        for draft in drafts:
            path = rule.build({"invoice_id": draft["id"]}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if rule.endpoint.startswith("api."):
                    response = second_api(method, path.removeprefix("/api/v1"), {})
                else:
                    response = client.open(
                        path,
                        method=method,
                        data={"csrf_token": token, "paid_on": "2026-12-20"},
                    )
                assert response.status_code == 404, (method, path)
                walked += 1
    assert walked >= 30

    with app.app_context():
        after = {inv.id: ledger.to_json(inv) for inv in db.session.query(Invoice).all()}
    assert after == before
