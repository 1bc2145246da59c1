"""What can happen to an invoice, for the admin's pages, the API and the CLI.

Each change is committed first; publishing the page and emailing the client
come after the commit (``after_change``) and a failure there leaves the
change recorded with a visible pending state.
"""

import datetime as dt
import logging
import secrets
from decimal import Decimal

from flask import abort
from sqlalchemy import select, update

from admin import mail, money, publishing
from admin.db import begin_write, db
from admin.forms import InvoiceForm
from admin.models import Invoice, InvoiceCounter, InvoiceLine, Owner, RetiredToken
from admin.web import StateError

logger = logging.getLogger(__name__)

PAYMENT_FIELDS = (
    "pay_link",
    "bank_beneficiary",
    "bank_iban",
    "bank_bic",
    "crypto_network",
    "crypto_address",
)


def new_token() -> str:
    """Return a page token: 128 random bits, unrelated to the invoice."""
    return secrets.token_urlsafe(16)


def get_owned(owner: Owner, invoice_id: int, *, lock: bool = False) -> Invoice:
    """Return the owner's invoice, or answer 404 for anyone else's."""
    if lock:
        begin_write()
    query = select(Invoice).where(
        Invoice.id == invoice_id, Invoice.owner_id == owner.id
    )
    if lock:
        query = query.with_for_update()  # row lock where the database has one
    invoice = db.session.scalar(query.execution_options(populate_existing=True))
    if invoice is None:
        abort(404, "No such invoice.")

    return invoice


def form_data(invoice: Invoice | None, owner: Owner) -> dict:
    """Return the nested values an invoice form starts from."""
    source = invoice or owner
    payment = {
        "link": source.pay_link,
        "bank": {
            "beneficiary": source.bank_beneficiary,
            "iban": source.bank_iban,
            "bic": source.bank_bic,
        },
        "crypto": {"network": source.crypto_network, "address": source.crypto_address},
    }
    if invoice is None:
        today = dt.date.today()
        return {
            "client": {"language": owner.default_language},
            "currency": owner.default_currency,
            "issue_date": today,
            "due_date": today + dt.timedelta(days=14),
            "lines": [{}],
            "email_client": True,
            "payment": payment,
        }

    return {
        "client": {
            "name": invoice.client_name,
            "email": invoice.client_email,
            "language": invoice.client_language,
            "address": invoice.client_address,
        },
        "currency": invoice.currency,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount_percent": _blank_zero(line.discount_percent),
                "tax_percent": _blank_zero(line.tax_percent),
            }
            for line in invoice.lines
        ],
        "notes": invoice.notes,
        "email_client": invoice.email_client,
        "payment": payment,
    }


def _blank_zero(value: Decimal) -> str:
    return "" if value == 0 else str(value)


def apply_form(invoice: Invoice, form: InvoiceForm) -> None:
    """Copy a validated form into a draft, replacing its lines."""
    client = form.client.form
    invoice.client_name = client.name.data
    invoice.client_email = client.email.data or ""
    invoice.client_language = client.language.data
    invoice.client_address = client.address.data or ""
    invoice.currency = form.currency.data
    invoice.issue_date = form.issue_date.data
    invoice.due_date = form.due_date.data
    invoice.notes = form.notes.data or ""
    invoice.email_client = bool(form.email_client.data)
    payment = form.payment.form
    bank, crypto = payment.bank.form, payment.crypto.form
    invoice.pay_link = payment.link.data or ""
    invoice.bank_beneficiary = bank.beneficiary.data or ""
    invoice.bank_iban = bank.iban.data or ""
    invoice.bank_bic = bank.bic.data or ""
    invoice.crypto_network = crypto.network.data or ""
    invoice.crypto_address = crypto.address.data or ""
    invoice.lines = [
        InvoiceLine(
            position=position,
            description=line.description.data,
            quantity=line.quantity.decimal,
            unit_price=line.unit_price.decimal,
            discount_percent=line.discount_percent.decimal or Decimal(0),
            tax_percent=line.tax_percent.decimal or Decimal(0),
        )
        for position, line in enumerate(form.filled_lines())
    ]
    _compute_totals(invoice)


