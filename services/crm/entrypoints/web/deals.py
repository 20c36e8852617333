"""Deals: a kind's board by stage, moving and closing a deal by hand, the deal card (timeline,
primary demand, parties, environment, files, the kind's flowchart), and opening a deal from a
customer's card or an interaction. Forms are read with the API's schemas and go to its handlers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, redirect, request, url_for

from services.crm.adapters import environment_svg
from services.crm.adapters.orm import Employee, RefusalReason
from services.crm.adapters.telephony import StoredFile
from services.crm.domain import deals as rules
from services.crm.domain.errors import Invalid, NotFound
from services.crm.entrypoints.api.context import unit_of_work
from services.crm.entrypoints.api.deal_schemas import (
    DealPatchSchema,
    DealQuerySchema,
    DealSchema,
    DemandLineSchema,
    MoveSchema,
    PartySchema,
)
from services.crm.entrypoints.api.deal_views import LinkSchema, MemberSchema
from services.crm.entrypoints.api.deals import policy
from services.crm.entrypoints.api.files import download
from services.crm.entrypoints.web.base import actor, bp, render, t
from services.crm.entrypoints.web.forms import FormError, attempt, load, values
from services.crm.handlers import (
    catalogue,
    deal_board,
    deal_environment,
    deal_flowchart,
    deal_kinds,
    deal_moves,
    deal_timeline,
    deals,
    employees,
    files,
    interaction_docs,
)
from services.crm.handlers.reference import list_entries
from shared.names import Role

TIMELINE = 20
SELLERS = (Role.MANAGER, Role.HEAD_OF_SALES, Role.ADMIN)
# Where a deal may come from on the "new deal" form (hidden fields carried through).
ORIGINS = ("lead_id", "counterparty_id", "customer_id", "interaction_id")


def _refusals(db) -> dict[str, Any]:
    """What the forms of closing as lost offer: the reasons and the known competitors."""
    return {
        "reasons": list_entries(db, RefusalReason, active=True),
        "competitors": deal_board.competitors(db),
    }


# ---- the board ----------------------------------------------------------------------------


@bp.get("/deals", endpoint="deals_board")
def board():
    return _board(request.args.get("kind_id", type=int))


def _board(kind_id: int | None, code: int = 200, failed: dict | None = None):
    data = values(request.args)
    state = data.pop("state", rules.IN_PROGRESS)
    data.pop("kind_id", None)
    if actor().role == Role.MANAGER:
        data.pop("responsible_id", None)  # a manager's board holds their own and department's
    errors: dict = {}
    with unit_of_work() as db:
        kinds = deal_kinds.list_kinds(db, actor(), active=True)
        try:
            filters = load(DealQuerySchema(unknown=ma.EXCLUDE), {**data, "state": state or None})
        except FormError as exc:
            errors, filters = exc.errors, {}
        kind_id = kind_id or (kinds[0]["id"] if kinds else None)
        shown = (
            deal_board.board(
                db,
                actor(),
                kind_id,
                state=filters.get("state"),
                responsible_id=filters.get("responsible_id"),
            )
            if kind_id
            else None
        )
        people = [e for e in employees.list_employees(db) if e.role in SELLERS and e.active]
        context = _refusals(db)
    return render(
        "deals_board.html",
        422 if errors and not failed else code,
        kinds=kinds,
        board=shown,
        people=people,
        args=request.args,
        state=state,
        errors=errors,
        failed=failed or {},
        **context,
    )


@bp.post("/deals/<int:deal_id>/move")
def move_deal(deal_id: int):
    """Move by hand; a refused move shows the page again with the reason beside the deal."""
    data = values(request.form)
    on_card = data.pop("from", None) == "card"
    try:
        fields = load(MoveSchema(), data)
        with unit_of_work() as db:
            attempt(lambda: deal_moves.move(db, actor(), deal_id, fields, policy()))
            kind_id = deals.load(db, actor(), deal_id).kind_id
    except FormError as exc:
        return _again(deal_id, on_card, 422, {"errors": exc.errors})
    except rules.MoveNotAllowed as exc:
        return _again(deal_id, on_card, 409, {"message": t(str(exc)), "allowed": exc.allowed})
    if on_card:
        return redirect(url_for("web.deal", deal_id=deal_id))
    return redirect(url_for("web.deals_board", kind_id=kind_id))


def _again(deal_id: int, on_card: bool, code: int, failure: dict):
    failed = {"deal_id": deal_id, "values": request.form, **failure}
    if on_card:
        return _card(deal_id, code, failed=failed)
    with unit_of_work() as db:
        kind_id = deals.load(db, actor(), deal_id).kind_id
    return _board(kind_id, code, failed)


# ---- the deal card ------------------------------------------------------------------------


@bp.get("/deals/<int:deal_id>")
def deal(deal_id: int):
    return _card(deal_id)


def _card(deal_id: int, code: int = 200, *, failed: dict | None = None, form: str = "", **extra):
    page = max(1, request.args.get("page", 1, type=int) or 1)
    me = actor()
    with unit_of_work() as db:
        shown = deal_board.card(db, me, deal_id)
        entries, total = deal_timeline.timeline(db, me, deal_id, page=page, page_size=TIMELINE)
        environment = deal_environment.environment(db, me, deal_id)
        flowchart = deal_flowchart.flowchart(db, me, shown["deal"]["kind_id"], deal_id)
        items, _ = catalogue.list_items(db, page=1, page_size=500, active=True)
        people = deal_board.names(db, Employee, (e["by_id"] for e in entries))
        file_names = deal_board.names(db, StoredFile, _file_ids(shown))
        context = _refusals(db)
    return render(
        "deal.html",
        code,
        card=shown,
        timeline=entries,
        total=total,
        page=page,
        page_size=TIMELINE,
        people=people,
        file_names=file_names,
        environment=environment,
        flowchart=flowchart,
        items=items,
        failed=failed or {},
        form=form,
        errors=extra.pop("errors", {}),
        values=extra.pop("values", {}),
        **context,
    )


def _file_ids(shown: dict) -> list[int]:
    attached = [f.file_id for f in shown["deal"]["files"]]
    return attached + [i.file_id for i in shown["instructions"] if i.file_id]


def _changed(deal_id: int, form: str, schema: ma.Schema, act, data: dict | None = None):
    """Read the form with the API's ``schema`` and run ``act(db, fields)``; refused, the card
    shows the form again with its errors beside the fields."""
    try:
        fields = load(schema, values(request.form) if data is None else data)
        with unit_of_work() as db:
            attempt(lambda: act(db, fields))
    except FormError as exc:
        return _card(deal_id, 422, form=form, errors=exc.errors, values=request.form)
    return redirect(url_for("web.deal", deal_id=deal_id) + f"#{form}")


@bp.post("/deals/<int:deal_id>/details")
def edit_deal(deal_id: int):
    return _changed(
        deal_id,
        "details",
        DealPatchSchema(),
        lambda db, changes: deals.update_deal(db, actor(), deal_id, changes),
    )


def _one_row(deal_id: int, table: str, schema: ma.Schema, key: str, position: str | None):
    """Change one row of the deal's ``table`` (demand, parties): the API takes the whole list,
    so the other rows go back as they are; the row at ``position`` is replaced, else one added.
    A refusal about ``demand.3.price`` is about this form's ``price`` (``key`` if unnamed)."""
    columns = [name for name, f in schema.fields.items() if not f.dump_only]

    def act(db, row):
        shown = deals.shown(db, deals.load(db, actor(), deal_id))
        rows = [{c: getattr(old, c) for c in columns} for old in shown[table]]
        if position is not None and position.isdigit() and int(position) < len(rows):
            rows[int(position)] = row
        else:
            rows.append(row)
        try:
            return deals.update_deal(db, actor(), deal_id, {table: rows})
        except Invalid as exc:
            field = exc.field.rsplit(".", 1)[-1]
            raise Invalid(key if field.isdigit() else field, exc.reason) from None

    return act


