"""What has been uploaded where: the sha256 of each published object.

The manifest only ever records an object after its upload succeeded, so a
failed publish leaves it describing exactly what the target holds and a
retry uploads what is still missing.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (target, key)
)
"""


class Manifest:
    """The sha256 of every object uploaded to one target, kept in SQLite."""

    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def get(self, key: str) -> str | None:
        """Return the sha256 recorded for a key, or None."""
        with self._connect() as db:
            row = db.execute(
                "SELECT sha256 FROM objects WHERE target = ? AND key = ?",
                (self.target, key),
            ).fetchone()

        return row[0] if row else None

    def all(self) -> dict[str, str]:
        """Return every recorded key with its sha256."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT key, sha256 FROM objects WHERE target = ?", (self.target,)
            ).fetchall()

        return dict(rows)

    def record(self, key: str, sha256: str) -> None:
        """Record that a key now holds content with this sha256."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO objects (target, key, sha256) VALUES (?, ?, ?) "
                "ON CONFLICT (target, key) DO UPDATE SET sha256 = excluded.sha256",
                (self.target, key, sha256),
            )

    def forget(self, key: str) -> None:
        """Forget a key after its object was deleted."""
        with self._connect() as db:
            db.execute(
                "DELETE FROM objects WHERE target = ? AND key = ?", (self.target, key)
            )
