"""API tokens: shown once, stored only as a hash."""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from admin.db import db
from admin.models import ApiToken, Owner, utcnow

PREFIX = "pp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(owner: Owner, name: str = "") -> tuple[ApiToken, str]:
    """Make a token for the owner; return the row and the secret to show once."""
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        owner=owner, name=name, token_hash=_digest(secret), prefix=secret[:10]
    )
    db.session.add(row)
    db.session.commit()

    return row, secret


def revoke(row: ApiToken) -> None:
    """Stop a token from working."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()


def owner_for(secret: str) -> Owner | None:
    """Return the owner a live token belongs to, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _digest(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        row.last_used_at = now
        db.session.commit()

    return row.owner


def live(owner: Owner) -> list[ApiToken]:
    """Return the owner's tokens that still work, newest first."""
    return db.session.scalars(
        select(ApiToken)
        .where(ApiToken.owner_id == owner.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    ).all()
