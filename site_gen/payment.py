"""Payment details: the EPC QR payload, crypto URIs, QR codes as inline SVG."""

import logging
import re
import unicodedata
from decimal import Decimal
from urllib.parse import urlsplit

import segno

logger = logging.getLogger(__name__)

EPC_MIN = Decimal("0.01")
EPC_MAX = Decimal("999999999.99")
_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC_RE = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_RF_RE = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")
_ADDRESS_RES = {
    "bitcoin": re.compile(r"[A-Za-z0-9]{14,90}"),
    "ethereum": re.compile(r"0x[0-9a-fA-F]{40}"),
}
# The currency in which an amount can be put in a network's payment URI.
_NATIVE_CURRENCY = {"bitcoin": "BTC", "ethereum": "ETH"}
_WEI_PER_ETHER = Decimal(10) ** 18
QR_OPTIONS = {
    "border": 4,
    "omitsize": True,
    "svgclass": "qr",
    "lineclass": None,
    "dark": "#000",
    "light": "#fff",
}


def safe_link(link: str | None) -> str | None:
    """Return the link if it is an absolute http or https URL, else None."""
    if not link:
        return None
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        logger.debug("Dropped a payment link that is not http or https.")
        return None

    return parts.geturl()


def compact(value: str) -> str:
    """Return an IBAN or BIC without spaces, in upper case."""
    return "".join(value.split()).upper()


def group_iban(iban: str) -> str:
    """Return an IBAN in groups of four characters, as it is printed."""
    iban = compact(iban)

    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def one_line(value: str) -> str:
    """Return text with every run of whitespace, line breaks too, as one space."""
    return " ".join(value.split())


def is_creditor_reference(value: str) -> bool:
    """Tell whether a value is a valid ISO 11649 (RF) creditor reference."""
    value = compact(value)
    if not _RF_RE.fullmatch(value):
        return False
    digits = "".join(str(int(char, 36)) for char in value[4:] + value[:4])

    return int(digits) % 97 == 1


def _printable(*values: str) -> bool:
    return not any(
        unicodedata.category(char).startswith("C") for value in values for char in value
    )


def epc_payload(bank: dict, amount: str, number: str) -> str | None:
    """Return the EPC QR (version 002, UTF-8, SCT) text, or None if it cannot be.

    The invoice number is the unstructured remittance text, unless it is an
    ISO 11649 creditor reference, which goes in the structured field.
    """
    name = one_line(bank["beneficiary"])
    iban = compact(bank["iban"])
    bic = compact(bank.get("bic") or "")
    due = Decimal(amount)
    reference, text = "", one_line(number)
    if is_creditor_reference(number):
        reference, text = compact(number), ""
    checks = (
        0 < len(name) <= 70,
        _IBAN_RE.fullmatch(iban),
        not bic or _BIC_RE.fullmatch(bic),
        EPC_MIN <= due <= EPC_MAX,
        len(text) <= 140,
        _printable(name, text),
    )
    if not all(checks):
        logger.debug("Left the EPC QR code out: a field is outside its limits.")
        return None
    amount_text = f"{due:.2f}".rstrip("0").rstrip(".")
    lines = ["BCD", "002", "1", "SCT", bic, name, iban, f"EUR{amount_text}"]
    lines += ["", reference]
    if text:
        lines.append(text)
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > 331:
        logger.debug("Left the EPC QR code out: the payload is too long.")
        return None

    return payload


def crypto_uri(crypto: dict, currency: str, amount: str) -> str | None:
    """Return a BIP21 or EIP-681 payment URI, with the amount when meaningful."""
    network, address = crypto["network"], crypto["address"].strip()
    if not _ADDRESS_RES[network].fullmatch(address):
        logger.debug("Left the crypto payment out: the address looks malformed.")
        return None
    due = Decimal(amount)
    uri = f"{network}:{address}"
    if currency != _NATIVE_CURRENCY[network] or due <= 0:
        return uri
    if network == "bitcoin":
        return f"{uri}?amount={due.normalize():f}"

    return f"{uri}?value={int(due * _WEI_PER_ETHER)}"


def qr_svg(data: str) -> str:
    """Return a QR code of data (level M, as EPC requires) as inline SVG."""
    code = segno.make_qr(data.encode("utf-8"), error="m", boost_error=False)

    return code.svg_inline(**QR_OPTIONS)
