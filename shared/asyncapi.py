"""The AsyncAPI 3 document of the messages the services exchange, generated from the contracts.

Every contract of :data:`shared.contracts.CONTRACTS` becomes one message whose payload is the
envelope with ``data`` described by the contract's marshmallow schema (converted by apispec,
as the HTTP API's schemas are). The ``crm.events`` exchange and the services' queues are the
channels; each service sends and receives on them as its code does.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import unquote, urlsplit

import marshmallow as ma
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared.contracts import CONTRACTS, CRM, NOTIFIER, SCHEDULER, Contract, EnvelopeSchema

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING = "0.3.0"
EVENTS = "events"
QUEUES = (CRM, SCHEDULER, NOTIFIER)
# Systems outside the three services that send commands to the CRM's queue.
OTHERS = "others"

# Who sends a message and which queue a command goes to are decided where the message is
# recorded, not in its contract. A type missing from SENDERS is sent by the CRM; a contract's
# subscribers are always among its queues.
SENDERS: dict[str, tuple[str, ...]] = {
    "AssignStatus": (OTHERS,),
    # The notifier sends a CallDue to itself when it splits a CallsDue (handlers/calls.py).
    "CallDue": (SCHEDULER, NOTIFIER),
    "CallsDue": (SCHEDULER,),
    "CallPlanned": (SCHEDULER,),
    "TimerFired": (SCHEDULER,),
    "RunRoutine": (SCHEDULER,),
    "ReminderDelivered": (NOTIFIER,),
    "CreateTask": (NOTIFIER, CRM),
    "CreateTasks": (NOTIFIER,),
    "DeliverInApp": (NOTIFIER,),
    "ScheduleTimer": (CRM, NOTIFIER),
    "CancelTimer": (CRM, NOTIFIER),
}
COMMAND_QUEUES: dict[str, tuple[str, ...]] = {
    "AssignStatus": (CRM,),
    "CallDue": (NOTIFIER,),
    "CallsDue": (NOTIFIER,),
    "CreateTask": (CRM,),
    "CreateTasks": (CRM,),
    "DeliverInApp": (CRM,),
    "RunClassification": (CRM,),
    "ScheduleTimer": (SCHEDULER,),
    "CancelTimer": (SCHEDULER,),
    "TimerFired": (CRM, NOTIFIER),
    "RunRoutine": (CRM, SCHEDULER, NOTIFIER),
}


def message_name(contract: Contract) -> str:
    """The message's key in the document: the type and its version (``StatusAssignedV1``)."""
    return f"{contract.type}V{contract.version}"


def queues_of(contract: Contract) -> tuple[str, ...]:
    """The services' queues a message reaches: its subscribers and the queues it is sent to."""
    extra = COMMAND_QUEUES.get(contract.type, ())
    return tuple(q for q in QUEUES if q in contract.subscribers or q in extra)


def senders_of(contract: Contract) -> tuple[str, ...]:
    return SENDERS.get(contract.type, (CRM,))


