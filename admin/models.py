"""The record: owners, invoices and their lines, API tokens, outboxes."""

import datetime as dt
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin.db import db


def utcnow() -> dt.datetime:
    """Return the current time in UTC, without tzinfo, as stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class DecimalText(TypeDecorator):
    """A Decimal stored as its exact text, so no database rounds it."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class Owner(UserMixin, db.Model):
    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    validated: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of the session's id: raising it signs out every copy of a session.
    session_version: Mapped[int] = mapped_column(Integer, default=0)

    display_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    tax_id: Mapped[str] = mapped_column(String(64), default="")
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    default_currency: Mapped[str] = mapped_column(String(3), default="EUR")
    default_language: Mapped[str] = mapped_column(String(16), default="en")
    pay_link: Mapped[str] = mapped_column(String(2000), default="")
    bank_beneficiary: Mapped[str] = mapped_column(String(70), default="")
    bank_iban: Mapped[str] = mapped_column(String(34), default="")
    bank_bic: Mapped[str] = mapped_column(String(11), default="")
    crypto_network: Mapped[str] = mapped_column(String(16), default="")
    crypto_address: Mapped[str] = mapped_column(String(128), default="")

    invoices: Mapped[list["Invoice"]] = relationship(back_populates="owner")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        # Suspension takes away automatic email, not the account itself.
        return True

    @property
    def seller_name(self) -> str:
        return self.display_name or self.email


class InvoiceCounter(db.Model):
    """The last number issued per owner and year; gap-free by transaction."""

    __tablename__ = "invoice_counters"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("owner_id", "number"),
        UniqueConstraint("token"),
        # The dashboard's counts per status and totals per currency (0003).
        Index("ix_invoices_owner_status", "owner_id", "status"),
        Index(
            "ix_invoices_owner_totals",
            "owner_id",
            "currency",
            "status",
            "due_date",
            "total_minor",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8), default="draft", index=True)
    number: Mapped[str | None] = mapped_column(String(32))
    token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    client_name: Mapped[str] = mapped_column(String(200))
    client_email: Mapped[str] = mapped_column(String(254), default="")
    client_language: Mapped[str] = mapped_column(String(16), default="en")
    client_address: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    email_client: Mapped[bool] = mapped_column(Boolean, default=True)

    pay_link: Mapped[str] = mapped_column(String(2000), default="")
    bank_beneficiary: Mapped[str] = mapped_column(String(70), default="")
    bank_iban: Mapped[str] = mapped_column(String(34), default="")
    bank_bic: Mapped[str] = mapped_column(String(11), default="")
    crypto_network: Mapped[str] = mapped_column(String(16), default="")
    crypto_address: Mapped[str] = mapped_column(String(128), default="")

    # Totals in the currency's minor units, the sums of the rounded lines.
    net_minor: Mapped[int] = mapped_column(Integer, default=0)
    tax_minor: Mapped[int] = mapped_column(Integer, default=0)
    total_minor: Mapped[int] = mapped_column(Integer, default=0)

    # Publishing happens after the commit; "pending" carries the reason.
    publish_state: Mapped[str] = mapped_column(String(12), default="none")
    publish_error: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    owner: Mapped[Owner] = relationship(back_populates="invoices")
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice",
        order_by="InvoiceLine.position",
        cascade="all, delete-orphan",
    )
    retired_tokens: Mapped[list["RetiredToken"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan"
    )
    mails: Mapped[list["MailOutbox"]] = relationship(
        back_populates="invoice",
        order_by="MailOutbox.id",
        cascade="all, delete-orphan",
    )

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Tell whether an open invoice is past its due date."""
        today = today or dt.date.today()
        return self.status == "open" and self.due_date < today

    @property
    def display_status(self) -> str:
        return "overdue" if self.is_overdue() else self.status


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    unit_price: Mapped[Decimal] = mapped_column(DecimalText)
    discount_percent: Mapped[Decimal] = mapped_column(DecimalText)
    tax_percent: Mapped[Decimal] = mapped_column(DecimalText)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class RetiredToken(db.Model):
    """A rotated link whose published page is still to be deleted."""

    __tablename__ = "retired_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64))

    invoice: Mapped[Invoice] = relationship(back_populates="retired_tokens")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    owner: Mapped[Owner] = relationship()


class MailOutbox(db.Model):
    """One client email: queued with the change, sent once the page is live.

    ``state`` is "held" (never to be sent; ``reason`` says why), "pending"
    (to be sent; ``reason`` holds the last failure), "sending" (claimed by a
    sender) or "sent".
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8), default="issue")
    state: Mapped[str] = mapped_column(String(8), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    counts_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivered_to: Mapped[str] = mapped_column(String(20), default="")

    invoice: Mapped[Invoice] = relationship(back_populates="mails")