def _compute_totals(invoice: Invoice) -> None:
    amounts = line_amounts(invoice)
    totals = money.sum_lines(amounts, invoice.currency)
    invoice.net_minor = money.to_minor(totals.net, invoice.currency)
    invoice.tax_minor = money.to_minor(totals.tax, invoice.currency)
    invoice.total_minor = money.to_minor(totals.total, invoice.currency)


def line_amounts(invoice: Invoice) -> list[money.LineAmounts]:
    """Return each line's net, tax and total, rounded as shown."""
    return [
        money.line_amounts(
            line.quantity,
            line.unit_price,
            line.discount_percent,
            line.tax_percent,
            invoice.currency,
        )
        for line in invoice.lines
    ]


def create_draft(owner: Owner, form: InvoiceForm) -> Invoice:
    """Record a new draft from a validated form."""
    invoice = Invoice(owner=owner, status="draft")
    apply_form(invoice, form)
    db.session.add(invoice)
    db.session.commit()
    logger.info("Owner %s created draft %s.", owner.id, invoice.id)

    return invoice


def update_draft(invoice: Invoice, form: InvoiceForm) -> None:
    """Change a draft; issued invoices are locked."""
    _require(invoice, "draft", "Only a draft can be edited; void it and start anew.")
    apply_form(invoice, form)
    db.session.commit()


def delete_draft(invoice: Invoice) -> None:
    """Delete a draft; issued invoices are kept for the record."""
    _require(invoice, "draft", "Only a draft can be deleted; void it instead.")
    db.session.delete(invoice)
    db.session.commit()


def copy_as_draft(invoice: Invoice) -> Invoice:
    """Start a new draft from an invoice, e.g. to correct a voided one."""
    copy = Invoice(owner_id=invoice.owner_id, status="draft")
    for column in COPIED_COLUMNS:
        setattr(copy, column, getattr(invoice, column))
    copy.lines = [
        InvoiceLine(
            position=line.position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_percent=line.tax_percent,
        )
        for line in invoice.lines
    ]
    db.session.add(copy)
    db.session.commit()

    return copy


COPIED_COLUMNS = frozenset(
    (
        "client_name",
        "client_email",
        "client_language",
        "client_address",
        "currency",
        "issue_date",
        "due_date",
        "notes",
        "email_client",
        "net_minor",
        "tax_minor",
        "total_minor",
        *PAYMENT_FIELDS,
    )
)


def issue(invoice: Invoice) -> None:
    """Give a locked draft its number and token, queue its mail, then publish.

    The caller fetched the invoice with ``lock=True``, so the counter's
    increment and the number are part of one write transaction.
    """
    _require(invoice, "draft", "This invoice was issued already.")
    invoice.number = _next_number(invoice.owner_id, invoice.issue_date.year)
    invoice.token = new_token()
    invoice.status = "open"
    invoice.issued_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    invoice.publish_state = "pending"
    invoice.publish_error = "Not published yet."
    _compute_totals(invoice)
    mail.queue_issue_mail(invoice)
    db.session.commit()
    logger.info("Owner %s issued invoice %s.", invoice.owner_id, invoice.id)
    after_change(invoice)


def _next_number(owner_id: int, year: int) -> str:
    bumped = db.session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.owner_id == owner_id, InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + 1)
        .returning(InvoiceCounter.last)
    ).scalar()
    if bumped is None:
        db.session.add(InvoiceCounter(owner_id=owner_id, year=year, last=1))
        db.session.flush()
        bumped = 1

    return f"INV-{year}-{bumped:04d}"


