"""Client email: queued with the change, sent once the page is live.

Emailing a client is a privilege of validated accounts (see ``standing``).
Every issue adds one outbox row in the transaction that issues the invoice:
"held" with the reason when the mail is not to be sent, or "pending" with a
reservation against the owner's daily cap. Once the page is published a
sender claims each pending row (pending -> sending, checked by rowcount),
so a retry or a second click never sends a message twice.

``SMTP_URL`` chooses the transport:

- ``smtps://user:pass@host:465`` speaks TLS from the first byte.
- ``smtp://user:pass@host:587`` upgrades with STARTTLS. STARTTLS is
  required on port 587 and whenever the URL carries a login, so a password
  never crosses the network in clear; otherwise (a local relay without a
  login) it is used when the server offers it.
- Unset, each message is saved to the Maildir ``MAILDIR`` and not sent.

User and password are percent-decoded; certificates are verified against
the system's trust store; the server gets ``TIMEOUT`` seconds to answer.
"""

import datetime as dt
import html
import logging
import mailbox
import smtplib
import socket
import ssl
import urllib.parse
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import click
from babel.dates import format_date
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, update

from admin import ConfigError, money
from admin.db import begin_write, db
from admin.i18n import DEFAULT_LANGUAGE
from admin.models import Invoice, MailOutbox, Owner, utcnow

logger = logging.getLogger(__name__)

TIMEOUT = 10
RESEND_PAUSE = dt.timedelta(seconds=60)

HELD, PENDING, SENDING, SENT = "held", "pending", "sending", "sent"
COUNTED = (PENDING, SENDING, SENT)

# Why a mail is held: short phrases, shown after "Not emailed: ".
NOT_VALIDATED = "your account is not validated yet"
SUSPENDED = "automatic email is suspended for your account"
OVER_CAP = "your account reached today's email limit"
NO_CLIENT_EMAIL = "the invoice has no client email address"
OPTED_OUT = "you chose not to email the client"
NOT_OPEN = "the invoice was no longer open when its page went live"
BAD_ADDRESS = "the client email address cannot be used in a message"
SHARE_BY_HAND = {
    NOT_VALIDATED,
    SUSPENDED,
    OVER_CAP,
    NO_CLIENT_EMAIL,
    OPTED_OUT,
    BAD_ADDRESS,
}

TEXTS = {
    "en": {
        "subject": "Invoice {number} from {seller}",
        "greeting": "Hello {client},",
        "intro": "{seller} has sent you invoice {number}.",
        "amount": "Amount due: {amount}",
        "due": "Due date: {due}",
        "action": "View and pay the invoice here:",
        "reply": "Questions about this invoice? Reply to this email.",
    },
    "lt": {
        "subject": "Sąskaita {number} – {seller}",
        "greeting": "Laba diena,",
        "intro": "{seller} išrašė Jums sąskaitą {number}.",
        "amount": "Mokėtina suma: {amount}",
        "due": "Apmokėti iki: {due}",
        "action": "Sąskaitą peržiūrėti ir apmokėti galite čia:",
        "reply": "Kilus klausimų dėl sąskaitos, atsakykite į šį laišką.",
    },
}


class MailError(RuntimeError):
    """A message could not be handed over; the message says why, no secrets."""


class MailNotAllowed(ValueError):
    """The account may not email this client now; the message says why."""


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to hand messages over, parsed from ``SMTP_URL``."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def starttls_required(self) -> bool:
        return self.scheme == "smtp" and (self.port == 587 or bool(self.username))


@dataclass(frozen=True)
class Standing:
    """Where an owner stands with automatic email."""

    paid: int
    threshold: int
    validated: bool
    by_operator: bool
    suspended: bool
    sent_today: int
    cap: int
    summary: str

    @property
    def may_send(self) -> bool:
        return self.validated and self.sent_today < self.cap


def init_app(app: Flask) -> None:
    """Check the mail settings, so a wrong one stops the admin at start-up."""
    target = parse_smtp_url(app.config.get("SMTP_URL"))
    sender_address(app.config.get("MAIL_FROM"))
    if target is None:
        logger.debug("No SMTP_URL: client mail is saved to %r.", app.config["MAILDIR"])
    else:
        logger.debug("Client mail goes to the SMTP server %r.", target.where)


