"""The database handle, and SQLite made safe for several writers."""

import sqlite3

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # SQLAlchemy emits BEGIN itself (see _sqlite_begin), so that a write
    # transaction can take the lock before it reads.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("sqlite_immediate") or _may_write():
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _may_write() -> bool:
    # In WAL mode a transaction that read first cannot take the write lock
    # once another writer has committed (SQLITE_BUSY_SNAPSHOT, no waiting).
    # So every transaction that may write takes the lock at its start and
    # waits its turn; only the admin's page views read without it.
    if not has_request_context():
        return True
    return request.method not in ("GET", "HEAD") or request.path.startswith("/api/")


def begin_write() -> None:
    """Start the session's transaction holding the write lock.

    On SQLite a transaction that reads and then writes can fail at once when
    another writer committed in between; taking the lock first makes
    concurrent writers queue instead. Other databases use row locks.
    """
    if db.session().in_transaction():
        db.session.commit()
    db.session.connection(execution_options={"sqlite_immediate": True})