@bp.post("/deals/<int:deal_id>/demand")
def edit_demand(deal_id: int):
    """Add a primary demand line, or replace the one at ``position``."""
    data = values(request.form)
    position = data.pop("position", None)
    form = f"line-{position}" if position is not None else "demand"
    schema = DemandLineSchema()
    act = _one_row(deal_id, "demand", schema, "description", position)
    return _changed(deal_id, form, schema, act, data)


@bp.post("/deals/<int:deal_id>/parties")
def add_party(deal_id: int):
    schema = PartySchema()
    return _changed(
        deal_id, "parties", schema, _one_row(deal_id, "parties", schema, "party_id", None)
    )


@bp.post("/deals/<int:deal_id>/environment")
def add_member(deal_id: int):
    return _changed(
        deal_id,
        "environment",
        MemberSchema(),
        lambda db, member: deal_environment.add_member(db, actor(), deal_id, member),
    )


@bp.post("/deals/<int:deal_id>/environment/<int:member_id>/remove")
def remove_member(deal_id: int, member_id: int):
    """Take someone (and who they influence or are influenced by) off the environment."""
    with unit_of_work() as db:
        deal_environment.remove_member(db, actor(), deal_id, member_id)
    return redirect(url_for("web.deal", deal_id=deal_id) + "#environment")


