"""The card of a lead, counterparty or partner: contacts, status and its history, the next
planned call and the timeline; assigning a status shows when the call gets planned."""

from __future__ import annotations

from flask import redirect, request, url_for

from services.crm.adapters.orm import InteractionStatus
from services.crm.domain.errors import NotFound
from services.crm.entrypoints.api.context import settings, unit_of_work
from services.crm.entrypoints.api.schemas import AssignStatusSchema
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import calls, cards, subjects

KINDS = ("lead", "counterparty")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("page", kind)
    return kind


@bp.get("/customers/<kind>/<int:subject_id>")
def card(kind: str, subject_id: int):
    with unit_of_work() as db:
        shown = cards.customer_card(db, actor(), _kind(kind), subject_id)
    return render("card.html", card=shown, errors={})


@bp.get("/customers/<kind>/<int:subject_id>/next-call")
def next_call(kind: str, subject_id: int):
    """The next planned call; polled after a status change until the scheduler has planned it."""
    with unit_of_work() as db:
        subject = cards.readable(db, actor(), _kind(kind), subject_id)
        plan = calls.live_plan(db, kind, subject.id)
        status = db.get(InteractionStatus, subject.status_id) if subject.status_id else None
    return render("next_call.html", plan=plan, subject=subject, kind=kind, status=status)


@bp.post("/customers/<kind>/<int:subject_id>/status")
def assign_status(kind: str, subject_id: int):
    data = values(request.form)
    try:
        with unit_of_work() as db:
            cards.readable(db, actor(), _kind(kind), subject_id)
            parsed = load(AssignStatusSchema(), data)
            attempt(
                lambda: subjects.assign_status(
                    db,
                    actor(),
                    kind,
                    subject_id,
                    parsed["status_id"],
                    parsed.get("reason"),
                    settings=settings(),
                )
            )
    except FormError as exc:
        with unit_of_work() as db:
            shown = cards.customer_card(db, actor(), kind, subject_id)
        return render("card.html", 422, card=shown, errors=exc.errors, values=request.form)
    return redirect(url_for("web.card", kind=kind, subject_id=subject_id))


@bp.get("/partners/<int:partner_id>")
def partner(partner_id: int):
    with unit_of_work() as db:
        shown = cards.partner_card(db, actor(), partner_id)
    return render("partner.html", card=shown)
