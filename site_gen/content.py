"""Turn a page dict into a content file and back, validating both ways.

A content file is a Pelican Markdown file: header lines ``Key: value``, a
blank line, then the owner's notes as the Markdown body. Every header value
is JSON on one line, with each character that could end a line (or hide
text from a reader, such as bidi overrides) escaped, so no value can add a
header line or leave its field.
"""

import json
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from .errors import PageError

FORMAT_VERSION = 1
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,}")
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
STATUSES = ("open", "paid", "void")
NETWORKS = ("bitcoin", "ethereum")

LINE_FIELDS = (
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_percent",
    "net",
    "tax",
    "total",
)
TOTAL_FIELDS = ("net", "tax", "total", "due")

# Unicode categories escaped in header values: controls (\n, \r, \x0b, \x0c,
# \x85, \x1c-\x1e...), format characters (bidi overrides), lone surrogates,
# line and paragraph separators (\u2028, \u2029).
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_HEADER_LINE_RE = re.compile(r"([A-Z][A-Za-z-]*): (.*)")


def check_token(token: object) -> str:
    """Return the token if it is safe to use in a path, else raise PageError."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise PageError(
            "A page token must be 22 or more characters from A-Z, a-z, 0-9, "
            "'_' and '-'."
        )

    return token


def _text(value: object, field: str, *, optional: bool = False) -> str:
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise PageError(f"{field} must be a string, not {type(value).__name__}.")

    return value


def _decimal(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PageError(f"{field} must be a decimal string such as '12.50'.")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise PageError(f"{field} must be a decimal string such as '12.50'.") from None
    if not number.is_finite():
        raise PageError(f"{field} must be a finite number.")

    return str(number)


def _date(value: object, field: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    try:
        return date.fromisoformat(_text(value, field)).isoformat()
    except ValueError:
        raise PageError(f"{field} must be an ISO date such as 2026-12-31.") from None


def _mapping(value: object, field: str) -> dict:
    if not isinstance(value, dict):
        raise PageError(f"{field} must be a mapping.")

    return value


def _party(value: object, field: str, extra: tuple[str, ...] = ()) -> dict:
    party = _mapping(value, field)
    names = ("name", "address", *extra)

    return {
        name: _text(party.get(name), f"{field}.{name}", optional=name != "name")
        for name in names
    }


def _line(value: object, index: int) -> dict:
    line = _mapping(value, f"lines[{index}]")
    result = {
        "description": _text(line.get("description"), f"lines[{index}].description")
    }
    for name in LINE_FIELDS[1:]:
        result[name] = _decimal(line.get(name, "0"), f"lines[{index}].{name}")

    return result


def _payment(value: object) -> dict:
    payment = _mapping(value or {}, "payment")
    link = payment.get("link")
    bank = payment.get("bank")
    crypto = payment.get("crypto")
    result: dict = {"link": None, "bank": None, "crypto": None}
    if link:
        result["link"] = _text(link, "payment.link")
    if bank:
        bank = _mapping(bank, "payment.bank")
        result["bank"] = {
            "beneficiary": _text(
                bank.get("beneficiary"), "payment.bank.beneficiary", optional=True
            ),
            "iban": _text(bank.get("iban"), "payment.bank.iban"),
            "bic": _text(bank.get("bic"), "payment.bank.bic", optional=True),
        }
    if crypto:
        crypto = _mapping(crypto, "payment.crypto")
        if crypto.get("network") not in NETWORKS:
            raise PageError("payment.crypto.network must be 'bitcoin' or 'ethereum'.")
        result["crypto"] = {
            "network": crypto["network"],
            "address": _text(crypto.get("address"), "payment.crypto.address"),
        }

    return result


def normalize(page: object) -> dict:
    """Return a validated copy of a page dict, or raise PageError."""
    page = _mapping(page, "page")
    language = page.get("language")
    if not isinstance(language, str) or not LANGUAGE_RE.fullmatch(language):
        language = "en"
    if page.get("status") not in STATUSES:
        raise PageError("status must be one of: " + ", ".join(STATUSES) + ".")
    currency = _text(page.get("currency"), "currency")
    if not CURRENCY_RE.fullmatch(currency):
        raise PageError("currency must be a three-letter code such as EUR.")
    lines = page.get("lines") or []
    if not isinstance(lines, list):
        raise PageError("lines must be a list.")
    totals = _mapping(page.get("totals"), "totals")

    return {
        "token": check_token(page.get("token")),
        "language": language,
        "status": page["status"],
        "number": _text(page.get("number"), "number"),
        "currency": currency,
        "issue_date": _date(page.get("issue_date"), "issue_date"),
        "due_date": _date(page.get("due_date"), "due_date"),
        "paid_on": _date(page.get("paid_on"), "paid_on", optional=True),
        "seller": _party(page.get("seller"), "seller", ("tax_id", "email")),
        "client": _party(page.get("client"), "client"),
        "lines": [_line(line, index) for index, line in enumerate(lines)],
        "totals": {
            name: _decimal(totals.get(name), f"totals.{name}") for name in TOTAL_FIELDS
        },
        "payment": _payment(page.get("payment")),
        "notes": _text(page.get("notes"), "notes", optional=True),
    }


def _escape_char(char: str) -> str:
    if unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    if ord(char) > 0xFFFF:
        high, low = divmod(ord(char) - 0x10000, 0x400)
        return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"

    return f"\\u{ord(char):04x}"


def encode_value(value: object) -> str:
    """Encode a header value as JSON that cannot span or end a line."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    return "".join(_escape_char(char) for char in text)


