"""The inbound sales process (document 002): registering a call or e-mail, each step as a form
with its required fields, completing documents, and the flowchart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, redirect, request, url_for
from sqlalchemy.orm import Session

from services.crm.adapters.flowchart_svg import render as flowchart
from services.crm.adapters.orm import RefusalReason
from services.crm.domain.process import INBOUND_SALES
from services.crm.entrypoints.api.context import settings, unit_of_work
from services.crm.entrypoints.api.sales_schemas import (
    DocumentPatchSchema,
    RegistrationSchema,
    StepRequestSchema,
)
from services.crm.entrypoints.web.base import actor, bp, render
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import (
    catalogue,
    documents,
    employees,
    instances,
    process_documents,
    process_views,
    processes,
)
from services.crm.handlers.reference import list_entries
from shared.names import Role

PAGE = 50
# Form inputs gathered into the tables a document holds (one row each on the page).
ROWS = {
    "contacts": ("presentation", "phone", "email"),
    "attachments": ("name", "url"),
}


def _tables(form: dict[str, Any]) -> dict[str, Any]:
    """``contacts.phone``-style inputs as the one-row tables the API's schemas take."""
    data = {k: v for k, v in form.items() if "." not in k}
    for table, columns in ROWS.items():
        row = {c: form[f"{table}.{c}"] for c in columns if form.get(f"{table}.{c}")}
        if row:
            data[table] = [row]
    if form.get("line.item_id"):
        data["lines"] = [
            {
                "item_id": int(form["line.item_id"]) if form["line.item_id"].isdigit() else 0,
                "quantity": form.get("line.quantity") or None,
                "price": form.get("line.price") or None,
            }
        ]
    for flag in ("needs_approval", "requires_approval"):
        if flag in data:
            data[flag] = data[flag] == "on"
    return data


def _people(db) -> dict[str, list]:
    everyone = [e for e in employees.list_employees(db) if e.active]
    return {
        "managers": [
            e for e in everyone if e.role in (Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN)
        ],
        "executors": [e for e in everyone if e.role in (Role.EXECUTOR, Role.HEAD_OF_EXECUTION)],
        "approvers": [
            e
            for e in everyone
            if e.role in (Role.HEAD_OF_SALES, Role.HEAD_OF_EXECUTION, Role.ADMIN)
        ],
    }


@bp.get("/processes", endpoint="processes")
def processes_list():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with unit_of_work() as db:
        items, total = process_views.list_processes(db, page=page, page_size=PAGE)
    return render("processes.html", items=items, total=total, page=page)


@bp.route("/processes/new", methods=["GET", "POST"])
def register_request():
    """The secretary registers an incoming call or e-mail and names who takes it."""
    with unit_of_work() as db:
        people = _people(db)
    if request.method == "GET":
        return render("process_new.html", values={}, errors={}, **people)
    data = _tables(values(request.form))
    try:
        fields = load(RegistrationSchema(), data)
        with unit_of_work() as db:
            instance = attempt(lambda: processes.start(db, actor(), fields))
            registration = instances.current_document(db, instance)
            attempt(
                lambda: process_documents.complete_document(
                    db, actor(), registration.id, None, delay_seconds=_delay()
                )
            )
            process_id = instance.id
    except FormError as exc:
        return render("process_new.html", 422, values=request.form, errors=exc.errors, **people)
    return redirect(url_for("web.process", process_id=process_id))


def _delay() -> int:
    return settings().reminder_delay_seconds


def _page_of(db, process_id: int) -> dict[str, Any]:
    shown = process_views.view(db, process_id)
    current = shown["current_document"]
    document = (
        documents.load(db, current["id"]) if current and current["kind"] == "interaction" else None
    )
    items, _ = catalogue.list_items(db, page=1, page_size=200, active=True)
    return {
        "process": shown,
        "document": document,
        "svg": flowchart(
            INBOUND_SALES,
            visited={s["step"] for s in shown["steps"]},
            current=shown["current_step"],
        ),
        "reasons": list_entries(db, RefusalReason, active=True),
        "items": items,
        **_people(db),
    }


@bp.get("/processes/<int:process_id>")
def process(process_id: int):
    with unit_of_work() as db:
        context = _page_of(db, process_id)
    return render("process.html", values={}, errors={}, form_step=None, **context)


def _again(process_id: int, errors: dict, step: str | None):
    with unit_of_work() as db:
        context = _page_of(db, process_id)
    return render(
        "process.html", 422, values=request.form, errors=errors, form_step=step, **context
    )


@bp.post("/processes/<int:process_id>/steps/<step>")
def take_step(process_id: int, step: str):
    data = _tables(values(request.form))
    try:
        fields = load(StepRequestSchema(), {**data, "step": step})
        fields.pop("step")
        with unit_of_work() as db:
            attempt(
                lambda: processes.take_step(
                    db,
                    actor(),
                    process_id,
                    step,
                    fields,
                    delay_seconds=_delay(),
                    settings=settings(),
                )
            )
    except FormError as exc:
        return _again(process_id, exc.errors, step)
    return redirect(url_for("web.process", process_id=process_id))


def _on_document(document_id: int, act: Callable[[Session], object]):
    """Act on a document of a process, then show the process (again, with errors, if refused)."""
    with unit_of_work() as db:
        process_id = documents.load(db, document_id).process_id
    try:
        with unit_of_work() as db:
            attempt(lambda: act(db))
    except FormError as exc:
        return _again(process_id, exc.errors, "document")
    return redirect(url_for("web.process", process_id=process_id))


@bp.post("/documents/<int:document_id>")
def edit_document(document_id: int):
    data = _tables(values(request.form))
    try:
        changes = load(DocumentPatchSchema(), data)
    except FormError as exc:
        with unit_of_work() as db:
            return _again(documents.load(db, document_id).process_id, exc.errors, "document")
    return _on_document(
        document_id,
        lambda db: process_documents.update_document(
            db, actor(), document_id, changes, delay_seconds=_delay()
        ),
    )


@bp.post("/documents/<int:document_id>/complete")
def complete_document(document_id: int):
    outcome = request.form.get("outcome") or None
    return _on_document(
        document_id,
        lambda db: process_documents.complete_document(
            db, actor(), document_id, outcome, delay_seconds=_delay()
        ),
    )


@bp.get("/process-kinds/inbound_sales")
def process_kind():
    return render("process_kind.html", definition=INBOUND_SALES, svg=flowchart(INBOUND_SALES))


@bp.get("/process-kinds/inbound_sales/flowchart.svg")
def process_kind_svg():
    return Response(flowchart(INBOUND_SALES), mimetype="image/svg+xml")