def parse_smtp_url(url: str | None) -> SmtpTarget | None:
    """Return the SMTP server named by ``url``, or None when there is none."""
    if not url:
        return None
    hint = "e.g. smtp://user:pass@host:587 or smtps://user:pass@host:465"
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError(
            f"PAYPAGES_SMTP_URL must start with smtp:// or smtps:// ({hint})."
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"PAYPAGES_SMTP_URL has a bad port ({hint}).") from exc
    if not parts.hostname:
        raise ConfigError(f"PAYPAGES_SMTP_URL names no host ({hint}).")
    username = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    if bool(username) != bool(password):
        raise ConfigError(
            "PAYPAGES_SMTP_URL needs both a user and a password, or neither; "
            "percent-encode '@', ':' and '/' in them."
        )

    return SmtpTarget(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 587),
        username=username,
        password=password,
    )


def sender_address(value: str | None) -> Address:
    """Return ``MAIL_FROM`` as one address, or say how to fix it."""
    try:
        header = policy.default.header_factory("From", str(value or ""))
        addresses = header.addresses
    except (ValueError, IndexError) as exc:
        raise ConfigError(_bad_sender(value)) from exc
    if len(addresses) != 1 or "@" not in addresses[0].addr_spec:
        raise ConfigError(_bad_sender(value))

    return addresses[0]


def _bad_sender(value: str | None) -> str:
    return (
        f"PAYPAGES_MAIL_FROM {value!r} is not one email address; set it to "
        "e.g. 'Invoices <invoices@example.com>'."
    )


def today() -> dt.date:
    """Return today's date in UTC, the day a daily cap counts."""
    return dt.datetime.now(dt.UTC).date()


def standing(owner: Owner) -> Standing:
    """Return where the owner stands with automatic email."""
    config = current_app.config
    threshold = int(config["VALIDATION_PAID_INVOICES"])
    cap = int(config["EMAIL_DAILY_CAP"])
    paid = db.session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(Invoice.owner_id == owner.id, Invoice.status == "paid")
    )
    sent_today = db.session.scalar(
        select(func.count())
        .select_from(MailOutbox)
        .where(
            MailOutbox.owner_id == owner.id,
            MailOutbox.counts_on == today(),
            MailOutbox.state.in_(COUNTED),
        )
    )
    by_operator, suspended = bool(owner.validated), bool(owner.suspended)
    validated = (by_operator or paid >= threshold) and not suspended
    facts = {
        "paid": paid,
        "threshold": threshold,
        "validated": validated,
        "by_operator": by_operator,
        "suspended": suspended,
        "sent_today": sent_today,
        "cap": cap,
    }

    return Standing(**facts, summary=_summary(**facts))


def _summary(*, paid, threshold, validated, by_operator, suspended, sent_today, cap):
    if suspended:
        return (
            "Automatic email is suspended for your account: share each "
            "invoice's link by hand."
        )
    if not validated:
        return (
            f"{paid} of {threshold} paid invoices — automatic email unlocks "
            f"at {threshold}."
        )
    why = "Validated by an operator" if by_operator else f"{paid} paid invoices"
    if sent_today >= cap:
        return (
            f"{why}: today's limit of {cap} emails is reached; share links "
            "by hand until tomorrow (UTC)."
        )

    return f"{why}: clients are emailed automatically ({sent_today} of {cap} today)."


def queue_issue_mail(invoice: Invoice) -> MailOutbox:
    """Add the issue's mail to the caller's write transaction, pending or held.

    Call it after ``begin_write()`` and before the commit: the cap is counted
    and reserved under the same lock, so two issues cannot both pass it.
    """
    for row in invoice.mails:
        if row.kind == "issue" and row.state != HELD:
            logger.debug("Invoice %s already has its issue mail.", invoice.id)
            return row
    owner = _lock_owner(invoice)
    reason = _hold_reason(invoice, standing(owner), explicit=False)

    return _add_row(invoice, "issue", reason)


def queue_resend(invoice: Invoice) -> MailOutbox:
    """Add a pending mail with the link again, or raise ``MailNotAllowed``.

    Call it after ``begin_write()`` and before the commit, like
    ``queue_issue_mail``; the mail counts against the daily cap.
    """
    if invoice.status != "open":
        raise MailNotAllowed("Only an open invoice's link can be emailed.")
    owner = _lock_owner(invoice)
    reason = _hold_reason(invoice, standing(owner), explicit=True)
    if reason:
        raise MailNotAllowed(f"{reason[0].upper()}{reason[1:]}.")
    for row in invoice.mails:
        if row.state in (PENDING, SENDING):
            raise MailNotAllowed(
                "An email with this link is waiting to be sent; retry it instead."
            )
        if row.state == SENT and row.sent_at and utcnow() - row.sent_at < RESEND_PAUSE:
            raise MailNotAllowed("The link was emailed less than a minute ago.")

    return _add_row(invoice, "resend", None)


