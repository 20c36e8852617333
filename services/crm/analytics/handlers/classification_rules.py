"""The data of document 000: rules (stage of relationship and ABC class -> status) and the
relationship strategy of each ABC class. Admins keep them; everyone reads them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm.adapters.orm import InteractionStatus
from services.crm.analytics.adapters.records import ClassificationRule, RelationshipStrategy
from services.crm.domain.errors import Conflict, Invalid, NotFound
from services.crm.domain.roles import Actor, Permission
from services.crm.handlers.common import apply, get, referenced


def _status(session: Session, status_id: int | None) -> None:
    status = referenced(session, InteractionStatus, status_id, "status_id", "interaction status")
    if status is not None and not status.active:
        raise Invalid("status_id", f"the status {status.name!r} is inactive")


def list_rules(session: Session) -> list[ClassificationRule]:
    stmt = select(ClassificationRule).order_by(
        ClassificationRule.stage, ClassificationRule.abc_class.nulls_first()
    )
    return list(session.scalars(stmt))


def add_rule(session: Session, actor: Actor, fields: dict[str, Any]) -> ClassificationRule:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    _status(session, fields["status_id"])
    same = select(ClassificationRule.id).where(
        ClassificationRule.stage == fields["stage"],
        ClassificationRule.abc_class.is_not_distinct_from(fields.get("abc_class")),
    )
    if session.scalar(same) is not None:
        raise Conflict("a rule for this stage and class exists: change its status instead")
    rule = ClassificationRule(**fields)
    session.add(rule)
    session.flush()
    return rule


def change_rule(session: Session, actor: Actor, rule_id: int, status_id: int) -> ClassificationRule:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    rule = get(session, ClassificationRule, rule_id, "classification rule", lock=True)
    _status(session, status_id)
    rule.status_id = status_id
    return rule


def remove_rule(session: Session, actor: Actor, rule_id: int) -> None:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    session.delete(get(session, ClassificationRule, rule_id, "classification rule"))


def list_strategies(session: Session) -> list[RelationshipStrategy]:
    return list(
        session.scalars(select(RelationshipStrategy).order_by(RelationshipStrategy.abc_class))
    )


def change_strategy(
    session: Session, actor: Actor, abc_class: str, changes: dict[str, Any]
) -> RelationshipStrategy:
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    strategy = session.get(RelationshipStrategy, abc_class, with_for_update=True)
    if strategy is None:
        raise NotFound("relationship strategy", abc_class)
    if "status_id" in changes:
        _status(session, changes["status_id"])
    apply(strategy, changes)
    session.flush()
    return strategy
