"""The JSON API for owners' scripts: ``Authorization: Bearer <token>``."""

import datetime as dt
import json
from decimal import Decimal

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, FormField

from admin import ledger, tokens
from admin.dashboard import FILTERS, invoice_page
from admin.db import db
from admin.forms import InvoiceForm, ProfileForm, first_error, flatten
from admin.models import Invoice
from admin.profile import apply_profile, profile_data
from admin.web import csrf, json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class BadRequest(ValueError):
    """The request body is not what the API takes."""


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    owner = tokens.owner_for(secret.strip()) if scheme.lower() == "bearer" else None
    if owner is None:
        response, status = json_error(
            401, "Send a valid API token as 'Bearer <token>'."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="paypages"'
        return response, status
    g.owner = owner
    return None


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest):
    return json_error(400, str(exc))


def _body() -> dict:
    try:
        payload = json.loads(request.get_data() or b"{}", parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object.")
    try:
        json.dumps(payload, default=str, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise BadRequest("The body holds a lone UTF-16 surrogate (\\ud800).") from exc

    return payload


def _shape_error(form, values: dict, prefix: str = "") -> tuple[str, str] | None:
    """Name the first value whose JSON type does not fit its field."""
    for key, value in values.items():
        if key not in form._fields or value is None:
            continue  # unknown keys are ignored, null means "left out"
        field, name = form[key], f"{prefix}{key}"
        if isinstance(field, FormField):
            if not isinstance(value, dict):
                return name, "Must be a JSON object."
            found = _shape_error(field.form, value, name + ".")
        elif isinstance(field, FieldList):
            if not isinstance(value, list):
                return name, "Must be a JSON array."
            if len(value) > (field.max_entries or len(value)):
                return name, f"At most {field.max_entries} entries."
            found = None
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    return f"{name}.{index}", "Must be a JSON object."
                entry = field.entries[index] if index < len(field.entries) else None
                if entry is not None:
                    found = found or _shape_error(entry.form, item, f"{name}.{index}.")
        elif isinstance(field, BooleanField):
            found = (
                None if isinstance(value, bool) else (name, "Must be true or false.")
            )
        elif isinstance(value, bool | dict | list):
            found = name, "Must be a string."
        else:
            found = None
        if found:
            return found

    return None


def _merge(base: dict, patch: dict) -> dict:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value

    return merged


def _form(form_class, values: dict):
    form = form_class(formdata=MultiDict(flatten(values)), meta={"csrf": False})
    wrong = _shape_error(form, values)
    if wrong:
        return None, json_error(400, wrong[1], wrong[0])
    if not form.validate():
        field, message = first_error(form.errors)
        return None, json_error(400, message, field)

    return form, None


@bp.get("/invoices")
def list_invoices():
    """List the owner's invoices, newest first, a page at a time."""
    status = request.args.get("status", "all")
    if status not in FILTERS:
        return json_error(400, f"Use a status among {', '.join(FILTERS)}.", "status")
    page = request.args.get("page", 1, type=int)
    per_page = int(current_app.config["INVOICES_PER_PAGE"])
    # Each invoice's lines and mail in two queries, not two per invoice.
    eager = (selectinload(Invoice.lines), selectinload(Invoice.mails))
    invoices, count = invoice_page(
        g.owner.id, status, max(page, 1), per_page, dt.date.today(), eager
    )

    return jsonify(
        invoices=[ledger.to_json(invoice) for invoice in invoices],
        page=max(page, 1),
        pages=max(1, -(-count // per_page)),
        count=count,
    )


@bp.post("/invoices")
def create_invoice():
    """Create a draft; missing payment options come from the profile."""
    values = _merge(ledger.form_data(None, g.owner), _body())
    form, error = _form(InvoiceForm, values)
    if error:
        return error
    invoice = ledger.create_draft(g.owner, form)

    return jsonify(ledger.to_json(invoice)), 201


@bp.get("/invoices/<id:invoice_id>")
def get_invoice(invoice_id: int):
    """Return one invoice."""
    return jsonify(ledger.to_json(ledger.get_owned(g.owner, invoice_id)))


@bp.patch("/invoices/<id:invoice_id>")
def patch_invoice(invoice_id: int):
    """Change a draft; fields left out keep their values."""
    invoice = ledger.get_owned(g.owner, invoice_id)
    if invoice.status != "draft":
        raise ledger.StateError("Only a draft can be edited; void it and start anew.")
    values = _merge(ledger.form_data(invoice, g.owner), _body())
    form, error = _form(InvoiceForm, values)
    if error:
        return error
    ledger.update_draft(invoice, form)

    return jsonify(ledger.to_json(invoice))


@bp.delete("/invoices/<id:invoice_id>")
def delete_invoice(invoice_id: int):
    """Delete a draft."""
    ledger.delete_draft(ledger.get_owned(g.owner, invoice_id, lock=True))
    return "", 204


@bp.post("/invoices/<id:invoice_id>/issue")
def issue_invoice(invoice_id: int):
    """Issue a draft: number, page, and the client's email where allowed."""
    invoice = ledger.get_owned(g.owner, invoice_id, lock=True)
    ledger.issue(invoice)
    return jsonify(ledger.to_json(invoice))


@bp.post("/invoices/<id:invoice_id>/paid")
def paid_invoice(invoice_id: int):
    """Mark an open invoice paid, on ``paid_on`` (default: today)."""
    body = _body()
    try:
        paid_on = dt.date.fromisoformat(str(body.get("paid_on") or dt.date.today()))
    except ValueError:
        return json_error(400, "Use a date such as 2026-12-31.", "paid_on")
    invoice = ledger.get_owned(g.owner, invoice_id, lock=True)
    try:
        ledger.mark_paid(invoice, paid_on)
    except ledger.StateError:
        raise
    except ValueError as exc:
        db.session.rollback()
        return json_error(400, str(exc), "paid_on")

    return jsonify(ledger.to_json(invoice))


@bp.post("/invoices/<id:invoice_id>/void")
def void_invoice(invoice_id: int):
    """Void an open invoice for good."""
    invoice = ledger.get_owned(g.owner, invoice_id, lock=True)
    ledger.void(invoice)
    return jsonify(ledger.to_json(invoice))


@bp.post("/invoices/<id:invoice_id>/rotate-link")
def rotate_link(invoice_id: int):
    """Give the invoice a new link; the old one stops working."""
    invoice = ledger.get_owned(g.owner, invoice_id, lock=True)
    ledger.rotate(invoice)
    return jsonify(ledger.to_json(invoice))


def _profile_json(owner) -> dict:
    return {
        "email": owner.email,
        "display_name": owner.display_name,
        "address": owner.address,
        "tax_id": owner.tax_id,
        "reply_to": owner.reply_to or None,
        "default_currency": owner.default_currency,
        "default_language": owner.default_language,
        "payment": ledger.payment_json(owner),
    }


@bp.get("/profile")
def get_profile():
    """Return the owner's profile."""
    return jsonify(_profile_json(g.owner))


@bp.patch("/profile")
def patch_profile():
    """Change the owner's profile; fields left out keep their values."""
    values = _merge(profile_data(g.owner), _body())
    form, error = _form(ProfileForm, values)
    if error:
        return error
    apply_profile(g.owner, form)
    db.session.commit()

    return jsonify(_profile_json(g.owner))
