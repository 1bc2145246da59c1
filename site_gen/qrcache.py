"""Remember each page's QR codes, so a theme rebuild need not redraw them.

Drawing a QR code (segno choosing the best of eight masks) costs more than
the rest of a page's build put together, and a QR code depends only on its
payload. The cache keeps one SVG per page and slot, replaced when the
payload changes, so it never holds more than the pages do.
"""

import hashlib
import sqlite3
import threading
from pathlib import Path

import segno

from . import payment

_SCHEMA = """
CREATE TABLE IF NOT EXISTS qr_codes (
    token TEXT NOT NULL,
    slot TEXT NOT NULL,
    digest TEXT NOT NULL,
    svg TEXT NOT NULL,
    PRIMARY KEY (token, slot)
)
"""
# A new segno or new drawing options must not reuse old drawings.
_VERSION = f"segno {segno.__version__}; {payment.QR_OPTIONS}"


class QrCache:
    """QR code SVGs by page token and slot, kept in SQLite."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode = WAL")
            # A lost entry is only redrawn: no need to wait for the disk.
            db.execute("PRAGMA synchronous = OFF")
            db.execute(_SCHEMA)
            self._db = db

        return self._db

    def svg(self, token: str, slot: str, data: str) -> str:
        """Return the QR code of data for a page's slot, drawing it if new."""
        digest = hashlib.sha256(f"{_VERSION}\n{data}".encode()).hexdigest()
        with self._lock:
            db = self._connect()
            row = db.execute(
                "SELECT digest, svg FROM qr_codes WHERE token = ? AND slot = ?",
                (token, slot),
            ).fetchone()
            if row and row[0] == digest:
                return row[1]
            svg = payment.qr_svg(data)
            db.execute(
                "INSERT OR REPLACE INTO qr_codes (token, slot, digest, svg) "
                "VALUES (?, ?, ?, ?)",
                (token, slot, digest, svg),
            )

        return svg

    def forget(self, token: str) -> None:
        """Drop the QR codes of a page that is gone."""
        with self._lock:
            self._connect().execute("DELETE FROM qr_codes WHERE token = ?", (token,))


_caches: dict[str, QrCache] = {}
_caches_lock = threading.Lock()


def qr_cache(path: str) -> QrCache:
    """Return this process's cache for a file, opened once."""
    with _caches_lock:
        if path not in _caches:
            _caches[path] = QrCache(Path(path))

        return _caches[path]
