"""Owners sign up, sign in and sign out."""

import functools
import hashlib
import logging
import re
import urllib.parse

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from admin.db import db
from admin.forms import SignInForm, SignUpForm
from admin.models import Owner
from admin.web import limiter, login_manager

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

MIN_SCRYPT_N = 2**17
SIGN_IN_FAILED = "Wrong email or password."


def init_app(app) -> None:
    """Refuse a password hash weaker than scrypt at N=2^17."""
    method = app.config["PASSWORD_HASH"]
    match = re.fullmatch(r"scrypt:(\d+):(\d+):(\d+)", method)
    weak = not match or int(match.group(1)) < MIN_SCRYPT_N
    # Tests may hash faster; a test checks the real default separately.
    if weak and not app.testing:
        from admin import ConfigError

        raise ConfigError(
            f"PAYPAGES_PASSWORD_HASH {method!r} is weaker than scrypt with "
            f"N=2^17; use 'scrypt:{MIN_SCRYPT_N}:8:1' or stronger."
        )


@login_manager.user_loader
def load_owner(session_id: str) -> Owner | None:
    owner_id, _, version = session_id.partition(":")
    if not (owner_id.isdigit() and version.isdigit()):
        return None
    owner = db.session.get(Owner, int(owner_id))
    if owner is None or owner.session_version != int(version):
        return None  # signed out, or the password changed, since

    return owner


def end_sessions(owner: Owner) -> None:
    """Invalidate every session of the owner, wherever its cookie is kept."""
    owner.session_version += 1


def hash_password(password: str) -> str:
    """Hash a password with the configured scrypt cost."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH"])


@functools.cache
def _decoy_hash(method: str) -> str:
    return generate_password_hash("not a real password", method=method)


def find_owner(email: str) -> Owner | None:
    """Return the owner with this email, whatever its case."""
    email = email.strip().lower()
    return db.session.scalar(select(Owner).where(func.lower(Owner.email) == email))


def create_owner(email: str, password: str) -> Owner:
    """Record a new owner; the caller commits."""
    owner = Owner(email=email.strip().lower(), password_hash=hash_password(password))
    owner.default_language = "en"
    db.session.add(owner)

    return owner


def verify(email: str, password: str) -> Owner | None:
    """Return the owner when the password is right, in the same time either way."""
    owner = find_owner(email)
    if owner is None:
        check_password_hash(_decoy_hash(current_app.config["PASSWORD_HASH"]), password)
        return None

    return owner if check_password_hash(owner.password_hash, password) else None


def _account_key() -> str:
    email = request.form.get("email", "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an owner account and sign it in."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignUpForm()
    if form.validate_on_submit():
        if find_owner(form.email.data):
            form.email.errors.append(
                "An account with this email exists; sign in instead."
            )
        else:
            owner = create_owner(form.email.data, form.password.data)
            db.session.commit()
            _start_session(owner)
            flash("Welcome! Fill in your profile: it is what your clients see.")
            return redirect(url_for("profile.edit"))

    return render_template("auth/signup.html", form=form)


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed
)
def signin():
    """Sign an owner in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    if request.method == "GET" and db.session.scalar(select(Owner.id).limit(1)) is None:
        session.pop("_flashes", None)  # "Sign in to continue" means nothing yet
        return redirect(url_for("auth.signup"))
    form = SignInForm()
    if form.validate_on_submit():
        owner = verify(form.email.data, form.password.data)
        if owner is not None:
            _start_session(owner)
            return redirect(_safe_next() or url_for("dashboard.index"))
        form.password.errors.append(SIGN_IN_FAILED)

    return render_template("auth/signin.html", form=form)


@bp.route("/signout", methods=["POST"])
@login_required
def signout():
    """Sign the owner out, here and in every copy of the session."""
    end_sessions(current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.signin"))


def _start_session(owner: Owner) -> None:
    # A fresh session at sign-in: nothing planted before it carries over,
    # the CSRF token included.
    session.clear()
    login_user(owner)


def _safe_next() -> str | None:
    """Return ``next`` when it is a path on this site, else None."""
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch in target for ch in "\\") or any(
        ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target
    ):
        return None
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc:
        return None

    return target
