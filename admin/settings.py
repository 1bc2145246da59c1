"""Every paypages setting, its default and its meaning, in one table.

Each name can be set from the environment as ``PAYPAGES_<NAME>``; values
are read as JSON where they parse as JSON (``PAYPAGES_EMAIL_DAILY_CAP=50``)
and as plain strings otherwise. The README's settings table is printed from
this one by ``paypages settings``.
"""

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent

# name: (default, meaning). A default of None means "derived at start-up".
SETTINGS: dict[str, tuple[object, str]] = {
    "SECRET_KEY": (
        None,
        "Signs sessions and CSRF tokens. Required outside the local demo; "
        "`paypages run` makes a random one once and keeps it in the "
        "instance folder.",
    ),
    "INSTANCE_PATH": (
        None,
        "Folder for the database, the local publish folder, the Maildir and "
        "the demo secret key. Default: `instance/` in the checkout.",
    ),
    "DATABASE_URL": (
        None,
        "Any SQLAlchemy URL. Default: SQLite `paypages.sqlite` in the "
        "instance folder (WAL, foreign keys on).",
    ),
    "CONTENT_DIR": (
        None,
        "Where each page's source file is written. Default: `content/` in "
        "the checkout.",
    ),
    "OUTPUT_DIR": (
        None,
        "Where Pelican writes the built pages. Default: `output/` in the checkout.",
    ),
    "PUBLISH_URL": (
        None,
        "`file:///folder` or `s3://bucket/prefix`. Default: `public/` in the "
        "instance folder.",
    ),
    "S3_ENDPOINT_URL": (
        None,
        "Endpoint of a non-AWS S3 service (R2, MinIO, B2). Credentials and "
        "region come from boto3's usual chain.",
    ),
    "PUBLIC_BASE_URL": (
        "http://127.0.0.1:8001",
        "Where clients reach the published pages; a share link is this plus "
        "the page's path.",
    ),
    "SMTP_URL": (
        None,
        "`smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`. "
        "Unset: mail is saved to a Maildir in the instance folder.",
    ),
    "MAIL_FROM": (
        "paypages <paypages@localhost>",
        "The deployment's own sender address; replies go to the owner.",
    ),
    "VALIDATION_PAID_INVOICES": (
        3,
        "Paid invoices after which an account may email its clients automatically.",
    ),
    "EMAIL_DAILY_CAP": (
        20,
        "Client emails a validated account may send per day (UTC).",
    ),
    "LOGIN_RATE_LIMIT": (
        "10 per 15 minutes",
        "Failed sign-ins allowed per address and per account.",
    ),
    "PASSWORD_HASH": (
        "scrypt:131072:8:1",
        "werkzeug hash method for passwords; never below scrypt N=2^17.",
    ),
    "SESSION_COOKIE_SECURE": (
        False,
        "Mark the session cookie Secure even on plain-http requests, for an "
        "admin behind a proxy that ends TLS; over https it always is.",
    ),
    "INVOICES_PER_PAGE": (50, "Invoices per page in the admin's list."),
    "RATELIMIT_STORAGE_URI": (
        "memory://",
        "Where sign-in attempts are counted (Flask-Limiter storage URI); use "
        "a shared store such as Redis with several admin processes.",
    ),
}


def defaults() -> dict[str, object]:
    """Return the settings that have a fixed default."""
    return {name: value for name, (value, _) in SETTINGS.items() if value is not None}