def _header(page: dict) -> list[tuple[str, object]]:
    header = [
        ("Paypages", FORMAT_VERSION),
        ("Title", page["number"]),
        ("Slug", page["token"]),
        ("Language", page["language"]),
        ("State", page["status"]),
        ("Number", page["number"]),
        ("Currency", page["currency"]),
        ("Issue-Date", page["issue_date"]),
        ("Due-Date", page["due_date"]),
        ("Paid-On", page["paid_on"]),
        ("Seller", page["seller"]),
        ("Client", page["client"]),
    ]
    header += [("Line", line) for line in page["lines"]]
    header += [("Totals", page["totals"]), ("Payment", page["payment"])]

    return header


def dumps(page: dict) -> str:
    """Return the content file text for a page dict."""
    page = normalize(page)
    lines = [f"{key}: {encode_value(value)}" for key, value in _header(page)]
    notes = page["notes"].replace("\r\n", "\n").replace("\r", "\n").strip("\n")

    return "\n".join(lines) + "\n\n" + notes + ("\n" if notes else "")


_SINGLE_KEYS = {
    "Paypages": None,
    "Title": None,
    "Slug": "token",
    "Language": "language",
    "State": "status",
    "Number": "number",
    "Currency": "currency",
    "Issue-Date": "issue_date",
    "Due-Date": "due_date",
    "Paid-On": "paid_on",
    "Seller": "seller",
    "Client": "client",
    "Totals": "totals",
    "Payment": "payment",
}


def _parse_header(header: str) -> dict:
    page: dict = {"lines": []}
    seen = set()
    for number, line in enumerate(header.split("\n"), start=1):
        match = _HEADER_LINE_RE.fullmatch(line)
        if not match:
            raise PageError(f"Header line {number} is not 'Key: value'.")
        key, raw = match.groups()
        if key != "Line" and key not in _SINGLE_KEYS:
            raise PageError(f"Header line {number} has an unknown key {key!r}.")
        if key in seen:
            raise PageError(f"Header key {key!r} appears twice.")
        try:
            value = json.loads(raw)
        except ValueError:
            raise PageError(
                f"Header line {number} ({key}) is not valid JSON."
            ) from None
        if key == "Line":
            page["lines"].append(value)
            continue
        seen.add(key)
        if _SINGLE_KEYS[key]:
            page[_SINGLE_KEYS[key]] = value
    if "Paypages" not in seen:
        raise PageError("The content file has no 'Paypages' header line.")

    return page


def loads(text: str, token: str) -> dict:
    """Parse content file text into a validated page dict for ``token``."""
    header, _, body = text.replace("\r\n", "\n").partition("\n\n")
    page = _parse_header(header)
    page["notes"] = body.strip("\n")
    page = normalize(page)
    if page["token"] != token:
        raise PageError("The content file's Slug does not match its file name.")

    return page
