import copy
import re
from datetime import date

import pytest
import zxingcpp

from site_gen import Site

TODAY = date(2026, 12, 10)

PAGE = {
    "token": "Tok3n_for-the-whole-page-test",
    "language": "en",
    "status": "open",
    "number": "INV-2026-0001",
    "currency": "EUR",
    "issue_date": "2026-12-03",
    "due_date": "2026-12-17",
    "paid_on": None,
    "seller": {
        "name": "Bits'n'Bugs",
        "address": "Gedimino pr. 1\nLT-01103 Vilnius",
        "tax_id": "LT100001234567",
        "email": "billing@bits.example",
    },
    "client": {"name": "ACME Widgets Ltd", "address": "1 Main Street\nSpringfield"},
    "lines": [
        {
            "description": "Website redesign",
            "quantity": "1",
            "unit_price": "2500.00",
            "discount_percent": "10",
            "tax_percent": "21",
            "net": "2250.00",
            "tax": "472.50",
            "total": "2722.50",
        },
        {
            "description": "Hosting, 12 months",
            "quantity": "12",
            "unit_price": "19.50",
            "discount_percent": "0",
            "tax_percent": "21",
            "net": "234.00",
            "tax": "49.14",
            "total": "283.14",
        },
    ],
    "totals": {"net": "2484.00", "tax": "521.64", "total": "3005.64", "due": "3005.64"},
    "payment": {
        "link": "https://pay.example/checkout/abc",
        "bank": {
            "beneficiary": "Bits'n'Bugs",
            "iban": "de89 3704 0044 0532 0130 00",
            "bic": "cobadeffxxx",
        },
        "crypto": None,
    },
    "notes": "Thank you for your business.\n\nQuestions? Write to **billing**.",
}


@pytest.fixture
def make_page():
    """Return a factory of page dicts: the fixed page with some changes."""

    def make(**changes):
        page = copy.deepcopy(PAGE)
        page.update(changes)
        return page

    return make


@pytest.fixture
def make_site(tmp_path):
    """Return a factory of sites in a temporary folder."""

    def make(publish_url=None, **settings):
        values = {
            "content_dir": tmp_path / "content",
            "output_dir": tmp_path / "output",
            "publish_url": publish_url or (tmp_path / "public").as_uri(),
            "public_base_url": "http://127.0.0.1:8001",
            "manifest_path": tmp_path / "manifest.sqlite",
            "today": TODAY,
        }
        values.update(settings)
        return Site(**values)

    return make


@pytest.fixture
def site(make_site):
    return make_site()


def output_tree(root):
    """Return every file under root, as posix paths relative to it."""
    return sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()
    )


def rasterize_svg_qr(svg, scale=4):
    """Draw a segno inline SVG QR code as a grayscale image, dark modules black."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)
    modules = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, args in re.findall(r"([MmHhVv])([^MmHhVv]*)", path):
        numbers = [float(n) for n in args.replace(",", " ").split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            for column in range(int(x), int(x + numbers[0])):
                modules[int(y)][column] = True
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected SVG path command {command}")
    pixels = bytearray()
    for row in modules:
        line = bytes(0 if dark else 255 for dark in row for _ in range(scale))
        pixels += line * scale
    width = size * scale
    return memoryview(pixels).cast("B", (width, width))


def decode_qr_codes(html):
    """Return the text of every QR code drawn in a page, in page order."""
    texts = []
    for svg in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        found = zxingcpp.read_barcodes(rasterize_svg_qr(svg))
        assert len(found) == 1, "a QR code on the page could not be decoded"
        texts.append(found[0].text)
    return texts


@pytest.fixture
def decode_qr():
    return decode_qr_codes


@pytest.fixture
def tree():
    return output_tree
