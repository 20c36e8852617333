"""Deals (sales opportunities) and their process kinds: the rules of moving between stages.

A kind is data an admin keeps: ordered stages, each with a performer, a standard duration,
a default probability and the fields a deal needs before it may leave the stage. In the
manual mode the manager moves a deal by hand within the moves the kind allows; in the
business-process mode posting the deal starts the process and completing each stage's task
moves it on. Every move is kept in a history that is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.crm.domain.errors import Conflict, DomainError
from shared.i18n import _

IN_PROGRESS, WON, LOST, CANCELLED = "in_progress", "won", "lost", "cancelled"
STATES = (IN_PROGRESS, WON, LOST, CANCELLED)
CLOSINGS = (WON, LOST, CANCELLED)
MANUAL, PROCESS = "manual", "process"
MODES = (MANUAL, PROCESS)
# Who performs a stage: the deal's responsible manager, or the head of their department.
PERFORMERS = ("responsible", "head")
SOURCES = ("manual", "interaction", "lead", "counterparty", "process")
# Fields a stage may require before a deal leaves it.
REQUIRABLE = (
    "amount",
    "expected_close_date",
    "comment",
    "contact_person_id",
    "parties",
    "demand",
    "files",
)
PARTY_KINDS = ("counterparty", "contact_person")
# Document 004's environment of a deal: the roles around it, as a reader reads them.
ENVIRONMENT_ROLES = {
    "competitor": _("competitor"),
    "subcontractor": _("subcontractor"),
    "influencer": _("influential person"),
    "other": _("other"),
}
INFLUENCES = ("low", "medium", "high")
ATTITUDES = ("supporter", "neutral", "opponent")
PARTNER_TYPES = ("client", "supplier", "competitor", "subcontractor", "other")


class MoveNotAllowed(DomainError):
    """A move the kind does not allow from the current stage (409 with the allowed ones)."""

    def __init__(self, target: str, allowed: list[str]):
        super().__init__(_("the kind does not allow this move from the deal's stage"))
        self.allowed = allowed


class Incomplete(DomainError):
    """Fields the deal needs before it may leave its stage (422 naming each)."""

    def __init__(self, missing: dict[str, str]):
        super().__init__(_("the deal misses fields it needs"))
        self.missing = missing


@dataclass(frozen=True)
class StageRule:
    """What the rules need of one stage of a kind."""

    id: int
    code: str
    required: tuple[str, ...] = ()
    # Codes of the stages (or won/lost/cancelled) it may move to; empty: the next in order.
    next: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindRule:
    mode: str
    stages: tuple[StageRule, ...] = field(default=())

    def index(self, stage_id: int) -> int:
        return next(i for i, s in enumerate(self.stages) if s.id == stage_id)

    def first(self) -> StageRule:
        return self.stages[0]

    def following(self, stage_id: int) -> StageRule | None:
        """The next stage in order, None after the last."""
        i = self.index(stage_id) + 1
        return self.stages[i] if i < len(self.stages) else None


def allowed_moves(kind: KindRule, stage_id: int) -> list[str]:
    """Where a deal may go by hand from ``stage_id``: stage codes and closing states.

    Losing or cancelling is possible from any stage; winning only where the kind says so
    (by default from the last stage).
    """
    stage = kind.stages[kind.index(stage_id)]
    if stage.next:
        targets = list(stage.next)
    else:
        after = kind.following(stage_id)
        targets = [after.code if after else WON]
    return targets + [t for t in (LOST, CANCELLED) if t not in targets]


def check_move(kind: KindRule, state: str, stage_id: int, target: str) -> None:
    """Refuse a move from a closed deal or one the kind does not allow from its stage."""
    if state != IN_PROGRESS:
        raise Conflict(_("the deal is closed"))
    allowed = allowed_moves(kind, stage_id)
    if target not in allowed:
        raise MoveNotAllowed(target, allowed)


def check_leave(required: tuple[str, ...], filled: dict[str, bool]) -> None:
    """Refuse leaving a stage while any field it requires is empty, naming each."""
    missing = {name: _("required to leave this stage") for name in required if not filled[name]}
    if missing:
        raise Incomplete(missing)


def check_lost(reason_id: int | None) -> None:
    """A lost deal names why."""
    if reason_id is None:
        raise Incomplete({"lost_reason_id": _("a lost deal names its reason")})


def check_stages(codes: list[str], nexts: list[tuple[str, ...]]) -> dict[str, str]:
    """Problems of a kind's stages as a kind is saved: duplicates, moves to unknown stages."""
    problems: dict[str, str] = {}
    if len(set(codes)) != len(codes):
        problems["stages"] = _("stage codes must differ")
    known = set(codes) | set(CLOSINGS)
    for i, targets in enumerate(nexts):
        unknown = [t for t in targets if t not in known]
        if unknown:
            problems[f"stages.{i}.next"] = _("unknown stages: {names}").format(
                names=", ".join(unknown)
            )
    return problems


def amount_of(lines: list[tuple[Decimal, Decimal | None, Decimal | None]]) -> Decimal:
    """The amount of demand lines: each line's amount, else quantity times expected price."""
    total = Decimal(0)
    for quantity, price, amount in lines:
        if amount is not None:
            total += amount
        elif price is not None:
            total += quantity * price
    return total


def time_spent(entered_at: datetime | None, left_at: datetime) -> int:
    """Seconds a deal stayed in the stage it leaves (0 for the first entry)."""
    if entered_at is None:
        return 0
    return max(0, int((left_at - entered_at).total_seconds()))


def is_closing(target: str) -> bool:
    return target in CLOSINGS
