"""From the record to the published page, through site_gen."""

import datetime as dt
import logging
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from admin import money
from admin.db import begin_write, db
from admin.models import Invoice
from site_gen import PageError, PublishError, Site

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Make the publish target from settings; a wrong setting fails here."""
    config = app.config
    try:
        site = Site(
            content_dir=Path(config["CONTENT_DIR"]),
            output_dir=Path(config["OUTPUT_DIR"]),
            publish_url=config["PUBLISH_URL"],
            public_base_url=config["PUBLIC_BASE_URL"],
            manifest_path=Path(app.instance_path) / "manifest.sqlite",
            s3_endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        )
    except ValueError as exc:
        from admin import ConfigError

        raise ConfigError(str(exc)) from exc
    app.extensions["paypages.site"] = site


def site() -> Site:
    """Return the app's publish pipeline."""
    return current_app.extensions["paypages.site"]


def share_url(invoice: Invoice) -> str | None:
    """Return the link to give the client, once the page has been published."""
    if invoice.token is None or invoice.published_at is None:
        return None
    if invoice.publish_state != "published" and invoice.retired_tokens:
        return None  # the new link is not live yet
    return site().url_for(invoice.token)


def page_for(invoice: Invoice) -> dict:
    """Return everything the invoice's page shows, as site_gen expects it."""
    from admin.ledger import amount_due, line_amounts, payment_json

    owner, currency = invoice.owner, invoice.currency

    def text(amount) -> str:
        return str(money.round_money(amount, currency))

    return {
        "token": invoice.token,
        "language": invoice.client_language,
        "status": invoice.status,
        "number": invoice.number,
        "currency": currency,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "seller": {
            "name": owner.seller_name,
            "address": owner.address,
            "tax_id": owner.tax_id,
            "email": owner.reply_to or owner.email,
        },
        "client": {"name": invoice.client_name, "address": invoice.client_address},
        "lines": [
            {
                "description": line.description,
                "quantity": money.plain(line.quantity),
                "unit_price": text(line.unit_price),
                "discount_percent": money.plain(line.discount_percent),
                "tax_percent": money.plain(line.tax_percent),
                "net": text(amount.net),
                "tax": text(amount.tax),
                "total": text(amount.total),
            }
            for line, amount in zip(invoice.lines, line_amounts(invoice), strict=True)
        ],
        "totals": {
            "net": str(money.from_minor(invoice.net_minor, currency)),
            "tax": str(money.from_minor(invoice.tax_minor, currency)),
            "total": str(money.from_minor(invoice.total_minor, currency)),
            "due": str(amount_due(invoice)),
        },
        "payment": payment_json(invoice),
        "notes": invoice.notes,
    }


# A change made while a page is being published makes the page stale; it is
# then published again, a few times at most.
PUBLISH_ATTEMPTS = 3


def publish(invoice: Invoice) -> bool:
    """Write, build and upload the invoice's page; on failure mark it pending.

    No transaction is open while the page is built and uploaded, so a slow
    bucket never holds the database's write lock. Whoever finishes last
    checks that the page it published still matches the record, so two
    changes racing each other cannot leave an outdated page live.
    """
    if invoice.status == "draft" or invoice.token is None:
        return False
    for _ in range(PUBLISH_ATTEMPTS):
        page = page_for(invoice)
        retired = [row.token for row in invoice.retired_tokens]
        db.session.commit()
        try:
            pipeline = site()
            pipeline.write(page)
            pipeline.publish(page["token"], retired=retired)
        except (PublishError, PageError, OSError) as exc:
            reason = _reason(exc)
            # The exception may name a path, and a path holds the page's token.
            logger.warning("Publishing invoice %s failed: %s", invoice.id, reason)
            logger.debug("Publishing invoice %s failed", invoice.id, exc_info=exc)
            _record_failure(invoice, page, reason)
            return False
        if _record_success(invoice, page, retired):
            logger.info("Published invoice %s.", invoice.id)
            return True
        logger.info(
            "Invoice %s changed while publishing; publishing again.", invoice.id
        )

    return False


def _current(invoice: Invoice, page: dict) -> bool:
    begin_write()
    db.session.expire_all()
    return page_for(invoice) == page


def _record_success(invoice: Invoice, page: dict, retired: list[str]) -> bool:
    if not _current(invoice, page):
        db.session.commit()
        return False
    invoice.publish_state = "published"
    invoice.publish_error = ""
    invoice.published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for row in list(invoice.retired_tokens):
        if row.token in retired:
            invoice.retired_tokens.remove(row)
    db.session.commit()

    return True


def _record_failure(invoice: Invoice, page: dict, reason: str) -> None:
    begin_write()
    db.session.expire_all()
    if invoice.token == page["token"]:
        invoice.publish_state = "pending"
        invoice.publish_error = reason
    db.session.commit()


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"Could not write the page: {exc.strerror or exc}."[:500]
    return str(exc)[:500] or exc.__class__.__name__


def publish_pending() -> tuple[int, int]:
    """Retry every invoice whose page is not live: (published, still pending)."""
    from admin import mail

    ids = db.session.scalars(
        select(Invoice.id).where(Invoice.publish_state == "pending")
    ).all()
    done = 0
    for invoice_id in ids:
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is not None and publish(invoice):
            mail.deliver(invoice)
            done += 1

    return done, len(ids) - done
