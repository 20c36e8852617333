"""Typed messages: one frozen dataclass per contract, generated from its schema.

``from shared.messages import LeadConverted`` gives the class of the version producers send
(``LeadConvertedV1`` names one version). A producer records an instance instead of a type
name and a dict; a consumer's handler gets, from ``shared.consumer``, the instance of the
version that arrived. Nothing is written twice: fields, types, defaults and the docstring
come from the contract's marshmallow schema, so a new contract has its class with no extra
code, and the class cannot drift from what is checked on the wire.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import re
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields

from shared.contracts import CONTRACTS, Contract, ContractError, contract_for, parse

# Python types of the fields, most specific first: shown in the classes' annotations.
PYTHON_TYPES: tuple[tuple[type[fields.Field[Any]], type], ...] = (
    (fields.DateTime, dt.datetime),
    (fields.Date, dt.date),
    (fields.Time, dt.time),
    (fields.Decimal, decimal.Decimal),
    (fields.Integer, int),
    (fields.Boolean, bool),
    (fields.String, str),
    (fields.UUID, str),
    (fields.List, list),
    (fields.Dict, dict),
    (fields.Nested, dict),
)


class Message:
    """Base of the generated classes; ``contract`` says which type and version one is."""

    contract: ClassVar[Contract]

    def data(self) -> dict[str, Any]:
        """The message's ``data`` as JSON primitives, as it travels in the envelope.

        Not checked here: the envelope checks it against the contract, naming a bad field.
        """
        names = _names(type(self))  # type: ignore[arg-type]  # a class is hashable; mypy checks its unbound __hash__
        return {name: _json(getattr(self, name)) for name in names}


@functools.cache
def message_class(contract: Contract) -> type[Message]:
    """The frozen dataclass of one contract: a field per schema field, keyword-only."""
    members = [
        (name, _annotation(f), _default(f)) for name, f in contract.schema._declared_fields.items()
    ]
    doc = (contract.schema.__doc__ or "").strip() or f"{contract.type}, version {contract.version}."
    return dataclasses.make_dataclass(
        f"{contract.type}V{contract.version}",
        members,
        bases=(Message,),
        namespace={"contract": contract, "__module__": __name__, "__doc__": doc},
        frozen=True,
        kw_only=True,
    )


def as_message(env: dict[str, Any], data: dict[str, Any]) -> Message:
    """The typed message of an envelope and its data as :func:`shared.contracts.parse` loaded them."""
    return message_class(contract_for(env["type"], env["version"]))(**data)


def read(message: Any) -> tuple[dict[str, Any], Message]:
    """A received envelope, checked against its contract, and its typed message.

    Raises:
      ContractError: with the first failing field and the reason, as ``parse`` says it.
    """
    env, data = parse(message)
    return env, as_message(env, data)


def __getattr__(name: str) -> Any:
    """``LeadConverted``: the class producers send now; ``LeadConvertedV1``: that version.

    A ``type[Message]``, annotated ``Any``: the classes are made from the schemas at run time,
    so a type checker cannot know their fields, and would refuse them as annotations.
    """
    versioned = re.fullmatch(r"(\w+?)V(\d+)", name)
    try:
        if versioned:
            return message_class(contract_for(versioned[1], int(versioned[2])))
        return message_class(contract_for(name))
    except ContractError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    """The module's names with every message class, for ``help()`` and completion."""
    versions = {f"{c.type}V{c.version}" for c in CONTRACTS.values()}
    return sorted({*globals(), *versions, *(c.type for c in CONTRACTS.values())})


@functools.cache
def _names(cls: type[Message]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]


# The scheduler builds a message per due call: primitives pass first, at one type lookup.
_PRIMITIVES = frozenset({int, str, bool, float, type(None)})


def _json(value: Any) -> Any:
    if type(value) in _PRIMITIVES:
        return value
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def _annotation(f: fields.Field[Any]) -> Any:
    kind = next((py for ma_type, py in PYTHON_TYPES if isinstance(f, ma_type)), Any)
    return kind | None if f.allow_none and kind is not Any else kind


def _default(f: fields.Field[Any]) -> Any:
    # Any: typeshed types ``dataclasses.field()`` as the default's type, not as a Field.
    if f.required:
        return dataclasses.field()
    default = f.load_default
    if callable(default):
        return dataclasses.field(default_factory=default)
    return dataclasses.field(default=None if default is ma.missing else default)
