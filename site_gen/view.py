"""Turn a validated page dict into what the template shows, all text formatted."""

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import markdown
import nh3
from markupsafe import Markup

from . import i18n, payment

_NOTE_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
_NOTE_SCHEMES = ("http://", "https://", "mailto:")


def _keep_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href" and not value.startswith(_NOTE_SCHEMES):
        return None

    return value


_local = threading.local()


def _markdown() -> markdown.Markdown:
    # Making a Markdown instance costs more than converting short notes:
    # keep one per thread and reset it between documents.
    if not hasattr(_local, "markdown"):
        _local.markdown = markdown.Markdown(extensions=["sane_lists", "nl2br"])

    return _local.markdown.reset()


def render_notes(text: str) -> str:
    """Render the owner's Markdown notes to sanitized HTML."""
    if not text.strip():
        return ""
    html = _markdown().convert(text)

    return nh3.clean(
        html,
        tags=_NOTE_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_keep_absolute_links,
        strip_comments=True,
    )


def state(page: dict, today: date) -> str:
    """Return the badge state: open, overdue, paid or void."""
    if page["status"] == "open" and date.fromisoformat(page["due_date"]) < today:
        return "overdue"

    return page["status"]


def _lines(page: dict, language: str) -> list[dict]:
    currency = page["currency"]

    return [
        {
            "description": line["description"],
            "quantity": i18n.number(line["quantity"], language),
            "unit_price": i18n.money(line["unit_price"], currency, language),
            "discount": (
                i18n.percent(line["discount_percent"], language)
                if Decimal(line["discount_percent"])
                else ""
            ),
            "tax_rate": i18n.percent(line["tax_percent"], language),
            "net": i18n.money(line["net"], currency, language),
        }
        for line in page["lines"]
    ]


# Draws a QR code: (slot, data) -> SVG. Slots name the code on the page.
QrDrawer = Callable[[str, str], str]


def _draw(slot: str, data: str) -> str:
    return payment.qr_svg(data)


def _bank(page: dict, qr: QrDrawer) -> dict | None:
    bank = page["payment"]["bank"]
    if not bank:
        return None
    # Without a beneficiary of its own, the account is the seller's.
    bank = {**bank, "beneficiary": bank["beneficiary"] or page["seller"]["name"]}
    payload = None
    if page["currency"] == "EUR":
        payload = payment.epc_payload(bank, page["totals"]["due"], page["number"])

    return {
        "beneficiary": bank["beneficiary"],
        "iban": payment.compact(bank["iban"]),
        "iban_grouped": payment.group_iban(bank["iban"]),
        "bic": payment.compact(bank["bic"]),
        "reference": page["number"],
        # segno's SVG holds only the modules' geometry, never the text.
        "epc_qr": Markup(qr("epc", payload)) if payload else None,  # noqa: S704
    }


def _crypto(page: dict, labels: dict, qr: QrDrawer) -> dict | None:
    crypto = page["payment"]["crypto"]
    if not crypto:
        return None
    uri = payment.crypto_uri(crypto, page["currency"], page["totals"]["due"])
    if not uri:
        return None

    return {
        "network": labels["network_" + crypto["network"]],
        "address": crypto["address"].strip(),
        "uri": uri,
        "qr": Markup(qr("crypto", uri)),  # noqa: S704 (geometry only)
    }


def _paid_mailto(page: dict, labels: dict) -> str | None:
    email = payment.one_line(page["seller"]["email"])
    if "@" not in email:
        return None
    subject = labels["paid_subject"].format(number=payment.one_line(page["number"]))

    return f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}"


def present(page: dict, today: date, qr: QrDrawer = _draw) -> dict:
    """Return the template's view of a validated page dict on a given day."""
    language = i18n.pick_language(page["language"])
    labels = i18n.labels(language)
    currency = page["currency"]
    badge = state(page, today)
    payable = page["status"] == "open"
    due = i18n.money(page["totals"]["due"], currency, language)
    view = {
        "token": page["token"],
        "language": language,
        "labels": labels,
        "title": f"{labels['invoice']} {page['number']}",
        "number": page["number"],
        "state": badge,
        "state_label": labels["status_" + badge],
        "due_iso": page["due_date"],
        "issue_date": i18n.long_date(page["issue_date"], language),
        "due_date": i18n.long_date(page["due_date"], language),
        "paid_on": None,
        "seller": page["seller"],
        "client": page["client"],
        "lines": _lines(page, language),
        "totals": {
            name: i18n.money(value, currency, language)
            for name, value in page["totals"].items()
        },
        "due": due,
        "payable": payable,
        "pay_link": None,
        "pay_label": labels["pay_button"].format(amount=due),
        "bank": None,
        "crypto": None,
        "paid_mailto": None,
    }
    if page["status"] == "paid" and page["paid_on"]:
        paid_on = i18n.long_date(page["paid_on"], language)
        view["paid_on"] = labels["paid_on"].format(date=paid_on)
    elif page["status"] == "paid":
        view["paid_on"] = labels["status_paid"]
    if payable:
        view["pay_link"] = payment.safe_link(page["payment"]["link"])
        view["bank"] = _bank(page, qr)
        view["crypto"] = _crypto(page, labels, qr)
        view["paid_mailto"] = _paid_mailto(page, labels)

    return view
