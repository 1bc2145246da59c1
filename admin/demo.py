"""Demo data: ``paypages demo seed`` fills an owner's account with invoices.

Each invoice goes the way the admin's own invoices go: its values are
checked by :class:`~admin.forms.InvoiceForm` (flattened like the JSON API's
body), then recorded and moved on by :mod:`admin.ledger` — create, issue,
mark paid or void — which publishes its page after each change.

The clients' addresses are in the reserved ``.example`` domain and every
invoice opts out of client email, so seeding never mails anyone.
"""

import datetime as dt
import logging
import random
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict

from admin import ledger
from admin.auth import create_owner, find_owner
from admin.db import db
from admin.forms import InvoiceForm, SignUpForm, first_error, flatten
from admin.models import Owner

STATES = ("draft", "open", "overdue", "paid", "void")
CURRENCIES = {"EUR": 0.55, "USD": 0.2, "GBP": 0.15, "JPY": 0.1}
# Rough value of one unit in EUR, so that amounts look alike across currencies.
EUR_PER_UNIT = {
    "EUR": Decimal(1),
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "JPY": Decimal("0.0062"),
}
DUE_DAYS = 14

CLIENTS = (
    ("UAB Ąžuolas", "lt", "Gedimino pr. 9\nLT-01103 Vilnius"),
    ("MB Šilas ir partneriai", "lt", "Laisvės al. 60\nLT-44240 Kaunas"),
    ("Žvejų kooperatyvas", "lt", "Naujoji Uosto g. 3\nLT-92121 Klaipėda"),
    ("Northwind Traders Ltd", "en", "12 Harbour Street\nBristol BS1 4AA"),
    ("Contoso GmbH", "en", "Friedrichstraße 12\n10117 Berlin"),
    ("Fabrikam Inc.", "en", "500 Market Street\nSan Francisco, CA 94105"),
    ("Kōbō Tanaka", "en", "2-1 Marunouchi, Chiyoda\nTokyo 100-0005"),
    ("Acme Widgets", "en", "1 Main Street\nSpringfield"),
)
WORK = (
    ("Design work, hours", 4, 40, Decimal(60)),
    ("Website maintenance, month", 1, 3, Decimal(150)),
    ("Consulting, day", 1, 5, Decimal(480)),
    ("Hosting, 12 months", 1, 1, Decimal("19.50")),
    ("Copywriting, page", 1, 8, Decimal(45)),
    ("Illustration", 1, 2, Decimal(320)),
)
NOTES = (
    "Thank you for your business!",
    "Ačiū, kad renkatės mus.\n\nKlausimai? Rašykite **el. paštu**.",
    "Payment terms: {days} days. Questions? Reply to this invoice's email.",
    "",
)
# A valid example account; EUR invoices offer it for a bank transfer.
BANK = {"beneficiary": "Demo Studio", "iban": "LT121000011101001000", "bic": ""}


@dataclass
class Planned:
    """One invoice to seed: its dates, state and form values."""

    state: str
    issue_date: dt.date
    paid_on: dt.date | None
    values: dict