@bp.post("/deals/<int:deal_id>/environment/links")
def link_members(deal_id: int):
    return _changed(
        deal_id,
        "links",
        LinkSchema(),
        lambda db, link: deal_environment.link(db, actor(), deal_id, link),
    )


@bp.post("/deals/<int:deal_id>/post")
def post_deal(deal_id: int):
    with unit_of_work() as db:
        deal_moves.start(db, actor(), deal_id, policy())
    return redirect(url_for("web.deal", deal_id=deal_id))


@bp.get("/deals/<int:deal_id>/environment.svg")
def environment_graph(deal_id: int):
    with unit_of_work() as db:
        deal = deals.load(db, actor(), deal_id)
        found = deal_environment.environment(db, actor(), deal_id)
        svg = environment_svg.render(
            deal.name,
            found["members"],
            found["links"],
            lambda role: t(rules.ENVIRONMENT_ROLES[role]),
        )
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/files/<int:file_id>")
def file(file_id: int):
    """A deal's file or an instruction, to those who may read it (as /api/files/<id>)."""
    with unit_of_work() as db:
        return download(files.load(db, actor(), file_id))


# ---- opening a deal -----------------------------------------------------------------------


def _origin(data: dict) -> dict[str, int]:
    return {k: int(data[k]) for k in ORIGINS if str(data.get(k, "")).isdigit()}


@bp.route("/deals/new", methods=["GET", "POST"])
def new_deal():
    """A deal from a lead's or counterparty's card, or from an interaction on it."""
    source = request.args if request.method == "GET" else request.form
    origin = _origin(source)
    if request.method == "GET":
        return _new_form(origin, {"name": source.get("name", "")}, {})
    data = {k: v for k, v in values(request.form).items() if k not in ORIGINS}
    interaction_id = origin.pop("interaction_id", None)
    try:
        fields = load(DealSchema(), {**data, **origin})
        with unit_of_work() as db:
            if interaction_id is not None:
                opened = attempt(
                    lambda: interaction_docs.open_deal(
                        db, actor(), interaction_id, fields, policy()
                    )
                )
            else:
                opened = attempt(lambda: deals.open_deal(db, actor(), fields, policy()))
            deal_id = opened.id
    except FormError as exc:
        return _new_form({**origin, **_origin(request.form)}, request.form, exc.errors, 422)
    return redirect(url_for("web.deal", deal_id=deal_id))


def _new_form(origin: dict, shown_values, errors: dict, code: int = 200):
    if not origin:
        raise NotFound("page", "new deal")  # a deal is opened from a customer or interaction
    with unit_of_work() as db:
        kinds = deal_kinds.list_kinds(db, actor(), active=True)
    return render(
        "deal_new.html", code, kinds=kinds, origin=origin, values=shown_values, errors=errors
    )
