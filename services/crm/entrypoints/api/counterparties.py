"""Counterparties: legal entities and individuals, and their interaction statuses."""

from __future__ import annotations

from flask_smorest import Blueprint

from services.crm.entrypoints.api.schemas import (
    CounterpartyQuerySchema,
    CounterpartySchema,
    CounterpartyUpdateSchema,
    NewCounterpartySchema,
)
from services.crm.entrypoints.api.subject_routes import SubjectApi, add_subject_routes
from services.crm.handlers import counterparties

blp = Blueprint(
    "counterparties",
    __name__,
    url_prefix="/api/counterparties",
    description="Legal entities and individuals",
)

add_subject_routes(
    blp,
    SubjectApi(
        kind="counterparty",
        schema=CounterpartySchema,
        new_schema=NewCounterpartySchema,
        update_schema=CounterpartyUpdateSchema,
        query_schema=CounterpartyQuerySchema,
        create=counterparties.create_counterparty,
        update=counterparties.update_counterparty,
        filters="status, responsible manager, partner or name",
    ),
)
