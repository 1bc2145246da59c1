"""The owner's overview: totals per currency and the invoice list."""

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import case, func, select

from admin import mail
from admin.db import db
from admin.models import Invoice

bp = Blueprint("dashboard", __name__)

FILTERS = ("all", "draft", "open", "overdue", "paid", "void")


def totals(owner_id: int, today: dt.date) -> dict[str, dict[str, int]]:
    """Return outstanding, overdue and paid totals in minor units per currency."""
    overdue = (Invoice.status == "open") & (Invoice.due_date < today)
    rows = db.session.execute(
        select(
            Invoice.currency,
            func.sum(case((Invoice.status == "open", Invoice.total_minor), else_=0)),
            func.sum(case((overdue, Invoice.total_minor), else_=0)),
            func.sum(case((Invoice.status == "paid", Invoice.total_minor), else_=0)),
        )
        .where(Invoice.owner_id == owner_id, Invoice.status != "draft")
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
    )

    return {
        currency: {"outstanding": open_, "overdue": late, "paid": paid}
        for currency, open_, late, paid in rows
    }


def invoice_page(
    owner_id: int, status: str, page: int, per_page: int, today, options=()
):
    """Return one page of the owner's invoices, newest first, and the count."""
    query = select(Invoice).where(Invoice.owner_id == owner_id)
    if status == "overdue":
        query = query.where(Invoice.status == "open", Invoice.due_date < today)
    elif status != "all":
        query = query.where(Invoice.status == status)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if (page - 1) * per_page >= max(count, 1):
        return [], count
    invoices = db.session.scalars(
        query.order_by(Invoice.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .options(*options)
    ).all()

    return invoices, count


@bp.route("/")
@login_required
def index():
    """Show the totals and the invoice list."""
    status = request.args.get("status", "all")
    if status not in FILTERS:
        abort(404)
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(404)
    per_page = int(current_app.config["INVOICES_PER_PAGE"])
    today = dt.date.today()
    invoices, count = invoice_page(current_user.id, status, page, per_page, today)
    pages = max(1, -(-count // per_page))
    if page > pages:
        abort(404)

    return render_template(
        "dashboard/index.html",
        totals=totals(current_user.id, today),
        invoices=invoices,
        status=status,
        filters=FILTERS,
        page=page,
        pages=pages,
        count=count,
        standing=mail.standing(current_user),
        today=today,
    )
