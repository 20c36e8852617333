"""A deal kind drawn as a flowchart (services/crm/adapters/flowchart_svg.py), with a deal's path."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import DealKind, DealStageChange
from services.crm.adapters.flowchart_svg import render
from services.crm.domain import deals as rules
from services.crm.domain.errors import Invalid
from services.crm.domain.process import END, ProcessDef, StepDef
from services.crm.domain.roles import Actor
from services.crm.handlers import deal_kinds, deals
from services.crm.handlers.common import get
from shared.i18n import _

END_TITLES = {rules.WON: _("Won"), rules.LOST: _("Lost")}


def definition(session: Session, kind: DealKind) -> ProcessDef:
    """Stages as steps (their deliverable and performer shown), won and lost as the ends.

    Only forward moves are drawn: a move back to an earlier stage would loop the layering.
    """
    stages = deal_kinds.stages_of(session, kind.id)
    position = {s.code: s.position for s in stages} | {
        rules.WON: len(stages),
        rules.LOST: len(stages),
    }
    rule = deal_kinds.rule_of(session, kind)
    steps = []
    for stage in stages:
        moves = rules.allowed_moves(rule, stage.id)
        forward = tuple(m for m in moves if m in position and position[m] > stage.position)
        title = stage.name if not stage.deliverable else f"{stage.name}: {stage.deliverable}"
        steps.append(
            StepDef(
                stage.code,
                title[:60],
                "task",
                stage.performer,
                required=tuple(stage.required),
                next=forward,
            )
        )
    steps += [StepDef(code, title, None, "system", kind=END) for code, title in END_TITLES.items()]
    return ProcessDef(f"deal_kind_{kind.id}", kind.name, stages[0].code, tuple(steps))


def flowchart(session: Session, actor: Actor, kind_id: int, deal_id: int | None) -> str:
    kind = get(session, DealKind, kind_id, "deal kind")
    deal_kinds.load_kind(session, actor, kind_id)
    visited: set[str] = set()
    current = None
    if deal_id is not None:
        deal = deals.load(session, actor, deal_id)
        if deal.kind_id != kind.id:
            raise Invalid("deal_id", "the deal is of another kind")
        codes = {s.id: s.code for s in deal_kinds.stages_of(session, kind.id)}
        for change in session.scalars(
            select(DealStageChange).where(DealStageChange.deal_id == deal.id)
        ):
            if change.to_stage_id is not None:
                visited.add(codes[change.to_stage_id])
        current = codes.get(deal.stage_id) if deal.state == rules.IN_PROGRESS else deal.state
    return render(definition(session, kind), visited=visited, current=current)
