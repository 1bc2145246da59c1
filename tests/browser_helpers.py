"""The product served on free ports, and an owner's steps through the admin."""

import datetime as dt
import os
import shutil
import struct
import threading
import urllib.parse
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import make_server

from admin import create_app
from admin.db import db
from admin.pages_server import QuietRequestHandler, local_folder, pages_app

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine may have no network: without these, Chromium keeps trying
    # to reach Google's services and floods the log with refused connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
PAY_LINK = "https://pay.example/jonas-jonaitis"
BANK = {
    "beneficiary": "Jonas Jonaitis",
    "iban": "LT12 1000 0111 0100 1000",
    "bic": "HABALT22",
}
LINES = [
    ("Svetainės dizainas, 12 val.", "12", "85.00"),
    ("Prieglobos paslaugos, 2027 m.", "1", "214.50"),
]
TOTAL_LT = "1 234,50 €"


def find_chromium() -> str | None:
    """Return the path of the system Chromium, or None when there is none."""
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )


@dataclass
class Product:
    """The admin and the pages server, each on its own 127.0.0.1 port."""

    root: Path
    servers: list = field(default_factory=list)
    app: object = None

    def start(self) -> None:
        public = self.root / "public"
        public.mkdir(parents=True)
        folder = local_folder(public.as_uri())
        pages = make_server(
            "127.0.0.1",
            0,
            pages_app(folder),
            threaded=True,
            request_handler=QuietRequestHandler,
        )
        self.app = create_app(
            {
                "INSTANCE_PATH": self.root / "instance",
                "DATABASE_URL": f"sqlite:///{self.root / 'paypages.sqlite'}",
                "CONTENT_DIR": str(self.root / "content"),
                "OUTPUT_DIR": str(self.root / "output"),
                "PUBLISH_URL": public.as_uri(),
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{pages.server_port}",
                "SMTP_URL": None,
            },
            local_demo=True,
        )
        with self.app.app_context():
            upgrade()
        admin = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.servers = [admin, pages]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        with self.app.app_context():
            db.engine.dispose()

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.servers[0].server_port}"

    @property
    def pages_origin(self) -> str:
        return f"http://127.0.0.1:{self.servers[1].server_port}"


def origin(url: str) -> str:
    """Return the scheme://host:port of a URL."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_up(page, product: Product, email: str) -> None:
    """Create an owner account through the sign-up form."""
    page.goto(product.admin_url + "/signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/signup" not in url)


def fill_profile(page, product: Product) -> None:
    """Give the owner a name, a payment link and a bank account."""
    page.goto(product.admin_url + "/profile/")
    page.fill("#display_name", "Jonas Jonaitis, web design")
    page.fill("#address", "Gedimino pr. 1\nLT-01103 Vilnius")
    page.fill("#tax_id", "LT100001234567")
    page.fill("#payment-link", PAY_LINK)
    for name, value in BANK.items():
        page.fill(f"#payment-bank-{name}", value)
    page.click("text=Save profile")
    page.wait_for_selector("text=Saved your profile.")


def record_invoice(page, product: Product, client: str = "UAB Ąžuolas") -> None:
    """Record a draft for a Lithuanian client with two lines in EUR."""
    page.goto(product.admin_url + "/invoices/new")
    today = dt.date.today()
    page.fill("#client-name", client)
    page.fill("#client-address", "Laisvės al. 10\nLT-44240 Kaunas")
    page.select_option("#client-language", "lt")
    page.fill("#currency", "EUR")
    page.fill("#issue_date", today.isoformat())
    page.fill("#due_date", (today + dt.timedelta(days=14)).isoformat())
    for row, (description, quantity, unit_price) in enumerate(LINES):
        page.fill(f"#lines-{row}-description", description)
        page.fill(f"#lines-{row}-quantity", quantity)
        page.fill(f"#lines-{row}-unit_price", unit_price)
        page.fill(f"#lines-{row}-tax_percent", "0")
    page.fill("#notes", "Ačiū už bendradarbiavimą!")
    page.click("text=Save draft")
    page.wait_for_selector("text=Saved the draft")


def issue(page) -> str:
    """Issue the draft on the page and return the invoice's number."""
    page.click("button:text-is('Issue')")
    page.wait_for_selector("#share")

    return page.locator("h1").inner_text().split()[0]


def read_png_gray(data: bytes):
    """Decode an 8-bit RGB(A) PNG as Chromium writes it into gray pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"]
    )
    assert depth == 8 and color in (2, 6) and not interlace, "unexpected PNG"
    channels = 4 if color == 6 else 3
    stride = width * channels
    raw = zlib.decompress(chunks[b"IDAT"])
    previous = bytearray(stride)
    gray = bytearray()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        gray += bytes(
            (line[x] + line[x + 1] + line[x + 2]) // 3
            for x in range(0, stride, channels)
        )
        previous = line

    return memoryview(bytes(gray)).cast("B", (height, width))


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> None:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        corner = above[i - bpp] if i >= bpp else 0
        if kind == 1:
            guess = left
        elif kind == 2:
            guess = up
        elif kind == 3:
            guess = (left + up) // 2
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
        else:
            guess = 0
        line[i] = (line[i] + guess) & 0xFF
