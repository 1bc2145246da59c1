"""The owner's profile, which every page shows, and API tokens."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user

from admin import auth, tokens
from admin.db import db
from admin.forms import ActionForm, PasswordForm, ProfileForm, TokenForm
from admin.ledger import PAYMENT_FIELDS
from admin.models import ApiToken

bp = Blueprint("profile", __name__, url_prefix="/profile")


def profile_data(owner) -> dict:
    """Return the profile as the form's nested values."""
    return {
        "display_name": owner.display_name,
        "address": owner.address,
        "tax_id": owner.tax_id,
        "reply_to": owner.reply_to,
        "default_currency": owner.default_currency,
        "default_language": owner.default_language,
        "payment": {
            "link": owner.pay_link,
            "bank": {
                "beneficiary": owner.bank_beneficiary,
                "iban": owner.bank_iban,
                "bic": owner.bank_bic,
            },
            "crypto": {
                "network": owner.crypto_network,
                "address": owner.crypto_address,
            },
        },
    }


def apply_profile(owner, form: ProfileForm) -> None:
    """Copy a validated profile form onto the owner."""
    owner.display_name = form.display_name.data or ""
    owner.address = form.address.data or ""
    owner.tax_id = form.tax_id.data or ""
    owner.reply_to = form.reply_to.data or ""
    owner.default_currency = form.default_currency.data
    owner.default_language = form.default_language.data
    payment = form.payment.form
    values = (
        payment.link.data,
        payment.bank.form.beneficiary.data,
        payment.bank.form.iban.data,
        payment.bank.form.bic.data,
        payment.crypto.form.network.data,
        payment.crypto.form.address.data,
    )
    for name, value in zip(PAYMENT_FIELDS, values, strict=True):
        setattr(owner, name, value or "")


@bp.route("/", methods=["GET", "POST"])
@login_required
def edit():
    """Change what the owner's pages show."""
    form = ProfileForm(data=profile_data(current_user))
    if form.validate_on_submit():
        apply_profile(current_user, form)
        db.session.commit()
        flash("Saved your profile.")
        return redirect(url_for("profile.edit"))

    return render_template("profile/edit.html", form=form)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def api_tokens():
    """List the API tokens and make a new one."""
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        _, secret = tokens.create(current_user, form.name.data or "")
        flash("Made a new token. Copy it now: it is not shown again.")

    return render_template(
        "profile/tokens.html",
        form=form,
        secret=secret,
        tokens=tokens.live(current_user),
        action=ActionForm(),
    )


@bp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of the owner's API tokens."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.owner_id != current_user.id:
        abort(404)
    tokens.revoke(row)
    flash("Revoked the token.")
    return redirect(url_for("profile.api_tokens"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change the owner's password and sign out every other session."""
    form = PasswordForm()
    if form.validate_on_submit():
        if auth.verify(current_user.email, form.current.data) is None:
            form.current.errors.append("That is not your current password.")
        else:
            current_user.password_hash = auth.hash_password(form.new.data)
            auth.end_sessions(current_user)
            db.session.commit()
            login_user(current_user)
            flash("Changed your password; other sessions are signed out.")
            return redirect(url_for("profile.edit"))

    return render_template("profile/password.html", form=form)
