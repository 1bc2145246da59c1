"""Client email: the rule, the outbox, the message, and a real SMTP server."""

import datetime as dt
import email
import mailbox
import sys
import threading
import types
from email import policy
from email.headerregistry import Address

import pytest
from flask import Flask

from admin import ConfigError, mail, money
from admin.db import begin_write, db
from admin.models import Invoice, MailOutbox, Owner
from tests.mail_helpers import (
    Inbox,
    SmtpServer,
    client_context,
    free_port,
    make_certificate,
    running,
    server_context,
    urls_in,
)

SENDER = Address("paypages", addr_spec="invoices@paypages.test")
UNUSED = "unused-maildir"  # the SMTP tests never reach the Maildir
PAGES = "https://pages.test/"


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def smtp(inbox):
    server = SmtpServer(inbox).start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(tmp_path, smtp, monkeypatch):
    """Return a bare app with the record's tables and mail sent to ``smtp``."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'mail.sqlite'}",
        SMTP_URL=smtp.url(),
        MAIL_FROM="paypages <invoices@paypages.test>",
        MAILDIR=str(tmp_path / "maildir"),
        VALIDATION_PAID_INVOICES=3,
        EMAIL_DAILY_CAP=20,
    )
    db.init_app(app)
    mail.init_app(app)
    # The pages themselves are site_gen's; here a published page has a link.
    publishing = types.SimpleNamespace(share_url=_fake_share_url)
    monkeypatch.setitem(sys.modules, "admin.publishing", publishing)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def _fake_share_url(invoice):
    if invoice.publish_state != "published":
        return None
    return f"{PAGES}{invoice.token}.html"


def make_owner(email="owner@example.com", *, paid=0, **fields) -> Owner:
    owner = Owner(email=email, password_hash="-", display_name="Jonas", **fields)
    db.session.add(owner)
    for number in range(paid):
        db.session.add(_invoice(owner, status="paid", number=f"P-{number}"))
    db.session.commit()
    return owner


def _invoice(owner, **fields) -> Invoice:
    values = {
        "status": "open",
        "number": "INV-2026-0001",
        "token": f"tok{id(fields)}{len(owner.invoices)}",
        "client_name": "UAB Ąžuolas",
        "client_email": "client+acme@example.com",
        "client_language": "en",
        "currency": "EUR",
        "issue_date": dt.date(2026, 12, 3),
        "due_date": dt.date(2026, 12, 17),
        "total_minor": 123450,
        "publish_state": "published",
        "published_at": dt.datetime(2026, 12, 3, 10, 0),
    }
    values.update(fields)
    return Invoice(owner=owner, **values)


def make_invoice(owner, **fields) -> Invoice:
    invoice = _invoice(owner, **fields)
    db.session.add(invoice)
    db.session.commit()
    return invoice


def issue_mail(invoice) -> MailOutbox:
    begin_write()
    row = mail.queue_issue_mail(invoice)
    db.session.commit()
    return row


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(("html",)).get_content()


# Settings -----------------------------------------------------------------


def test_smtp_url_defaults_to_the_submission_port_with_starttls():
    target = mail.parse_smtp_url("smtp://mail.example.com")

    assert (target.host, target.port, target.starttls_required) == (
        "mail.example.com",
        587,
        True,
    )


def test_smtps_url_defaults_to_port_465():
    assert mail.parse_smtp_url("smtps://mail.example.com").port == 465


def test_smtp_url_login_is_percent_decoded_and_kept_out_of_repr():
    target = mail.parse_smtp_url("smtp://me%40example.com:p%3As%2Fs@host:2525")

    assert (target.username, target.password) == ("me@example.com", "p:s/s")
    assert target.starttls_required
    assert "p:s/s" not in repr(target)


def test_relay_without_login_uses_starttls_only_when_offered():
    assert not mail.parse_smtp_url("smtp://relay:25").starttls_required


@pytest.mark.parametrize("url", [None, ""])
def test_no_smtp_url_means_maildir(url):
    assert mail.parse_smtp_url(url) is None


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://mail.example.com", "smtp:// or smtps://"),
        ("mail.example.com:587", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://:587", "no host"),
        ("smtp://host:port", "bad port"),
        ("smtp://user@host:587", "user and a password"),
    ],
)
def test_init_app_rejects_a_wrong_smtp_url(url, complaint):
    app = Flask(__name__)
    app.config.update(SMTP_URL=url, MAIL_FROM="a@example.com", MAILDIR=UNUSED)

    with pytest.raises(ConfigError, match=complaint):
        mail.init_app(app)


@pytest.mark.parametrize("sender", ["", "not an address", "a@x.test, b@x.test"])
def test_init_app_rejects_a_wrong_sender(sender):
    app = Flask(__name__)
    app.config.update(SMTP_URL=None, MAIL_FROM=sender, MAILDIR=UNUSED)

    with pytest.raises(ConfigError, match="MAIL_FROM"):
        mail.init_app(app)


# The message ----------------------------------------------------------------


def fake_invoice(**fields):
    owner = types.SimpleNamespace(
        display_name=fields.pop("display_name", "Müller, Jürgen"),
        email="owner@example.com",
        reply_to=fields.pop("reply_to", ""),
    )
    owner.seller_name = owner.display_name or owner.email
    values = {
        "owner": owner,
        "number": "INV-2026-0007",
        "client_name": "Žemaitė & Co",
        "client_email": "client+acme@example.com",
        "client_language": "en",
        "currency": "EUR",
        "total_minor": 123450,
        "due_date": dt.date(2026, 12, 17),
    }
    values.update(fields)
    return types.SimpleNamespace(**values)


LINK = "https://pages.test/abcDEF123_-xyz.html"


def roundtrip(message) -> email.message.EmailMessage:
    raw = message.as_bytes()
    assert raw.isascii(), "headers and body must be transfer-encoded"
    return email.message_from_bytes(raw, policy=policy.default)


def test_message_headers_name_sender_owner_and_client():
    message = roundtrip(mail.compose(fake_invoice(), LINK, SENDER))

    assert message["From"].addresses[0].addr_spec == "invoices@paypages.test"
    reply_to = message["Reply-To"].addresses[0]
    assert (reply_to.display_name, reply_to.addr_spec) == (
        "Müller, Jürgen",
        "owner@example.com",
    )
    to = message["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == (
        "Žemaitė & Co",
        "client+acme@example.com",
    )
    assert message["Subject"] == "Invoice INV-2026-0007 from Müller, Jürgen"
    assert message["Message-ID"].endswith("@paypages.test>")


def test_non_ascii_display_names_are_rfc2047_encoded():
    raw = mail.compose(fake_invoice(), LINK, SENDER).as_bytes().decode("ascii")
    headers = raw.split("\n\n", 1)[0]

    assert "=?utf-8?" in headers
    assert "Müller" not in headers and "Žemaitė" not in headers


def test_reply_to_prefers_the_owners_reply_address():
    invoice = fake_invoice(reply_to="billing@owner.example")
    message = mail.compose(invoice, LINK, SENDER)

    assert message["Reply-To"].addresses[0].addr_spec == "billing@owner.example"


def test_english_body_has_seller_number_amount_due_date_and_link():
    text = plain(mail.compose(fake_invoice(), LINK, SENDER))

    assert "Müller, Jürgen has sent you invoice INV-2026-0007." in text
    assert "Amount due: €1,234.50" in text
    assert "Due date: December 17, 2026" in text
    assert LINK in text.splitlines()


def test_lithuanian_client_gets_lithuanian_subject_amount_and_date():
    message = mail.compose(fake_invoice(client_language="lt"), LINK, SENDER)
    text = plain(message)

    assert message["Subject"] == "Sąskaita INV-2026-0007 – Müller, Jürgen"
    amount = money.format_money(money.from_minor(123450, "EUR"), "EUR", "lt")
    assert f"Mokėtina suma: {amount}" in text
    assert "1234,50" in amount.replace("\xa0", "").replace(" ", "")
    assert "Apmokėti iki: 2026 m. gruodžio 17 d." in text
    assert message["Content-Language"] == "lt"


@pytest.mark.parametrize(("language", "expected"), [("lt-LT", "lt"), ("de", "en")])
def test_language_falls_back_to_english(language, expected):
    message = mail.compose(fake_invoice(client_language=language), LINK, SENDER)

    assert message["Content-Language"] == expected


def test_amount_uses_the_currencys_minor_units():
    invoice = fake_invoice(currency="JPY", total_minor=3500)

    assert "Amount due: ¥3,500" in plain(mail.compose(invoice, LINK, SENDER))


def test_the_link_is_the_only_url_and_nothing_remote_is_loaded():
    invoice = fake_invoice(display_name="Jonas (jonas.example)")
    message = mail.compose(invoice, LINK, SENDER)
    html = html_part(message)

    assert urls_in(plain(message)) == {LINK}
    assert urls_in(html) == {LINK}
    assert f'<a href="{LINK}">{LINK}</a>' in html
    assert "<img" not in html and "src=" not in html and "url(" not in html


def test_html_alternative_escapes_every_value():
    invoice = fake_invoice(
        display_name='<script>alert("x")</script>',
        client_name="<b>Evil</b> & Co",
    )
    message = mail.compose(invoice, LINK, SENDER)
    html = html_part(message)

    assert "<script>" not in html and "<b>Evil" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Hello &lt;b&gt;Evil&lt;/b&gt; &amp; Co," in html
    assert message.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize(
    "field", ["display_name", "client_name", "number"], ids=["owner", "client", "no"]
)
def test_line_breaks_in_names_cannot_add_headers(field):
    invoice = fake_invoice(**{field: "Name\r\nBcc: victim@example.com\nX-Evil: 1"})
    message = roundtrip(mail.compose(invoice, LINK, SENDER))

    assert message["Bcc"] is None and message["X-Evil"] is None


def test_a_client_address_with_a_line_break_is_refused():
    invoice = fake_invoice(client_email="a@example.com\r\nBcc: b@example.com")

    with pytest.raises(ValueError):
        mail.compose(invoice, LINK, SENDER)


# Transport -----------------------------------------------------------------


def sample():
    return mail.compose(fake_invoice(), LINK, SENDER)


def test_smtp_delivers_with_the_envelope_unchanged(smtp, inbox):
    target = mail.parse_smtp_url(smtp.url())
    with mail.Postman(target, "/nonexistent", SENDER) as postman:
        assert postman.send(sample(), "client+acme@example.com") == "smtp"

    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "invoices@paypages.test"
    assert envelope.rcpt_tos == ["client+acme@example.com"]
    assert LINK in plain(inbox.messages()[0])


def test_one_connection_carries_several_messages(smtp, inbox):
    target = mail.parse_smtp_url(smtp.url())
    with mail.Postman(target, "/nonexistent", SENDER) as postman:
        postman.send(sample(), "a@example.com")
        postman.send(sample(), "b@example.com")

    assert [e.rcpt_tos for e in inbox.envelopes] == [
        ["a@example.com"],
        ["b@example.com"],
    ]


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    cert, key = make_certificate(tmp_path)
    monkeypatch.setattr(mail, "tls_context", lambda: client_context(cert))
    return cert, key


def test_starttls_then_login_with_percent_decoded_credentials(certificate):
    inbox = Inbox(logins={"me@example.com": "p:ss/w@rd%"})
    options = {
        "tls_context": server_context(*certificate),
        "require_starttls": True,
        "authenticator": inbox.authenticate,
        "auth_required": True,
    }
    with running(inbox, **options) as server:
        url = server.url(login="me%40example.com:p%3Ass%2Fw%40rd%25@")
        with mail.Postman(mail.parse_smtp_url(url), UNUSED, SENDER) as postman:
            postman.send(sample(), "client+acme@example.com")

    assert inbox.seen_logins == ["me@example.com"]
    assert len(inbox.envelopes) == 1


def test_smtps_speaks_tls_from_the_first_byte(certificate):
    inbox = Inbox()
    with running(inbox, ssl_context=server_context(*certificate)) as server:
        target = mail.parse_smtp_url(server.url("smtps"))
        with mail.Postman(target, UNUSED, SENDER) as postman:
            postman.send(sample(), "client+acme@example.com")

    assert len(inbox.envelopes) == 1


def test_a_login_is_never_sent_without_tls(smtp, inbox):
    target = mail.parse_smtp_url(smtp.url(login="me:secret-pw@"))
    postman = mail.Postman(target, UNUSED, SENDER)
    with postman, pytest.raises(mail.MailError, match="STARTTLS") as failure:
        postman.send(sample(), "client+acme@example.com")

    assert "secret-pw" not in str(failure.value)
    assert inbox.envelopes == []


def test_an_unverified_certificate_is_refused(tmp_path):
    cert, key = make_certificate(tmp_path)
    with running(Inbox(), ssl_context=server_context(cert, key)) as server:
        target = mail.parse_smtp_url(server.url("smtps"))
        postman = mail.Postman(target, UNUSED, SENDER)
        with postman, pytest.raises(mail.MailError, match="certificate"):
            postman.send(sample(), "client+acme@example.com")


def test_a_server_that_is_down_gives_a_short_reason_once():
    port = free_port()
    target = mail.parse_smtp_url(f"smtp://me:secret-pw@127.0.0.1:{port}")
    with mail.Postman(target, UNUSED, SENDER) as postman:
        with pytest.raises(mail.MailError) as first:
            postman.send(sample(), "client+acme@example.com")
        with pytest.raises(mail.MailError) as second:
            postman.send(sample(), "client+acme@example.com")

    reason = str(first.value)
    assert reason.startswith(f"the mail server 127.0.0.1:{port} could not be reached")
    assert "secret-pw" not in reason
    assert str(second.value) == reason


def test_a_refused_recipient_is_reported_without_the_address(smtp):
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):
            return f"550 no such user {address}"

    inbox = Refusing()
    with running(inbox) as server:
        target = mail.parse_smtp_url(server.url())
        postman = mail.Postman(target, UNUSED, SENDER)
        with postman, pytest.raises(mail.MailError) as failure:
            postman.send(sample(), "client+acme@example.com")

    assert "refused the client's address (550)" in str(failure.value)
    assert "acme" not in str(failure.value)


def test_without_smtp_the_message_is_saved_to_a_maildir(tmp_path):
    folder = tmp_path / "maildir"
    with mail.Postman(None, str(folder), SENDER) as postman:
        assert postman.send(sample(), "client+acme@example.com") == "maildir"

    (key,) = mailbox.Maildir(folder, create=False).keys()
    raw = mailbox.Maildir(folder, create=False).get_bytes(key)
    saved = email.message_from_bytes(raw, policy=policy.default)
    assert saved["To"].addresses[0].display_name == "Žemaitė & Co"
    assert LINK in plain(saved)


# The rule: standing, holding, the daily cap --------------------------------


@pytest.mark.parametrize(
    ("paid", "validated", "summary"),
    [
        (0, False, "0 of 3 paid invoices — automatic email unlocks at 3."),
        (2, False, "2 of 3 paid invoices — automatic email unlocks at 3."),
        (
            3,
            True,
            "3 paid invoices: clients are emailed automatically (0 of 20 today).",
        ),
    ],
)
def test_standing_counts_paid_invoices(mail_app, paid, validated, summary):
    with mail_app.app_context():
        where = mail.standing(make_owner(paid=paid))

    assert (where.paid, where.threshold, where.validated) == (paid, 3, validated)
    assert where.summary == summary


def test_an_operator_validates_without_paid_invoices(mail_app):
    with mail_app.app_context():
        where = mail.standing(make_owner(validated=True))

    assert where.validated and where.by_operator
    assert where.summary.startswith("Validated by an operator:")


def test_suspension_wins_over_any_count(mail_app):
    with mail_app.app_context():
        where = mail.standing(make_owner(paid=5, validated=True, suspended=True))

    assert not where.validated and where.suspended and not where.may_send
    assert "suspended" in where.summary


def test_the_threshold_comes_from_settings(mail_app):
    mail_app.config["VALIDATION_PAID_INVOICES"] = 1
    with mail_app.app_context():
        assert mail.standing(make_owner(paid=1)).validated


@pytest.mark.parametrize(
    ("owner_fields", "invoice_fields", "reason"),
    [
        ({"paid": 2}, {}, mail.NOT_VALIDATED),
        ({"paid": 3, "suspended": True}, {}, mail.SUSPENDED),
        ({"paid": 3}, {"email_client": False}, mail.OPTED_OUT),
        ({"paid": 3}, {"client_email": ""}, mail.NO_CLIENT_EMAIL),
    ],
)
def test_issue_mail_is_held_with_its_reason(
    mail_app, owner_fields, invoice_fields, reason
):
    with mail_app.app_context():
        owner = make_owner(**owner_fields)
        row = issue_mail(make_invoice(owner, **invoice_fields))

        assert (row.state, row.reason, row.counts_on) == ("held", reason, None)
        assert mail.describe(row).startswith(f"Not emailed: {reason} — share")


def test_issue_mail_of_a_validated_account_is_pending_and_counted(mail_app):
    with mail_app.app_context():
        owner = make_owner(paid=3)
        row = issue_mail(make_invoice(owner, publish_state="pending"))

        assert (row.state, row.kind, row.counts_on) == (
            "pending",
            "issue",
            mail.today(),
        )
        assert mail.standing(owner).sent_today == 1
        assert mail.describe(row) == (
            "Pending: it goes out once the payment page is live."
        )


def test_issuing_twice_queues_one_mail(mail_app):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3))
        first, second = issue_mail(invoice), issue_mail(invoice)

        assert first.id == second.id
        assert len(invoice.mails) == 1


def test_the_daily_cap_holds_the_mail_after_it(mail_app):
    mail_app.config["EMAIL_DAILY_CAP"] = 2
    with mail_app.app_context():
        owner = make_owner(paid=3)
        rows = [issue_mail(make_invoice(owner, number=f"N-{n}")) for n in range(3)]

        assert [row.state for row in rows] == ["pending", "pending", "held"]
        assert rows[2].reason == mail.OVER_CAP
        assert "today's limit of 2 emails is reached" in mail.standing(owner).summary


def test_held_mails_and_yesterdays_do_not_count(mail_app):
    mail_app.config["EMAIL_DAILY_CAP"] = 1
    with mail_app.app_context():
        owner = make_owner(paid=3)
        issue_mail(make_invoice(owner, number="N-1", client_email=""))
        old = issue_mail(make_invoice(owner, number="N-2"))
        old.counts_on = mail.today() - dt.timedelta(days=1)
        db.session.commit()

        assert issue_mail(make_invoice(owner, number="N-3")).state == "pending"


def test_two_issues_at_once_cannot_both_pass_the_cap(mail_app):
    mail_app.config["EMAIL_DAILY_CAP"] = 1
    with mail_app.app_context():
        owner = make_owner(paid=3)
        ids = [make_invoice(owner, number=f"N-{n}").id for n in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def issue(invoice_id):
        try:
            with mail_app.app_context():
                barrier.wait()
                begin_write()
                mail.queue_issue_mail(db.session.get(Invoice, invoice_id))
                # Hold the transaction open so the other one has to wait.
                threading.Event().wait(0.2)
                db.session.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with mail_app.app_context():
        states = sorted(row.state for row in db.session.scalars(db.select(MailOutbox)))
    assert states == ["held", "pending"]


# Resend ---------------------------------------------------------------------


def resend(invoice) -> MailOutbox:
    begin_write()
    try:
        return mail.queue_resend(invoice)
    finally:
        db.session.commit()


@pytest.mark.parametrize(
    ("owner_fields", "invoice_fields", "message"),
    [
        ({"paid": 2}, {}, "Your account is not validated yet."),
        ({"validated": True, "suspended": True}, {}, "Automatic email is suspended"),
        ({"paid": 3}, {"client_email": ""}, "The invoice has no client email"),
        ({"paid": 3}, {"status": "paid"}, "Only an open invoice"),
    ],
)
def test_resend_is_refused_with_a_reason(
    mail_app, owner_fields, invoice_fields, message
):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(**owner_fields), **invoice_fields)

        with pytest.raises(mail.MailNotAllowed, match=message):
            resend(invoice)
        assert invoice.mails == []


def test_resend_counts_against_the_cap(mail_app, inbox):
    mail_app.config["EMAIL_DAILY_CAP"] = 2
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3))
        issue_mail(invoice)
        mail.deliver(invoice)
        invoice.mails[0].sent_at -= mail.RESEND_PAUSE
        db.session.commit()

        row = resend(invoice)
        assert (row.kind, row.state) == ("resend", "pending")
        with pytest.raises(mail.MailNotAllowed, match="today's email limit"):
            resend(invoice)


def test_resend_ignores_the_unticked_box_but_not_a_double_click(mail_app, inbox):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3), email_client=False)
        assert issue_mail(invoice).state == "held"

        resend(invoice)
        mail.deliver(invoice)
        with pytest.raises(mail.MailNotAllowed, match="less than a minute"):
            resend(invoice)

    assert len(inbox.envelopes) == 1


def test_resend_while_a_mail_waits_is_refused(mail_app):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3), publish_state="pending")
        issue_mail(invoice)

        with pytest.raises(mail.MailNotAllowed, match="waiting to be sent"):
            resend(invoice)


# Delivery -------------------------------------------------------------------


def test_mail_waits_for_the_page_then_goes_out_once(mail_app, inbox):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3), publish_state="pending")
        row = issue_mail(invoice)
        mail.deliver(invoice)
        assert inbox.envelopes == []

        invoice.publish_state = "published"
        db.session.commit()
        mail.deliver(invoice)
        mail.deliver(invoice)
        assert mail.deliver_pending() == (0, 0)

        db.session.refresh(row)
        assert (row.state, row.delivered_to, row.reason) == ("sent", "smtp", "")
        assert mail.describe(row) == (
            f"Emailed to client+acme@example.com on {row.sent_at.date().isoformat()}."
        )
    (message,) = inbox.messages()
    assert f"{PAGES}{invoice.token}.html" in plain(message)


def test_a_row_claimed_by_another_sender_is_not_sent_again(mail_app, inbox):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3))
        row = issue_mail(invoice)
        row.state = "sending"
        db.session.commit()

        mail.deliver(invoice)
        assert mail.describe(row) == "Being sent now."

    assert inbox.envelopes == []


def test_server_down_leaves_the_mail_pending_then_retry_sends_once(
    mail_app, smtp, inbox
):
    smtp.stop()
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3))
        row = issue_mail(invoice)
        mail.deliver(invoice)

        db.session.refresh(row)
        assert row.state == "pending"
        assert "could not be reached" in row.reason
        assert mail.describe(row).endswith(". Retry below.")
        assert mail.deliver_pending() == (0, 1)

        smtp.start()
        assert mail.deliver_pending() == (1, 0)
        assert mail.deliver_pending() == (0, 0)
        mail.deliver(invoice)

    assert len(inbox.envelopes) == 1


def test_a_mail_for_a_voided_invoice_is_held_not_sent(mail_app, inbox):
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3), publish_state="pending")
        row = issue_mail(invoice)
        invoice.status, invoice.publish_state = "void", "published"
        db.session.commit()
        mail.deliver(invoice)

        db.session.refresh(row)
        assert (row.state, row.reason, row.counts_on) == ("held", mail.NOT_OPEN, None)
        assert mail.describe(row) == f"Not emailed: {mail.NOT_OPEN}."

    assert inbox.envelopes == []


def test_a_suspension_before_the_page_is_live_holds_the_mail(mail_app, inbox):
    with mail_app.app_context():
        owner = make_owner(paid=3)
        invoice = make_invoice(owner, publish_state="pending")
        row = issue_mail(invoice)
        owner.suspended, invoice.publish_state = True, "published"
        db.session.commit()
        mail.deliver(invoice)

        assert db.session.get(MailOutbox, row.id).reason == mail.SUSPENDED

    assert inbox.envelopes == []


def test_without_smtp_the_mail_is_saved_and_says_so(mail_app, inbox, tmp_path):
    mail_app.config["SMTP_URL"] = None
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3))
        row = issue_mail(invoice)
        mail.deliver(invoice)

        db.session.refresh(row)
        assert (row.state, row.delivered_to) == ("sent", "maildir")
        assert mail.describe(row) == (
            "Saved to the local Maildir, not sent (no SMTP configured)."
        )

    assert len(mailbox.Maildir(tmp_path / "maildir", create=False)) == 1
    assert inbox.envelopes == []


# The command ------------------------------------------------------------------


def test_mail_pending_command_reports_and_fails_while_mail_waits(mail_app, smtp):
    runner = mail_app.test_cli_runner()
    smtp.stop()
    with mail_app.app_context():
        invoice = make_invoice(make_owner(paid=3))
        issue_mail(invoice)
        mail.deliver(invoice)

    waiting = runner.invoke(mail.mail_command, ["--pending"])
    assert waiting.exit_code == 1
    assert "Sent 0 emails; 1 still pending." in waiting.output
    assert "Error: 1 email still pending" in waiting.output

    smtp.start()
    done = runner.invoke(mail.mail_command, ["--pending"])
    assert (done.exit_code, done.output) == (0, "Sent 1 email; 0 still pending.\n")


def test_mail_command_without_pending_counts(mail_app):
    result = mail_app.test_cli_runner().invoke(mail.mail_command, [])

    assert result.output.startswith("0 emails pending;")


def test_register_cli_adds_the_mail_command():
    import click

    group = click.Group("paypages")
    mail.register_cli(group)

    assert group.get_command(None, "mail") is mail.mail_command


# Through the admin: the JSON API, the invoice page, the paypages command ------


@pytest.fixture
def admin_app(app, smtp):
    """Return the full admin, mailing to the test SMTP server."""
    app.config["SMTP_URL"] = smtp.url()
    return app


def paypages(app, *args):
    from admin.cli import cli

    return app.test_cli_runner().invoke(cli, list(args))


def issue_through_api(caller, **overrides) -> dict:
    from tests.conftest import draft_json

    draft = caller("POST", "/invoices", json=draft_json(**overrides))
    assert draft.status_code == 201, draft.json
    issued = caller("POST", f"/invoices/{draft.json['id']}/issue")
    assert issued.status_code == 200, issued.json
    return issued.json


def published_file(app, url: str):
    """Return the file in the publish folder that serves ``url``."""
    from pathlib import Path
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    root = Path(url2pathname(urlsplit(app.config["PUBLISH_URL"]).path))
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert url.startswith(base + "/")
    relative = url[len(base) + 1 :].split("#")[0]
    if not relative or relative.endswith("/"):
        relative += "index.html"
    return root / relative


def test_unvalidated_account_publishes_but_does_not_email(
    admin_app, api, auth, client, inbox
):
    caller = api("new@example.com")
    invoice = issue_through_api(caller)

    assert invoice["publish"]["state"] == "published"
    assert published_file(admin_app, invoice["url"]).is_file()
    assert invoice["email"]["state"] == "held"
    assert invoice["email"]["reason"] == mail.NOT_VALIDATED
    auth.login("new@example.com")
    page = client.get(f"/invoices/{invoice['id']}").get_data(as_text=True)
    assert (
        "Not emailed: your account is not validated yet — share the link by hand."
        in page
    )
    assert "0 of 3 paid invoices — automatic email unlocks at 3." in page
    assert 'id="share"' in page
    assert inbox.envelopes == []


def test_the_fourth_invoice_is_emailed_once_three_are_paid(admin_app, api, inbox):
    caller = api("seller@example.com")
    for _ in range(3):
        held = issue_through_api(caller)
        assert held["email"]["state"] == "held"
        paid = caller("POST", f"/invoices/{held['id']}/paid", json={})
        assert paid.status_code == 200, paid.json
    assert inbox.envelopes == []

    invoice = issue_through_api(caller)

    assert invoice["email"]["state"] == "sent", invoice["email"]
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "paypages@localhost"
    assert envelope.rcpt_tos == ["pay@azuolas.example"]
    (message,) = inbox.messages()
    assert message["From"].addresses[0].addr_spec == "paypages@localhost"
    assert message["Reply-To"].addresses[0].addr_spec == "seller@example.com"
    assert message["To"].addresses[0].display_name == "UAB Ąžuolas"
    assert message["Subject"] == (f"Sąskaita {invoice['number']} – seller@example.com")
    link = invoice["url"]
    assert urls_in(plain(message)) == {link}
    assert urls_in(html_part(message)) == {link}
    assert published_file(admin_app, link).is_file()


def test_a_double_submit_and_retries_send_one_message(
    admin_app, api, auth, client, inbox
):
    from tests.conftest import csrf_token

    caller = api("twice@example.com")
    paypages(admin_app, "owners", "validate", "twice@example.com")
    invoice = issue_through_api(caller)

    again = caller("POST", f"/invoices/{invoice['id']}/issue")
    assert again.status_code == 409
    auth.login("twice@example.com")
    view = client.get(f"/invoices/{invoice['id']}")
    client.post(
        f"/invoices/{invoice['id']}/mail/retry",
        data={"csrf_token": csrf_token(view)},
    )
    result = paypages(admin_app, "mail", "--pending")

    assert result.output == "Sent 0 emails; 0 still pending.\n"
    assert len(inbox.envelopes) == 1


def test_a_suspended_account_sends_nothing(admin_app, api, inbox):
    caller = api("suspended@example.com")
    paypages(admin_app, "owners", "validate", "suspended@example.com")
    paypages(admin_app, "owners", "suspend", "suspended@example.com")

    invoice = issue_through_api(caller)

    assert (invoice["email"]["state"], invoice["email"]["reason"]) == (
        "held",
        mail.SUSPENDED,
    )
    assert inbox.envelopes == []


def test_an_account_over_its_cap_sends_no_more(admin_app, api, inbox):
    admin_app.config["EMAIL_DAILY_CAP"] = 1
    caller = api("busy@example.com")
    paypages(admin_app, "owners", "validate", "busy@example.com")

    first, second = issue_through_api(caller), issue_through_api(caller)

    assert first["email"]["state"] == "sent"
    assert (second["email"]["state"], second["email"]["reason"]) == (
        "held",
        mail.OVER_CAP,
    )
    assert len(inbox.envelopes) == 1


def test_mail_waits_while_smtp_is_down_then_goes_out_once(admin_app, api, smtp, inbox):
    caller = api("patient@example.com")
    paypages(admin_app, "owners", "validate", "patient@example.com")
    smtp.stop()

    invoice = issue_through_api(caller)
    assert invoice["publish"]["state"] == "published"
    assert invoice["email"]["state"] == "pending"
    assert "could not be reached" in invoice["email"]["reason"]
    failed = paypages(admin_app, "mail", "--pending")
    assert failed.exit_code == 1

    smtp.start()
    done = paypages(admin_app, "mail", "--pending")
    again = paypages(admin_app, "mail", "--pending")

    assert (done.exit_code, done.output) == (0, "Sent 1 email; 0 still pending.\n")
    assert again.output == "Sent 0 emails; 0 still pending.\n"
    assert len(inbox.envelopes) == 1
