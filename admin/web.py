"""What every admin page shares: extensions, errors, headers, filters."""

import datetime as dt
import logging

from babel.dates import format_date
from flask import Flask, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from admin import money
from admin.i18n import LANGUAGES

logger = logging.getLogger(__name__)

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)

ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


class StateError(ValueError):
    """The action does not fit the invoice's state (answered with 409)."""


class IdConverter(IntegerConverter):
    """A database id in a URL: a positive integer that fits in 63 bits."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**63 - 1)


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the admin is served over https."""

    def get_cookie_secure(self, app):
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    """Attach the extensions, error pages, headers and template filters."""
    app.session_interface = SessionInterface()
    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.signin"
    login_manager.login_message = "Sign in to continue."
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(StateError, _state_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.jinja_env.filters["money"] = _money_filter
    app.jinja_env.filters["minor"] = _minor_filter
    app.jinja_env.filters["day"] = _day_filter
    app.jinja_env.filters["plain"] = money.plain
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, field: str | None = None):
    """Return the API's error reply: ``{"error": ..., "field": ...}``."""
    return jsonify({"error": message, "field": field}), status


def _http_error(exc: HTTPException):
    message = exc.description or exc.name
    if exc.code == 429:
        message = "Too many attempts; wait a few minutes and try again."
    if wants_json():
        return json_error(exc.code or 500, message)
    return render_template("error.html", code=exc.code, message=message), exc.code


def _csrf_error(exc: CSRFError):
    message = "The form expired or came from another site; reload and try again."
    if wants_json():
        return json_error(400, message)
    return render_template("error.html", code=400, message=message), 400


def _state_error(exc: StateError):
    if wants_json():
        return json_error(409, str(exc), "status")
    return render_template("error.html", code=409, message=str(exc)), 409


def _unexpected_error(exc: Exception):
    logger.exception("Unexpected error on %s %s", request.method, request.endpoint)
    message = "Something went wrong on our side; nothing was changed by it."
    if wants_json():
        return json_error(500, message)
    return render_template("error.html", code=500, message=message), 500


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", ADMIN_CSP)
    if request.endpoint and request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")

    return response


def _money_filter(amount, currency: str, language: str = "en") -> str:
    return money.format_money(amount, currency, language)


def _minor_filter(minor: int, currency: str, language: str = "en") -> str:
    return money.format_money(money.from_minor(minor, currency), currency, language)


def _day_filter(day: dt.date | None, language: str = "en") -> str:
    return format_date(day, format="medium", locale=language) if day else ""
