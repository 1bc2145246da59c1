"""Issuing assigns per-owner, gap-free numbers, even when issues race."""

import threading

from tests.conftest import draft_json


def test_issue_assigns_the_next_number_per_owner(api):
    alice, bob = api("alice@example.com"), api("bob@example.com")
    numbers = []
    for caller in (alice, alice, bob):
        draft = caller("POST", "/invoices", draft_json()).json
        numbers.append(caller("POST", f"/invoices/{draft['id']}/issue").json["number"])
    assert numbers == ["INV-2026-0001", "INV-2026-0002", "INV-2026-0001"]


def test_a_deleted_draft_leaves_no_gap(api):
    call = api()
    kept, dropped = (call("POST", "/invoices", draft_json()).json for _ in range(2))
    call("DELETE", f"/invoices/{dropped['id']}")
    assert call("POST", f"/invoices/{kept['id']}/issue").json["number"] == (
        "INV-2026-0001"
    )


def test_twenty_invoices_issued_at_once_get_twenty_consecutive_numbers(app, api):
    call = api()
    ids = [call("POST", "/invoices", draft_json()).json["id"] for _ in range(20)]
    results: dict[int, object] = {}
    start = threading.Barrier(len(ids))

    def issue(invoice_id):
        client = app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/invoices/{invoice_id}/issue", headers=call.headers
        )
        results[invoice_id] = (response.status_code, response.json)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _ in results.values()} == {200}
    numbers = sorted(body["number"] for _, body in results.values())
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 21)]
    tokens = {body["url"] for _, body in results.values()}
    assert len(tokens) == 20
