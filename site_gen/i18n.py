"""Labels of the payment page in each language, and Babel formatting."""

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

DEFAULT_LANGUAGE = "en"

LABELS = {
    "en": {
        "invoice": "Invoice",
        "billed_by": "From",
        "billed_to": "Billed to",
        "tax_id": "Tax ID",
        "number": "Invoice number",
        "issue_date": "Issue date",
        "due_date": "Due date",
        "status": "Status",
        "status_open": "Open",
        "status_overdue": "Overdue",
        "status_paid": "Paid",
        "status_void": "Void",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "discount": "Discount",
        "tax_rate": "Tax",
        "amount": "Amount",
        "net": "Subtotal",
        "tax": "Tax",
        "total": "Total",
        "due": "Amount due",
        "notes": "Notes",
        "how_to_pay": "How to pay",
        "pay_online": "Pay online",
        "pay_button": "Pay {amount}",
        "bank_transfer": "Bank transfer",
        "beneficiary": "Beneficiary",
        "iban": "IBAN",
        "bic": "BIC",
        "reference": "Reference",
        "copy_action": "Copy",
        "copied": "Copied",
        "scan_epc": "Scan with your banking app to fill in the transfer.",
        "crypto": "Cryptocurrency",
        "network_bitcoin": "Bitcoin",
        "network_ethereum": "Ethereum",
        "crypto_address": "Address",
        "open_wallet": "Open in wallet",
        "scan_wallet": "Scan with your wallet app.",
        "i_have_paid": "I have paid",
        "paid_subject": "Payment for invoice {number}",
        "paid_on": "Paid on {date}",
        "voided": "This invoice was voided — do not pay.",
        "print": "Print / save as PDF",
    },
    "lt": {
        "invoice": "Sąskaita faktūra",
        "billed_by": "Pardavėjas",
        "billed_to": "Pirkėjas",
        "tax_id": "PVM mokėtojo kodas",
        "number": "Sąskaitos numeris",
        "issue_date": "Išrašymo data",
        "due_date": "Apmokėti iki",
        "status": "Būsena",
        "status_open": "Laukia apmokėjimo",
        "status_overdue": "Pavėluota",
        "status_paid": "Apmokėta",
        "status_void": "Anuliuota",
        "description": "Aprašymas",
        "quantity": "Kiekis",
        "unit_price": "Vieneto kaina",
        "discount": "Nuolaida",
        "tax_rate": "PVM tarifas",
        "amount": "Suma",
        "net": "Suma be PVM",
        "tax": "PVM",
        "total": "Iš viso",
        "due": "Mokėtina suma",
        "notes": "Pastabos",
        "how_to_pay": "Kaip apmokėti",
        "pay_online": "Apmokėjimas internetu",
        "pay_button": "Mokėti {amount}",
        "bank_transfer": "Bankinis pavedimas",
        "beneficiary": "Gavėjas",
        "iban": "Sąskaitos nr. (IBAN)",
        "bic": "Banko kodas (BIC)",
        "reference": "Mokėjimo paskirtis",
        "copy_action": "Kopijuoti",
        "copied": "Nukopijuota",
        "scan_epc": "Nuskenuokite banko programėle, kad užpildytumėte pavedimą.",
        "crypto": "Kriptovaliuta",
        "network_bitcoin": "Bitkoinas",
        "network_ethereum": "Eteris (Ethereum)",
        "crypto_address": "Adresas",
        "open_wallet": "Atidaryti piniginėje",
        "scan_wallet": "Nuskenuokite piniginės programėle.",
        "i_have_paid": "Aš sumokėjau",
        "paid_subject": "Apmokėjimas pagal sąskaitą {number}",
        "paid_on": "Apmokėta {date}",
        "voided": "Ši sąskaita anuliuota — nemokėkite.",
        "print": "Spausdinti / išsaugoti PDF",
    },
}


def pick_language(language: str) -> str:
    """Return the supported language closest to ``language``, else English."""
    base = language.replace("_", "-").split("-")[0].lower()

    return base if base in LABELS else DEFAULT_LANGUAGE


def labels(language: str) -> dict[str, str]:
    """Return the labels for a supported language."""
    return LABELS[pick_language(language)]


def money(amount: str, currency: str, language: str) -> str:
    """Format an amount in a currency as the language writes it, never rounding."""
    return format_currency(
        Decimal(amount), currency, locale=language, decimal_quantization=False
    )


def number(value: str, language: str) -> str:
    """Format a plain decimal number, such as a quantity."""
    return format_decimal(Decimal(value), locale=language, decimal_quantization=False)


def percent(value: str, language: str) -> str:
    """Format a percentage given in percent, such as '21' for 21 %."""
    return format_percent(
        Decimal(value) / 100, locale=language, decimal_quantization=False
    )


def long_date(iso: str, language: str) -> str:
    """Format an ISO date in the language's long form."""
    return format_date(date.fromisoformat(iso), format="long", locale=language)
