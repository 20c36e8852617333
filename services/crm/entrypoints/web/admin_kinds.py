"""Admins' pages of deal kinds (1C's "sale opportunity kinds"): a kind with its ordered stages,
renamed or retired later (its stages stay, as the API keeps them), and its instructions, links
or uploaded files, on the kind or one stage. Forms go through the API's schemas and handlers."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from werkzeug.datastructures import MultiDict

from services.crm.domain.deals import REQUIRABLE
from services.crm.domain.errors import Conflict
from services.crm.domain.roles import Permission
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.api.deal_schemas import (
    DealKindPatchSchema,
    DealKindSchema,
    InstructionSchema,
    StageSchema,
    UploadFormSchema,
)
from services.crm.entrypoints.api.uploads import read_upload
from services.crm.entrypoints.web.base import actor, bp, render, t
from services.crm.entrypoints.web.forms import FormError, attempt, load, typed, values
from services.crm.handlers import deal_flowchart, deal_kinds
from shared.i18n import _

STAGE_ROWS = 5  # blank stage rows the form offers; "more rows" adds as many
MAX_ROWS = 30  # as many stages as a kind may have (the API's schema)
STAGE_FIELDS = ("code", "name", "performer", "duration_days", "probability", "deliverable")
TAKEN = _("this name is already taken")


def _admin() -> None:
    actor().require(Permission.EDIT_REFERENCE_BOOKS)


# ---- the list and a new kind --------------------------------------------------------------


@bp.get("/admin/deal-kinds")
def admin_deal_kinds():
    _admin()
    rows = min(max(request.args.get("rows", STAGE_ROWS, type=int) or STAGE_ROWS, 1), MAX_ROWS)
    return _kinds_page(rows, {}, {})


def _kinds_page(rows: int, shown_values, errors: dict, code: int = 200):
    with unit_of_work() as db:
        kinds = deal_kinds.list_kinds(db, actor())
    return render(
        "admin_deal_kinds.html",
        code,
        kinds=kinds,
        rows=rows,
        more=min(rows + STAGE_ROWS, MAX_ROWS),
        requirable=REQUIRABLE,
        values=shown_values,
        errors=errors,
    )


def _stages(form: MultiDict) -> list[dict[str, Any]]:
    """The stage rows up to the last one filled in (a blank row between is refused as the
    schema refuses it); each row's ``required`` boxes and ``next`` codes become lists."""
    rows = []
    for i in range(MAX_ROWS):
        prefix = f"stages-{i}-"
        row: dict[str, Any] = {f: form.get(prefix + f, "").strip() for f in STAGE_FIELDS}
        row = {f: v for f, v in row.items() if v}
        row["required"] = form.getlist(prefix + "required")
        row["next"] = form.get(prefix + "next", "").replace(",", " ").split()
        rows.append(row)
    filled = [i for i, row in enumerate(rows) if any(v for f, v in row.items() if f != "performer")]
    schema = StageSchema()
    return [typed(schema, row) for row in rows[: filled[-1] + 1]] if filled else []


def _by_field(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """``stages.2.name`` is the field named ``stages-2-name`` on the form, and the refusal of
    one box ticked (``stages.2.required.0``) is its group's."""
    fields: dict[str, list[str]] = {}
    for key, reasons in errors.items():
        parts = key.split(".")
        if len(parts) > 3 and parts[-1].isdigit():
            parts.pop()
        fields.setdefault("-".join(parts), []).extend(reasons)
    return fields


@bp.post("/admin/deal-kinds")
def add_deal_kind():
    _admin()
    data = {k: v for k, v in values(request.form).items() if not k.startswith("stages-")}
    data["active"] = request.form.get("active") == "on"
    data["stages"] = _stages(request.form)
    try:
        fields = load(DealKindSchema(), data)
        with unit_of_work() as db:
            kind = _named(lambda: deal_kinds.create_kind(db, actor(), fields))
            kind_id = kind.id
    except FormError as exc:
        rows = max(len(data["stages"]), STAGE_ROWS)
        return _kinds_page(rows, request.form, _by_field(exc.errors), 422)
    return redirect(url_for("web.admin_deal_kind", kind_id=kind_id))


def _named(action):
    """A handler's call whose name may be taken: that refusal is the name field's."""
    try:
        return attempt(action)
    except Conflict:
        raise FormError({"name": [t(TAKEN)]}) from None


# ---- one kind: its name and state, its instructions ---------------------------------------


@bp.get("/admin/deal-kinds/<int:kind_id>")
def admin_deal_kind(kind_id: int):
    _admin()
    return _kind_page(kind_id)


def _kind_page(kind_id: int, code: int = 200, form: str = "", errors=None, shown_values=None):
    with unit_of_work() as db:
        kind = deal_kinds.load_kind(db, actor(), kind_id)
        flowchart = deal_flowchart.flowchart(db, actor(), kind_id, None)
    return render(
        "admin_deal_kind.html",
        code,
        kind=kind,
        flowchart=flowchart,
        form=form,
        errors=errors or {},
        values=shown_values
        if shown_values is not None
        else {k: v for k, v in kind.items() if v is not None},
    )


def _changed(kind_id: int, form: str, act):
    """Run ``act(db)``; refused, the kind's page shows ``form`` again with its errors."""
    _admin()
    try:
        with unit_of_work() as db:
            act(db)
    except FormError as exc:
        return _kind_page(kind_id, 422, form, exc.errors, request.form)
    return redirect(url_for("web.admin_deal_kind", kind_id=kind_id) + f"#{form}")


@bp.post("/admin/deal-kinds/<int:kind_id>")
def edit_deal_kind(kind_id: int):
    data = values(request.form)
    data["active"] = request.form.get("active") == "on"
    data.setdefault("description", None)  # an emptied description is cleared

    def act(db):
        changes = load(DealKindPatchSchema(), data)
        _named(lambda: deal_kinds.update_kind(db, actor(), kind_id, changes))

    return _changed(kind_id, "details", act)


@bp.post("/admin/deal-kinds/<int:kind_id>/links")
def add_kind_link(kind_id: int):
    data = values(request.form)

    def act(db):
        link = load(InstructionSchema(), data)
        attempt(lambda: deal_kinds.add_link(db, actor(), kind_id, link))

    return _changed(kind_id, "links", act)


@bp.post("/admin/deal-kinds/<int:kind_id>/files")
def add_kind_file(kind_id: int):
    """An uploaded instruction, read within the size limit by the API's own reader."""

    def act(db):
        query = load(UploadFormSchema(), values(request.form))
        attempt(
            lambda: deal_kinds.add_file(
                db, actor(), kind_id, query.get("stage_id"), query.get("title"), read_upload()
            )
        )

    return _changed(kind_id, "files", act)


@bp.post("/admin/deal-kinds/<int:kind_id>/instructions/<int:instruction_id>/remove")
def remove_kind_instruction(kind_id: int, instruction_id: int):
    _admin()
    with unit_of_work() as db:
        deal_kinds.remove_instruction(db, actor(), kind_id, instruction_id)
    return redirect(url_for("web.admin_deal_kind", kind_id=kind_id) + "#instructions")