def plan(count: int, today: dt.date, rng: random.Random, years: int) -> list[Planned]:
    """Return count invoices in issue order, every state present from 5 on."""
    recent = min(count, max(2, count // 30))
    history = count - recent
    oldest = today - dt.timedelta(days=365 * years)
    span = max((today - dt.timedelta(days=DUE_DAYS + 7) - oldest).days, 1)
    dates = sorted(
        oldest + dt.timedelta(days=rng.randrange(span)) for _ in range(history)
    )
    dates += sorted(
        today - dt.timedelta(days=rng.randrange(DUE_DAYS)) for _ in range(recent)
    )
    states = rng.choices(("paid", "void", "overdue"), (0.9, 0.05, 0.05), k=history)
    drafts = max(1, count // 100)
    states += ["open"] * (recent - drafts) + ["draft"] * drafts
    if history >= 3:
        for index, state in enumerate(("paid", "void", "overdue")):
            if state not in states[:history]:
                states[index] = state
    planned = []
    for issued, state in zip(dates, states, strict=True):
        paid_on = None
        if state == "paid":
            paid_on = min(issued + dt.timedelta(days=rng.randrange(1, 30)), today)
        planned.append(Planned(state, issued, paid_on, _values(issued, rng)))

    return planned


def _values(issued: dt.date, rng: random.Random) -> dict:
    name, language, address = rng.choice(CLIENTS)
    currency = rng.choices(list(CURRENCIES), list(CURRENCIES.values()))[0]
    places = 0 if currency == "JPY" else 2
    lines = []
    for description, low, high, eur_price in rng.sample(WORK, rng.randint(1, 3)):
        price = eur_price / EUR_PER_UNIT[currency]
        lines.append(
            {
                "description": description,
                "quantity": str(rng.randint(low, high)),
                "unit_price": str(round(price, places)),
                "discount_percent": rng.choice(("", "", "", "5", "10")),
                "tax_percent": "21" if language == "lt" else rng.choice(("", "20")),
            }
        )
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())
    payment = {"link": f"https://pay.example/demo/{secrets.token_hex(4)}"}
    if currency == "EUR":
        payment["bank"] = BANK

    return {
        "client": {
            "name": name,
            "email": f"billing@{slug or 'client'}.example",
            "language": language,
            "address": address,
        },
        "currency": currency,
        "issue_date": issued,
        "due_date": issued + dt.timedelta(days=DUE_DAYS),
        "lines": lines,
        "notes": rng.choice(NOTES).format(days=DUE_DAYS),
        "email_client": False,
        "payment": payment,
    }


def build_form(owner: Owner, values: dict) -> InvoiceForm:
    """Check an invoice's values with the admin's form, as the API does."""
    data = dict(ledger.form_data(None, owner))
    data.update(values)
    flat = {key: value for key, value in flatten(data).items() if value != "None"}
    with current_app.test_request_context():
        form = InvoiceForm(formdata=MultiDict(flat), meta={"csrf": False})
        if not form.validate():
            field, message = first_error(form.errors)
            raise click.ClickException(f"A demo invoice is invalid: {field}: {message}")

    return form


def seed_one(owner: Owner, planned: Planned) -> int:
    """Record one planned invoice through the ledger; return its id."""
    invoice = ledger.create_draft(owner, build_form(owner, planned.values))
    if planned.state == "draft":
        return invoice.id
    invoice_id = invoice.id
    ledger.issue(ledger.get_owned(owner, invoice_id, lock=True))
    if planned.state == "paid":
        ledger.mark_paid(
            ledger.get_owned(owner, invoice_id, lock=True), planned.paid_on
        )
    elif planned.state == "void":
        ledger.void(ledger.get_owned(owner, invoice_id, lock=True))
    db.session.expunge_all()  # a long seed would otherwise keep every row

    return invoice_id


class _ContentOnlySite:
    """The app's Site, but publish() only writes content; the build comes later."""

    def __init__(self, site) -> None:
        self._site = site

    def __getattr__(self, name):
        return getattr(self._site, name)

    def publish(self, token: str, retired=()) -> str:
        """Skip the build and upload; the seed rebuilds and syncs at its end."""
        for old in retired:
            self._site.remove(old)

        return self._site.url_for(token)


@contextmanager
def _deferred_publishing():
    extensions = current_app.extensions
    site = extensions["paypages.site"]
    extensions["paypages.site"] = _ContentOnlySite(site)
    try:
        yield site
    finally:
        extensions["paypages.site"] = site


def _owner_for(email: str) -> Owner:
    owner = find_owner(email)
    if owner is not None:
        return owner
    password = secrets.token_urlsafe(12)
    with current_app.test_request_context():
        form = SignUpForm(
            formdata=None,
            data={"email": email, "password": password},
            meta={"csrf": False},
        )
        if not form.validate():
            field, message = first_error(form.errors)
            raise click.ClickException(f"{field}: {message}")
    owner = create_owner(form.email.data, password)
    owner.display_name = "Demo Studio"
    owner.address = "Gedimino pr. 1\nLT-01103 Vilnius"
    db.session.commit()
    click.echo(f"Created the owner {owner.email}; its password, shown only once:")
    click.echo(password)

    return owner


@click.group()
def demo():
    """Demo data for a first look at paypages."""


@demo.command("seed")
@click.option("--owner", "email", required=True, help="The owner's email.")
@click.option(
    "--invoices", "count", type=click.IntRange(1), default=50, show_default=True
)
@click.option("--years", type=click.IntRange(1, 30), default=3, show_default=True)
@click.option("--seed", type=int, default=None, help="Make the same invoices again.")
@click.option(
    "--publish-at-end",
    is_flag=True,
    help="Write each page's content only, then rebuild and sync every page once.",
)
@with_appcontext
def seed(email: str, count: int, years: int, seed: int | None, publish_at_end: bool):
    """Fill an owner's account with realistic invoices in every state."""
    from site_gen import PageError, PublishError

    owner = _owner_for(email)
    owner_id = owner.id
    # Demo data, not secrets: a seeded generator makes the same invoices again.
    rng = random.Random(seed)  # noqa: S311
    planned = plan(count, dt.date.today(), rng, years)
    deferred = _deferred_publishing() if publish_at_end else _nothing()
    bar = click.progressbar(planned, label="Seeding invoices")
    with _quiet_logs(), deferred as site, bar:
        for item in bar:
            seed_one(db.session.get(Owner, owner_id), item)
    if publish_at_end:
        try:
            with click.progressbar(length=len(site.tokens()), label="Building") as bar:
                site.rebuild_all(progress=bar.update)
            site.publish_all()
        except (PageError, PublishError) as exc:
            raise click.ClickException(
                f"{exc} The invoices are recorded; run `paypages rebuild` and "
                "`paypages publish --all` to put their pages online."
            ) from exc
    states = {state: sum(p.state == state for p in planned) for state in STATES}
    summary = ", ".join(f"{n} {state}" for state, n in states.items() if n)
    click.echo(f"Seeded {count} invoices for {email}: {summary}.")


@contextmanager
def _nothing():
    yield None


@contextmanager
def _quiet_logs():
    # A line per invoice would tear the progress bar apart; warnings still show.
    loggers = [logging.getLogger(name) for name in ("admin", "site_gen")]
    levels = [item.level for item in loggers]
    for item in loggers:
        item.setLevel(max(item.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for item, level in zip(loggers, levels, strict=True):
            item.setLevel(level)