def document(exchange: str = "crm.events", broker_url: str | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every contract, as JSON-ready data.

    Parameters:
      exchange: the name of the topic exchange events are published to.
      broker_url: where RabbitMQ is; only its host, port and vhost are written, never
        its credentials.

    Returns:
      dict: the document (``asyncapi``, ``info``, ``servers``, ``channels``,
      ``operations``, ``components``).
    """
    contracts = sorted(CONTRACTS.values(), key=lambda c: (c.type, c.version))
    schemas = _data_schemas(contracts)
    channels = {EVENTS: _events_channel(exchange, contracts)}
    channels.update((q, _queue_channel(q, contracts)) for q in QUEUES)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "CRM messages",
            # The envelope's version; each message carries its own in its name.
            "version": "1.0.0",
            "description": (
                "Events the CRM, the scheduler and the notifier publish on the "
                f"`{exchange}` topic exchange, and the commands they send to each "
                "other's queues. Every message is a JSON envelope; its `data` follows the "
                "schema of its type and version. How versions change: docs/messages.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": _server(broker_url)},
        "channels": channels,
        "operations": _operations(channels, contracts),
        "components": {
            "schemas": schemas,
            "messages": {message_name(c): _message(c) for c in contracts},
        },
    }


def _server(broker_url: str | None) -> dict[str, Any]:
    parts = urlsplit(broker_url or "amqp://127.0.0.1:5672/%2F")
    server = {
        "host": f"{parts.hostname}:{parts.port or 5672}",
        "protocol": "amqp",
        "protocolVersion": "0.9.1",
        "description": "RabbitMQ",
    }
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    if vhost != "/":
        server["pathname"] = "/" + vhost
    return server


def _data_schemas(contracts: list[Contract]) -> dict[str, Any]:
    """JSON Schemas of the contracts' data, with the nested schemas they refer to."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec("messages", "1", "3.1.0", plugins=[plugin])
    assert plugin.converter is not None  # made when the spec took the plugin
    plugin.converter.add_attribute_function(_decimal_as_string)  # type: ignore[no-untyped-call]  # unannotated in apispec
    for schema in {c.schema for c in contracts}:
        # A batch's schema registers the one of its items when it comes first.
        if schema.__name__ not in spec.components.schemas:
            spec.components.schema(schema.__name__, schema=schema)
    schemas = spec.to_dict()["components"]["schemas"]
    for schema in schemas.values():
        # Our own consumers refuse unknown fields, but the published schema lets fields be
        # added within a version: other readers must ignore what they do not know.
        if schema.get("additionalProperties") is False:
            del schema["additionalProperties"]
    return dict(sorted(schemas.items()))


def _schema_name(schema: type[ma.Schema] | ma.Schema) -> str:
    return (schema if isinstance(schema, type) else type(schema)).__name__


def _decimal_as_string(self: object, field: ma.fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    # apispec writes every Decimal as a number; ours travel as strings, exactly.
    if isinstance(field, ma.fields.Decimal) and field.as_string:
        return {"type": ["string", "null"] if field.allow_none else "string", "format": "decimal"}
    return {}


def _envelope(contract: Contract) -> dict[str, Any]:
    fields = EnvelopeSchema._declared_fields
    return {
        "type": "object",
        "required": sorted(name for name, f in fields.items() if f.required),
        "properties": {
            "message_id": {
                "type": "string",
                "format": "uuid",
                "description": "Unique per message; a message sent again keeps it.",
            },
            "type": {"type": "string", "const": contract.type},
            "version": {"type": "integer", "const": contract.version},
            "occurred_at": {
                "type": "string",
                "format": "date-time",
                "description": "When the fact happened, with its offset.",
            },
            "data": {"$ref": f"#/components/schemas/{contract.schema.__name__}"},
        },
    }


def _message(contract: Contract) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": message_name(contract),
        "title": f"{contract.type} v{contract.version}",
        "summary": _summary(contract),
        "contentType": "application/json",
        "payload": _envelope(contract),
        "bindings": {"amqp": {"messageType": contract.type, "bindingVersion": AMQP_BINDING}},
        "x-senders": list(senders_of(contract)),
        "x-queues": list(queues_of(contract)),
    }
    if not contract.produced:
        message["description"] = "Consumers read this version; producers do not send it yet."
    if contract.event:
        # The routing key is <aggregate>.<event>: a queue bound with this pattern gets it.
        message["x-routing-key"] = f"*.{contract.event}"
    return message


def _summary(contract: Contract) -> str:
    doc = inspect.getdoc(contract.schema)
    own = doc and contract.schema.__doc__  # a docstring inherited from _Data is no summary
    kind = "Event" if contract.event else "Command"
    return (
        doc.splitlines()[0]
        if doc and own
        else f"{kind} {contract.type}, version {contract.version}."
    )


def _events_channel(exchange: str, contracts: list[Contract]) -> dict[str, Any]:
    return {
        "address": exchange,
        "title": exchange,
        "description": (
            "The topic exchange other systems bind their queues to. The routing key is "
            "`<aggregate>.<event>` (`lead.status_assigned`); the AMQP `type` property and "
            "the envelope's `type` name the message."
        ),
        "messages": {message_name(c): _ref(c) for c in contracts if c.event},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": exchange,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                },
                "bindingVersion": AMQP_BINDING,
            }
        },
    }


def _queue_channel(queue: str, contracts: list[Contract]) -> dict[str, Any]:
    return {
        "address": queue,
        "title": queue,
        "description": (
            f"The durable queue the {queue} worker consumes. Each message is a dramatiq "
            f'message (`actor_name` "handle_{queue}_message") whose one argument is the '
            f"envelope; a message that breaks its contract goes to `{queue}.XQ` with the reason."
        ),
        "messages": {message_name(c): _ref(c) for c in contracts if queue in queues_of(c)},
        "bindings": {
            "amqp": {
                "is": "queue",
                "queue": {"name": queue, "durable": True, "exclusive": False, "autoDelete": False},
                "bindingVersion": AMQP_BINDING,
            }
        },
    }


def _ref(contract: Contract) -> dict[str, str]:
    return {"$ref": f"#/components/messages/{message_name(contract)}"}


def _operations(channels: dict[str, Any], contracts: list[Contract]) -> dict[str, Any]:
    """A send per sender and channel, and a receive per channel."""
    operations: dict[str, Any] = {}
    for channel_id, channel in channels.items():
        sent = [c for c in contracts if message_name(c) in channel["messages"]]
        for sender in sorted({s for c in sent for s in senders_of(c)}):
            names = [message_name(c) for c in sent if sender in senders_of(c)]
            operations[f"{sender}_sends_to_{channel_id}"] = _operation(
                "send", channel_id, names, f"{sender} → {channel['address']}"
            )
        # Each service consumes its queue; other systems bind queues of their own to the exchange.
        receiver = channel_id if channel_id in QUEUES else OTHERS
        operations[f"{receiver}_receives"] = _operation(
            "receive", channel_id, list(channel["messages"]), f"{receiver}: {channel['address']}"
        )
    return operations


def _operation(action: str, channel_id: str, names: list[str], title: str) -> dict[str, Any]:
    return {
        "action": action,
        "title": title,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in names],
    }