def mark_paid(invoice: Invoice, paid_on: dt.date) -> None:
    """Record the payment of an open invoice and republish its page."""
    _require(invoice, "open", "Only an open invoice can be marked paid.")
    if paid_on < invoice.issue_date:
        raise ValueError("The payment date is before the issue date.")
    if paid_on > dt.date.today() + dt.timedelta(days=1):  # a day for time zones
        raise ValueError("The payment date is in the future.")
    invoice.status = "paid"
    invoice.paid_on = paid_on
    _mark_unpublished(invoice)
    db.session.commit()
    after_change(invoice)


def void(invoice: Invoice) -> None:
    """Void an open invoice for good; its page then says not to pay."""
    _require(invoice, "open", "Only an open invoice can be voided.")
    invoice.status = "void"
    invoice.voided_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for row in invoice.mails:
        if row.state == "pending":
            row.state, row.reason, row.counts_on = (
                "held",
                "the invoice was voided",
                None,
            )
    _mark_unpublished(invoice)
    db.session.commit()
    after_change(invoice)


def rotate(invoice: Invoice) -> None:
    """Give an issued invoice a new link; the old one stops working."""
    if invoice.status == "draft" or invoice.token is None:
        raise StateError("A draft has no link yet; issue it first.")
    invoice.retired_tokens.append(RetiredToken(token=invoice.token))
    invoice.token = new_token()
    _mark_unpublished(invoice)
    db.session.commit()
    after_change(invoice)


def _mark_unpublished(invoice: Invoice) -> None:
    invoice.publish_state = "pending"
    invoice.publish_error = "Not published yet."


def after_change(invoice: Invoice) -> None:
    """Publish the page, then send the mail that waits for it."""
    if publishing.publish(invoice):
        mail.deliver(invoice)


def _require(invoice: Invoice, status: str, message: str) -> None:
    if invoice.status != status:
        raise StateError(message)


def amount_due(invoice: Invoice) -> Decimal:
    """Return what the client still owes."""
    if invoice.status in ("paid", "void"):
        return money.from_minor(0, invoice.currency)
    return money.from_minor(invoice.total_minor, invoice.currency)


def to_json(invoice: Invoice) -> dict:
    """Return the invoice as the API shows it."""
    currency = invoice.currency
    latest_mail = invoice.mails[-1] if invoice.mails else None
    amounts = line_amounts(invoice)

    return {
        "id": invoice.id,
        "number": invoice.number,
        "status": invoice.status,
        "overdue": invoice.is_overdue(),
        "currency": currency,
        "client": {
            "name": invoice.client_name,
            "email": invoice.client_email or None,
            "language": invoice.client_language,
            "address": invoice.client_address or None,
        },
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "tax_percent": str(line.tax_percent),
                "net": str(amount.net),
                "tax": str(amount.tax),
                "total": str(amount.total),
            }
            for line, amount in zip(invoice.lines, amounts, strict=True)
        ],
        "notes": invoice.notes,
        "email_client": invoice.email_client,
        "payment": payment_json(invoice),
        "totals": {
            "net": str(money.from_minor(invoice.net_minor, currency)),
            "tax": str(money.from_minor(invoice.tax_minor, currency)),
            "total": str(money.from_minor(invoice.total_minor, currency)),
            "due": str(amount_due(invoice)),
        },
        "url": publishing.share_url(invoice),
        "publish": {
            "state": invoice.publish_state,
            "error": invoice.publish_error or None,
        },
        "email": {
            "state": latest_mail.state if latest_mail else None,
            "reason": latest_mail.reason or None if latest_mail else None,
            "description": mail.describe(latest_mail) if latest_mail else None,
        },
    }


def payment_json(source) -> dict:
    """Return the payment options of an invoice or a profile."""
    bank = None
    if source.bank_iban:
        bank = {
            "beneficiary": source.bank_beneficiary,
            "iban": source.bank_iban,
            "bic": source.bank_bic or None,
        }
    crypto = None
    if source.crypto_address:
        crypto = {"network": source.crypto_network, "address": source.crypto_address}

    return {"link": source.pay_link or None, "bank": bank, "crypto": crypto}


def first_form_error(form) -> str:
    """Return the first error message of a form."""
    from admin.forms import first_error

    return first_error(form.errors)[1]
