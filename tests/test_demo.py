"""``paypages demo seed``: realistic invoices through the admin's own paths."""

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from admin.auth import create_owner, find_owner, verify
from admin.db import db
from admin.demo import STATES, plan
from admin.models import Invoice, MailOutbox
from tests.conftest import PASSWORD


def seed(runner, *args):
    return runner.invoke(
        args=["demo", "seed", "--owner", "demo@example.com", "--seed", "7", *args]
    )


def invoices(app) -> list[Invoice]:
    with app.app_context():
        owner = find_owner("demo@example.com")
        rows = db.session.scalars(
            select(Invoice).where(Invoice.owner_id == owner.id).order_by(Invoice.id)
        ).all()
        db.session.expunge_all()
    return rows


def public_page(app, invoice: Invoice) -> Path:
    folder = Path(app.config["PUBLISH_URL"].removeprefix("file://"))
    return folder / "p" / f"{invoice.token}.html"


def test_seed_creates_the_owner_and_shows_its_password_once(app, runner):
    result = seed(runner, "--invoices", "5")

    assert result.exit_code == 0, result.output
    password = result.output.splitlines()[1]
    with app.app_context():
        assert verify("demo@example.com", password) is not None
    assert result.output.count(password) == 1
    assert "Seeded 5 invoices for demo@example.com" in result.output


def test_seed_fills_an_existing_owner_without_a_new_password(app, runner):
    with app.app_context():
        create_owner("demo@example.com", PASSWORD)
        db.session.commit()

    result = seed(runner, "--invoices", "5")

    assert result.exit_code == 0, result.output
    assert "password" not in result.output
    assert len(invoices(app)) == 5


def test_seeded_invoices_have_every_state_and_currency_mix(app, runner):
    result = seed(runner, "--invoices", "12")

    assert result.exit_code == 0, result.output
    rows = invoices(app)
    today = dt.date.today()
    shown = {"overdue" if row.is_overdue(today) else row.status for row in rows}
    assert len(rows) == 12
    assert shown == set(STATES)
    assert {row.client_language for row in rows} == {"en", "lt"}


def test_seeded_numbers_are_consecutive_per_year(app, runner):
    seed(runner, "--invoices", "12", "--years", "2")

    numbers = defaultdict(list)
    for row in invoices(app):
        if row.number:
            _, year, sequence = row.number.split("-")
            numbers[year].append(int(sequence))
    assert numbers
    for sequence in numbers.values():
        assert sorted(sequence) == list(range(1, len(sequence) + 1))


@pytest.mark.parametrize("flag", [(), ("--publish-at-end",)])
def test_every_issued_invoice_has_its_page_published(app, runner, flag):
    result = seed(runner, "--invoices", "8", *flag)

    assert result.exit_code == 0, result.output
    for row in invoices(app):
        if row.status == "draft":
            assert row.token is None
            continue
        assert row.publish_state == "published"
        page = public_page(app, row).read_text(encoding="utf-8")
        assert row.number in page


def test_seeding_never_queues_an_email_to_send(app, runner):
    seed(runner, "--invoices", "12")

    with app.app_context():
        states = set(db.session.scalars(select(MailOutbox.state)))
    assert states == {"held"}


def test_seed_refuses_a_malformed_owner_email(runner):
    result = runner.invoke(args=["demo", "seed", "--owner", "not an email"])

    assert result.exit_code == 1
    assert "Error: email" in result.output


@pytest.mark.parametrize("count", [5, 40, 300])
def test_the_plan_has_every_state_with_dates_that_fit(count):
    today = dt.date(2026, 12, 3)
    planned = plan(count, today, random.Random(count), 3)

    assert {item.state for item in planned} == set(STATES)
    for item in planned:
        due = item.issue_date + dt.timedelta(days=14)
        if item.state in ("overdue", "paid", "void"):
            assert due < today
        if item.state in ("open", "draft"):
            assert due >= today
        if item.paid_on:
            assert item.issue_date <= item.paid_on <= today
