"""The admin's invoice pages: the form, the view and its actions."""

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from admin import ledger, mail, publishing
from admin.db import db
from admin.forms import MAX_LINES, ActionForm, InvoiceForm, PaidForm

bp = Blueprint("invoices", __name__, url_prefix="/invoices")


def _form(invoice=None) -> InvoiceForm:
    if request.method == "POST":
        form = InvoiceForm()
    else:
        form = InvoiceForm(data=ledger.form_data(invoice, current_user))
    wants_row = request.method == "GET" or "add_line" in request.form
    if wants_row and len(form.lines) < MAX_LINES:
        form.lines.append_entry()

    return form


def _adding_line() -> bool:
    return "add_line" in request.form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Record a new draft invoice."""
    form = _form()
    if not _adding_line() and form.validate_on_submit():
        invoice = ledger.create_draft(current_user, form)
        flash(f"Saved the draft for {invoice.client_name}.")
        return redirect(url_for("invoices.view", invoice_id=invoice.id))

    return render_template("invoices/form.html", form=form, invoice=None)


@bp.route("/<id:invoice_id>")
@login_required
def view(invoice_id: int):
    """Show an invoice with its actions, its link and its mail."""
    invoice = ledger.get_owned(current_user, invoice_id)

    return render_template(
        "invoices/view.html",
        invoice=invoice,
        amounts=ledger.line_amounts(invoice),
        due=ledger.amount_due(invoice),
        url=publishing.share_url(invoice),
        mails=[(row, mail.describe(row)) for row in invoice.mails],
        standing=mail.standing(current_user),
        action=ActionForm(),
        paid_form=PaidForm(data={"paid_on": dt.date.today()}),
    )


@bp.route("/<id:invoice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(invoice_id: int):
    """Change a draft."""
    invoice = ledger.get_owned(current_user, invoice_id)
    if invoice.status != "draft":
        raise ledger.StateError("Only a draft can be edited; void it and start anew.")
    form = _form(invoice)
    if not _adding_line() and form.validate_on_submit():
        ledger.update_draft(invoice, form)
        flash("Saved the draft.")
        return redirect(url_for("invoices.view", invoice_id=invoice.id))

    return render_template("invoices/form.html", form=form, invoice=invoice)


def _action(invoice_id: int, *, lock: bool = True):
    # CSRFProtect has checked the token of every POST before the view runs.
    return ledger.get_owned(current_user, invoice_id, lock=lock)


def _back(invoice_id: int):
    return redirect(url_for("invoices.view", invoice_id=invoice_id))


@bp.route("/<id:invoice_id>/copy", methods=["POST"])
@login_required
def copy(invoice_id: int):
    """Start a new draft from this invoice (a correction is void plus copy)."""
    draft = ledger.copy_as_draft(_action(invoice_id, lock=False))
    flash("Started a new draft from the invoice; change it and issue it.")
    return redirect(url_for("invoices.edit", invoice_id=draft.id))


@bp.route("/<id:invoice_id>/delete", methods=["POST"])
@login_required
def delete(invoice_id: int):
    """Delete a draft."""
    ledger.delete_draft(_action(invoice_id))
    flash("Deleted the draft.")
    return redirect(url_for("dashboard.index"))


@bp.route("/<id:invoice_id>/issue", methods=["POST"])
@login_required
def issue(invoice_id: int):
    """Issue a draft: number it, publish its page, maybe email the client."""
    invoice = _action(invoice_id)
    ledger.issue(invoice)
    flash(f"Issued {invoice.number}.")
    return _back(invoice_id)


@bp.route("/<id:invoice_id>/paid", methods=["POST"])
@login_required
def paid(invoice_id: int):
    """Mark an open invoice paid."""
    form = PaidForm()
    invoice = ledger.get_owned(current_user, invoice_id, lock=True)
    if not form.validate_on_submit():
        flash(f"Paid on: {ledger.first_form_error(form)}", "error")
        return _back(invoice_id)
    try:
        ledger.mark_paid(invoice, form.paid_on.data)
    except ledger.StateError:
        raise  # answered with 409 like every other action out of place
    except ValueError as exc:
        flash(f"Paid on: {exc}", "error")
        return _back(invoice_id)
    flash(f"Marked {invoice.number} paid.")
    return _back(invoice_id)


@bp.route("/<id:invoice_id>/void", methods=["POST"])
@login_required
def void(invoice_id: int):
    """Void an open invoice for good."""
    invoice = _action(invoice_id)
    ledger.void(invoice)
    flash(f"Voided {invoice.number}; its page now says not to pay.")
    return _back(invoice_id)


@bp.route("/<id:invoice_id>/rotate", methods=["POST"])
@login_required
def rotate(invoice_id: int):
    """Give the invoice a new link; the old one stops working."""
    ledger.rotate(_action(invoice_id))
    flash("Made a new link; the old one no longer works.")
    return _back(invoice_id)


@bp.route("/<id:invoice_id>/publish", methods=["POST"])
@login_required
def publish(invoice_id: int):
    """Retry publishing the invoice's page."""
    invoice = _action(invoice_id, lock=False)
    if invoice.status == "draft":
        raise ledger.StateError("A draft has no page; issue it first.")
    ledger.after_change(invoice)
    if invoice.publish_state == "published":
        flash("Published the page.")
    else:
        flash(f"Still not published: {invoice.publish_error}", "error")
    return _back(invoice_id)


@bp.route("/<id:invoice_id>/mail/retry", methods=["POST"])
@login_required
def retry_mail(invoice_id: int):
    """Retry the invoice's pending email."""
    invoice = _action(invoice_id, lock=False)
    mail.deliver(invoice)
    flash("Tried the pending email again; see its state below.")
    return _back(invoice_id)


@bp.route("/<id:invoice_id>/mail/resend", methods=["POST"])
@login_required
def resend_mail(invoice_id: int):
    """Email the link to the client once more (counts against the cap)."""
    invoice = _action(invoice_id)
    try:
        row = mail.queue_resend(invoice)
    except mail.MailNotAllowed as exc:
        flash(f"Not sent: {exc}", "error")
        return _back(invoice_id)
    db.session.commit()
    mail.deliver(invoice)
    db.session.refresh(row)
    flash(mail.describe(row))
    return _back(invoice_id)
