"""Deal kinds: admin data of ordered stages, with instructions (files and links)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.crm.adapters.deals import DealInstruction, DealKind, DealStage
from services.crm.adapters.telephony import StoredFile
from services.crm.domain import deals as rules
from services.crm.domain.access import SALES
from services.crm.domain.errors import Conflict, Forbidden, Invalid, NotFound
from services.crm.domain.roles import Actor, Permission, Role
from services.crm.handlers import files
from services.crm.handlers.common import get
from shared.i18n import _


def create_kind(session: Session, actor: Actor, fields: dict[str, Any]) -> DealKind:
    """A kind with its stages in order; stage codes differ and moves name known stages."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    stages = fields.pop("stages")
    problems = rules.check_stages(
        [s["code"] for s in stages], [tuple(s.get("next", ())) for s in stages]
    )
    if problems:
        field, reason = next(iter(problems.items()))
        raise Invalid(field, reason)
    _unique_name(session, fields["name"])
    kind = DealKind(**fields)
    session.add(kind)
    session.flush()
    for position, stage in enumerate(stages):
        session.add(DealStage(kind_id=kind.id, position=position, **stage))
    session.flush()
    return kind


def update_kind(session: Session, actor: Actor, kind_id: int, changes: dict[str, Any]) -> DealKind:
    """Rename, describe or retire a kind; its stages stay, since deals stand on them."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    kind = get(session, DealKind, kind_id, "deal kind", lock=True)
    if "name" in changes and changes["name"] != kind.name:
        _unique_name(session, changes["name"])
    for name, value in changes.items():
        setattr(kind, name, value)
    session.flush()
    return kind


def _unique_name(session: Session, name: str) -> None:
    if session.scalar(select(DealKind.id).where(DealKind.name == name)) is not None:
        raise Conflict(f"name {name!r} is already taken")


def stages_of(session: Session, kind_id: int) -> list[DealStage]:
    return list(
        session.scalars(
            select(DealStage).where(DealStage.kind_id == kind_id).order_by(DealStage.position)
        )
    )


def rule_of(session: Session, kind: DealKind) -> rules.KindRule:
    """The kind as the rules see it."""
    return rules.KindRule(
        kind.mode,
        tuple(
            rules.StageRule(s.id, s.code, tuple(s.required), tuple(s.next))
            for s in stages_of(session, kind.id)
        ),
    )


def _readable(actor: Actor) -> None:
    if actor.role not in SALES | {Role.ADMIN}:
        raise Forbidden(_("deal kinds are for sales staff"))


def load_kind(session: Session, actor: Actor, kind_id: int) -> dict[str, Any]:
    _readable(actor)
    return shown(session, get(session, DealKind, kind_id, "deal kind"))


def list_kinds(session: Session, actor: Actor, *, active: bool | None = None) -> list[dict]:
    _readable(actor)
    stmt = select(DealKind).order_by(DealKind.id)
    if active is not None:
        stmt = stmt.where(DealKind.active.is_(active))
    return [shown(session, kind) for kind in session.scalars(stmt)]


def shown(session: Session, kind: DealKind) -> dict[str, Any]:
    """A kind with its stages and each one's instructions."""
    instructions = list(
        session.scalars(
            select(DealInstruction)
            .where(DealInstruction.kind_id == kind.id)
            .order_by(DealInstruction.id)
        )
    )
    values = {c.key: getattr(kind, c.key) for c in DealKind.__table__.c}
    values["instructions"] = [i for i in instructions if i.stage_id is None]
    values["stages"] = [
        {
            **{c.key: getattr(stage, c.key) for c in DealStage.__table__.c},
            "instructions": [i for i in instructions if i.stage_id == stage.id],
        }
        for stage in stages_of(session, kind.id)
    ]
    return values


def _stage_of_kind(session: Session, kind_id: int, stage_id: int | None) -> None:
    if stage_id is None:
        return
    stage = session.get(DealStage, stage_id)
    if stage is None or stage.kind_id != kind_id:
        raise Invalid("stage_id", f"no stage {stage_id} in this kind")


def add_link(session: Session, actor: Actor, kind_id: int, fields: dict) -> DealInstruction:
    """An instruction that is a link (a regulation on the intranet, a questionnaire)."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    get(session, DealKind, kind_id, "deal kind")
    _stage_of_kind(session, kind_id, fields.get("stage_id"))
    instruction = DealInstruction(kind_id=kind_id, **fields)
    session.add(instruction)
    session.flush()
    return instruction


def add_file(
    session: Session,
    actor: Actor,
    kind_id: int,
    stage_id: int | None,
    title: str | None,
    upload: files.Upload,
) -> DealInstruction:
    """An instruction that is an uploaded file (a template, a regulation)."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    get(session, DealKind, kind_id, "deal kind")
    _stage_of_kind(session, kind_id, stage_id)
    stored = files.store(session, upload.name, upload.content_type, upload.data)
    instruction = DealInstruction(
        kind_id=kind_id, stage_id=stage_id, title=title or stored["name"], file_id=stored["file_id"]
    )
    session.add(instruction)
    session.flush()
    return instruction


def remove_instruction(session: Session, actor: Actor, kind_id: int, instruction_id: int) -> None:
    """Take an instruction off the kind; its uploaded file goes too, since nothing else holds it
    (an instruction's file is its own: file_id is unique among them)."""
    actor.require(Permission.EDIT_REFERENCE_BOOKS)
    instruction = session.get(DealInstruction, instruction_id)
    if instruction is None or instruction.kind_id != kind_id:
        raise NotFound("instruction", instruction_id)
    file_id = instruction.file_id
    session.delete(instruction)
    session.flush()
    if file_id is not None:
        session.execute(delete(StoredFile).where(StoredFile.id == file_id))


def instruction_readable(session: Session, actor: Actor, file_id: int) -> bool | None:
    """Instruction files are read by every sales employee; None: not an instruction."""
    found = session.scalar(select(DealInstruction.id).where(DealInstruction.file_id == file_id))
    if found is None:
        return None
    return actor.role in SALES | {Role.ADMIN}


files.register_reader(instruction_readable)
