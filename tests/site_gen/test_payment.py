import pytest

from site_gen.payment import crypto_uri, epc_payload, is_creditor_reference


def epc_lines(bic, name, iban, amount, reference, text):
    lines = ["BCD", "002", "1", "SCT", bic, name, iban, amount, "", reference]
    return lines + ([text] if text else [])


@pytest.mark.parametrize(
    "due, amount",
    [
        ("3000.00", "EUR3000"),
        ("184.60", "EUR184.6"),
        ("0.01", "EUR0.01"),
        ("1234.56", "EUR1234.56"),
        ("100", "EUR100"),
    ],
)
def test_epc_qr_on_the_page_scans_to_the_payload(
    site, make_page, decode_qr, due, amount
):
    page = make_page()
    page["totals"]["due"] = due

    html = site.render(page)

    [scanned] = decode_qr(html)
    assert scanned.split("\n") == epc_lines(
        "COBADEFFXXX",
        "Bits'n'Bugs",
        "DE89370400440532013000",
        amount,
        "",
        "INV-2026-0001",
    )


def test_epc_creditor_reference_goes_in_the_structured_field(
    site, make_page, decode_qr
):
    page = make_page(number="RF18 5390 0754 7034")

    [scanned] = decode_qr(site.render(page))

    assert scanned.split("\n") == epc_lines(
        "COBADEFFXXX",
        "Bits'n'Bugs",
        "DE89370400440532013000",
        "EUR3005.64",
        "RF18539007547034",
        "",
    )


def test_epc_keeps_non_ascii_names_in_utf8(site, make_page, decode_qr):
    page = make_page()
    page["payment"]["bank"]["beneficiary"] = "UAB „Šiaurės žvaigždė“"

    [scanned] = decode_qr(site.render(page))

    assert scanned.split("\n")[2] == "1"
    assert scanned.split("\n")[5] == "UAB „Šiaurės žvaigždė“"


def test_epc_name_and_text_are_single_lines():
    bank = {"beneficiary": "Bits\n'n'\u2028Bugs", "iban": "DE89370400440532013000"}

    payload = epc_payload(bank, "10", "INV\r\n1")

    assert payload.split("\n") == epc_lines(
        "", "Bits 'n' Bugs", "DE89370400440532013000", "EUR10", "", "INV 1"
    )


@pytest.mark.parametrize("currency", ["USD", "GBP", "BTC"])
def test_no_epc_qr_outside_euro(site, make_page, currency):
    html = site.render(make_page(currency=currency))

    assert "<svg" not in html
    assert "DE89 3704 0044 0532 0130 00" in html


@pytest.mark.parametrize(
    "change",
    [
        {"beneficiary": "x" * 71},
        {"iban": "not an iban"},
        {"bic": "TOO-SHORT"},
    ],
)
def test_no_epc_qr_when_a_field_is_out_of_bounds(change):
    bank = {"beneficiary": "B", "iban": "DE89370400440532013000", "bic": ""}

    assert epc_payload({**bank, **change}, "10", "INV-1") is None


@pytest.mark.parametrize("due", ["0", "0.00", "1000000000"])
def test_no_epc_qr_for_amounts_it_cannot_carry(due):
    bank = {"beneficiary": "B", "iban": "DE89370400440532013000", "bic": ""}

    assert epc_payload(bank, due, "INV-1") is None


@pytest.mark.parametrize(
    "value, valid",
    [
        ("RF18539007547034", True),
        ("RF18 5390 0754 7034", True),
        ("RF19539007547034", False),
        ("INV-2026-0001", False),
    ],
)
def test_creditor_reference_check(value, valid):
    assert is_creditor_reference(value) is valid


BTC = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


@pytest.mark.parametrize(
    "network, address, currency, due, uri",
    [
        ("bitcoin", BTC, "BTC", "0.01500000", f"bitcoin:{BTC}?amount=0.015"),
        ("bitcoin", BTC, "EUR", "100.00", f"bitcoin:{BTC}"),
        ("ethereum", ETH, "ETH", "1.5", f"ethereum:{ETH}?value=1500000000000000000"),
        ("ethereum", ETH, "USD", "10.00", f"ethereum:{ETH}"),
        ("ethereum", "0x123", "ETH", "1", None),
        ("bitcoin", "bc1 q<script>", "BTC", "1", None),
    ],
)
def test_crypto_uri(network, address, currency, due, uri):
    crypto = {"network": network, "address": address}

    assert crypto_uri(crypto, currency, due) == uri


def test_crypto_qr_on_the_page_scans_to_the_uri(site, make_page, decode_qr):
    page = make_page(currency="BTC")
    page["totals"]["due"] = "0.0042"
    page["payment"]["crypto"] = {"network": "bitcoin", "address": BTC}

    html = site.render(page)

    assert decode_qr(html) == [f"bitcoin:{BTC}?amount=0.0042"]
    assert f'href="bitcoin:{BTC}?amount=0.0042"' in html


def test_beneficiary_defaults_to_the_seller(site, make_page, decode_qr):
    page = make_page()
    page["payment"]["bank"]["beneficiary"] = None
    page["payment"]["bank"]["bic"] = None

    html = site.render(page)

    assert decode_qr(html)[0].split("\n")[4:6] == ["", "Bits'n'Bugs"]