def _lock_owner(invoice: Invoice) -> Owner:
    # SQLite's write lock is taken by begin_write; other databases lock the
    # owner's row here, so concurrent reservations of one cap queue up.
    return db.session.scalars(
        select(Owner).where(Owner.id == invoice.owner_id).with_for_update()
    ).one()


def _hold_reason(invoice: Invoice, where: Standing, *, explicit: bool) -> str | None:
    if where.suspended:
        return SUSPENDED
    if not where.validated:
        return NOT_VALIDATED
    if not explicit and not invoice.email_client:
        return OPTED_OUT
    if not invoice.client_email:
        return NO_CLIENT_EMAIL
    if where.sent_today >= where.cap:
        return OVER_CAP

    return None


def _add_row(invoice: Invoice, kind: str, reason: str | None) -> MailOutbox:
    row = MailOutbox(
        invoice=invoice,
        owner_id=invoice.owner_id,
        kind=kind,
        state=HELD if reason else PENDING,
        reason=reason or "",
        counts_on=None if reason else today(),
    )
    db.session.add(row)
    db.session.flush()
    logger.info(
        "Queued %s mail %s for invoice %s: %s.",
        kind,
        row.id,
        invoice.id,
        f"held, {reason}" if reason else "pending",
    )

    return row


def deliver(invoice: Invoice) -> None:
    """Send the invoice's pending mails if its page is live; commit each step."""
    if invoice.publish_state != "published":
        db.session.commit()
        return
    ids = db.session.scalars(
        select(MailOutbox.id)
        .where(MailOutbox.invoice_id == invoice.id, MailOutbox.state == PENDING)
        .order_by(MailOutbox.id)
    ).all()
    db.session.commit()
    if not ids:
        return
    with Postman.from_config(current_app.config) as postman:
        for row_id in ids:
            _deliver_one(row_id, postman)


def deliver_pending() -> tuple[int, int]:
    """Send every pending mail whose page is live: (sent, still pending)."""
    ids = db.session.scalars(
        select(MailOutbox.id)
        .join(Invoice, MailOutbox.invoice_id == Invoice.id)
        .where(MailOutbox.state == PENDING, Invoice.publish_state == "published")
        .order_by(MailOutbox.id)
    ).all()
    db.session.commit()
    sent = 0
    if ids:
        with Postman.from_config(current_app.config) as postman:
            sent = sum(_deliver_one(row_id, postman) for row_id in ids)
    still = db.session.scalar(
        select(func.count()).select_from(MailOutbox).where(MailOutbox.state == PENDING)
    )
    db.session.commit()

    return sent, still


def _deliver_one(row_id: int, postman: "Postman") -> bool:
    begin_write()
    live = select(Invoice.id).where(Invoice.publish_state == "published")
    claimed = db.session.execute(
        update(MailOutbox)
        .where(
            MailOutbox.id == row_id,
            MailOutbox.state == PENDING,
            MailOutbox.invoice_id.in_(live),
        )
        .values(state=SENDING)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return False
    row = db.session.get(MailOutbox, row_id, populate_existing=True)
    invoice = row.invoice
    try:
        message, recipient = _message_for(invoice)
    except MailNotAllowed as exc:
        _hold(row, str(exc))
        return False
    except MailError as exc:
        row.state, row.reason = PENDING, str(exc)
        db.session.commit()
        return False
    db.session.commit()
    try:
        delivered_to = postman.send(message, recipient)
    except MailError as exc:
        _finish(row_id, state=PENDING, reason=str(exc)[:500])
        logger.warning("Mail %s stays pending: %s", row_id, exc)
        return False
    _finish(row_id, state=SENT, reason="", sent_at=utcnow(), delivered_to=delivered_to)
    logger.info(
        "Delivered mail %s for invoice %s (%s).", row_id, row.invoice_id, delivered_to
    )

    return True


def _message_for(invoice: Invoice) -> tuple[EmailMessage, str]:
    from admin.publishing import share_url

    if invoice.status != "open":
        raise MailNotAllowed(NOT_OPEN)
    if invoice.owner.suspended:
        raise MailNotAllowed(SUSPENDED)
    link = share_url(invoice)
    if not link:
        raise MailError("the page has no link yet; publish it first")
    sender = sender_address(current_app.config.get("MAIL_FROM"))
    try:
        message = compose(invoice, link, sender)
    except ValueError as exc:
        raise MailNotAllowed(BAD_ADDRESS) from exc

    return message, invoice.client_email


def _hold(row: MailOutbox, reason: str) -> None:
    row.state, row.reason, row.counts_on = HELD, reason, None
    db.session.commit()
    logger.info("Held mail %s: %s.", row.id, reason)


def _finish(row_id: int, **values) -> None:
    begin_write()
    db.session.execute(
        update(MailOutbox)
        .where(MailOutbox.id == row_id, MailOutbox.state == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def compose(invoice, link: str, sender: Address) -> EmailMessage:
    """Build the client's message: plain text, an HTML twin, the link only."""
    language = _language(invoice.client_language)
    texts = TEXTS[language]
    owner = invoice.owner
    seller = _one_line(owner.seller_name)
    values = {
        "seller": seller,
        "client": _one_line(invoice.client_name),
        "number": _one_line(invoice.number or ""),
        "amount": money.format_money(
            money.from_minor(invoice.total_minor, invoice.currency),
            invoice.currency,
            language,
        ),
        "due": format_date(invoice.due_date, format="long", locale=language),
    }
    paragraphs = [
        [texts["greeting"].format(**values)],
        [texts["intro"].format(**values)],
        [texts["amount"].format(**values), texts["due"].format(**values)],
        [texts["action"], link],
        [texts["reply"]],
    ]
    message = EmailMessage(policy=policy.default)
    message["Subject"] = _one_line(texts["subject"].format(**values))
    message["From"] = sender
    message["Reply-To"] = Address(
        _one_line(owner.display_name), addr_spec=owner.reply_to or owner.email
    )
    message["To"] = Address(values["client"], addr_spec=invoice.client_email)
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # Quoted-printable keeps the message 7-bit clean for any relay.
    text = "\n\n".join("\n".join(lines) for lines in paragraphs) + "\n"
    message.set_content(text, cte="quoted-printable")
    page = _html(paragraphs, link, message["Subject"], language)
    message.add_alternative(page, subtype="html", cte="quoted-printable")
    message["Content-Language"] = language
    _check_headers(message)

    return message


def _html(paragraphs: list[list[str]], link: str, subject: str, language: str):
    def line(text: str) -> str:
        if text == link:
            href = html.escape(link, quote=True)
            return f'<a href="{href}">{html.escape(link)}</a>'
        return html.escape(text)

    body = "\n".join(
        "<p>" + "<br>\n".join(line(text) for text in lines) + "</p>"
        for lines in paragraphs
    )

    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n'
        f'<meta charset="utf-8">\n<title>{html.escape(subject)}</title>\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _language(code: str | None) -> str:
    base = (code or "").replace("_", "-").split("-")[0].lower()
    return base if base in TEXTS else DEFAULT_LANGUAGE


def _one_line(text: str) -> str:
    # A line break in a display name would fold into a new header on Python
    # versions without the fix for CVE-2024-6923, and so would an RFC 2047
    # encoded word ("=?utf-8?q?=0D=0A...?=") once the header parser decodes
    # it: a word joiner keeps "=?" from starting one, and the name reads as
    # typed.
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat.replace("=?", "=\u2060?")


def _check_headers(message: EmailMessage) -> None:
    for name, value in message.items():
        if "\r" in str(value) or "\n" in str(value):
            raise ValueError(f"the {name} header would hold a line break")


class Postman:
    """Hand messages to the SMTP server, or save them to the Maildir."""

    def __init__(self, target: SmtpTarget | None, maildir: str, sender: Address):
        self.target = target
        self.maildir = maildir
        self.sender = sender
        self._smtp: smtplib.SMTP | None = None
        self._broken: str | None = None

    @classmethod
    def from_config(cls, config) -> "Postman":
        """Return the postman the app's settings describe."""
        return cls(
            parse_smtp_url(config.get("SMTP_URL")),
            config["MAILDIR"],
            sender_address(config.get("MAIL_FROM")),
        )

    def __enter__(self) -> "Postman":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, message: EmailMessage, recipient: str) -> str:
        """Hand one message over; return "smtp" or "maildir", or raise MailError."""
        if self.target is None:
            return self._save(message)
        smtp = self._connection()
        try:
            smtp.send_message(
                message, from_addr=self.sender.addr_spec, to_addrs=[recipient]
            )
        except MessageError as exc:
            raise MailError(f"the message could not be written ({exc})") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise MailError(_failure(exc, self.target)) from None
        logger.debug("Handed mail for %r to %r.", recipient, self.target.where)

        return "smtp"

    def close(self) -> None:
        """Say goodbye to the SMTP server, if connected."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _save(self, message: EmailMessage) -> str:
        try:
            mailbox.Maildir(self.maildir, create=True).add(message)
        except MessageError as exc:
            raise MailError(f"the message could not be written ({exc})") from None
        except OSError as exc:
            logger.warning("Could not save mail to %r: %s", self.maildir, exc)
            raise MailError(
                f"the local Maildir could not be written ({exc.strerror or exc})"
            ) from None

        return "maildir"

    def _connection(self) -> smtplib.SMTP:
        if self._broken:
            raise MailError(self._broken)
        if self._smtp is None:
            try:
                self._smtp = _connect(self.target)
            except (smtplib.SMTPException, OSError) as exc:
                self._broken = _failure(exc, self.target)
                raise MailError(self._broken) from None
            except MailError as exc:
                self._broken = str(exc)
                raise

        return self._smtp


def tls_context() -> ssl.SSLContext:
    """Return the TLS settings for the mail server: verified certificates."""
    return ssl.create_default_context()


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    if target.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(
            target.host, target.port, timeout=TIMEOUT, context=tls_context()
        )
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if target.scheme == "smtp" and smtp.has_extn("starttls"):
            smtp.starttls(context=tls_context())
            smtp.ehlo()
        elif target.starttls_required:
            raise MailError(
                f"the mail server {target.where} does not offer STARTTLS, "
                "so the login was not sent; use smtps:// or a server with TLS"
            )
        if target.username:
            smtp.login(target.username, target.password)
    except BaseException:
        smtp.close()
        raise

    return smtp


def _failure(exc: BaseException, target: SmtpTarget) -> str:
    # Only codes and names: the server's own text may echo the addresses.
    server = f"the mail server {target.where}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{server} refused the login ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"{server} refused the client's address ({', '.join(map(str, codes))})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{server} refused the sender MAIL_FROM ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{server} answered {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{server} closed the connection"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{server} lacks a feature the message needs ({str(exc).rstrip('.')})"
    if isinstance(exc, smtplib.SMTPException):
        return f"{server} failed ({exc.__class__.__name__})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{server} has a certificate that failed verification"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {server} failed ({exc.reason or exc.__class__.__name__})"
    if isinstance(exc, TimeoutError):
        return f"{server} did not answer within {TIMEOUT} seconds"
    if isinstance(exc, socket.gaierror):
        return f"the mail server's name {target.host!r} could not be resolved"
    if isinstance(exc, OSError):
        return (
            f"{server} could not be reached ({exc.strerror or exc.__class__.__name__})"
        )

    return f"{server} failed ({exc.__class__.__name__})"


def describe(row: MailOutbox) -> str:
    """Return a sentence that tells the owner what became of a mail."""
    reason = (row.reason or "").rstrip(".")
    if row.state == SENT:
        if row.delivered_to == "maildir":
            return "Saved to the local Maildir, not sent (no SMTP configured)."
        day = row.sent_at.date().isoformat() if row.sent_at else "an unknown day"
        return f"Emailed to {row.invoice.client_email} on {day}."
    if row.state == HELD:
        reason = reason[:1].lower() + reason[1:] if reason else "it was held"
        if reason in SHARE_BY_HAND:
            return f"Not emailed: {reason} — share the link by hand."
        return f"Not emailed: {reason}."
    if row.state == SENDING:
        return "Being sent now."
    if reason:
        return f"Pending: {reason}. Retry below."
    if row.invoice.publish_state != "published":
        return "Pending: it goes out once the payment page is live."

    return "Pending: not sent yet. Retry below."


def _emails(count: int) -> str:
    return f"{count} email" if count == 1 else f"{count} emails"


@click.command("mail")
@click.option(
    "--pending",
    "retry",
    is_flag=True,
    help="Send every pending email whose page is live.",
)
@with_appcontext
def mail_command(retry: bool) -> None:
    """Retry the pending client emails, or count them."""
    if not retry:
        count = db.session.scalar(
            select(func.count())
            .select_from(MailOutbox)
            .where(MailOutbox.state == PENDING)
        )
        click.echo(f"{_emails(count)} pending; `paypages mail --pending` retries them.")
        return
    sent, still = deliver_pending()
    click.echo(f"Sent {_emails(sent)}; {still} still pending.")
    if still:
        raise click.ClickException(
            f"{_emails(still)} still pending; the admin shows why. Fix the cause "
            "and run `paypages mail --pending` again."
        )


def register_cli(group: click.Group) -> None:
    """Add the ``mail`` command to the ``paypages`` command group."""
    group.add_command(mail_command)
