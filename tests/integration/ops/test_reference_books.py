"""Reference books exported as JSON and imported back, matched by name."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from services.crm.adapters.orm import InteractionStatus, OutboxMessage, RefusalReason
from shared.db import table_of, transaction


def test_an_export_imported_after_edits_puts_every_entry_back_and_replans_changed_intervals(
    ops, sessions, clean_db, tmp_path
):
    with transaction(sessions) as session:
        session.add(RefusalReason(name="Too expensive", sort_order=10))
        session.add(InteractionStatus(name="Dormant", call_interval_days=180, sort_order=50))
    exported = tmp_path / "books.json"
    ops("export-reference", "--output", exported)
    with transaction(sessions) as session:
        session.execute(
            update(InteractionStatus)
            .where(InteractionStatus.name == "Warm")
            .values(call_interval_days=21, version=InteractionStatus.version + 1)
        )
        session.execute(update(RefusalReason).values(active=False))
        session.delete(session.scalars(select(InteractionStatus).filter_by(name="Dormant")).one())
        session.execute(table_of(OutboxMessage).delete())

    summary = ops("import-reference", exported).stdout
    assert "interaction_statuses: 1 created, 1 updated, 3 unchanged" in summary
    assert "refusal_reasons: 0 created, 1 updated, 0 unchanged" in summary

    again = tmp_path / "again.json"
    ops("export-reference", "--output", again)
    first, second = json.loads(exported.read_text()), json.loads(again.read_text())
    assert {k: v for k, v in first.items() if k != "exported_at"} == {
        k: v for k, v in second.items() if k != "exported_at"
    }
    with sessions() as session:
        changed = [
            (row.type, row.data.get("name"))
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    # The scheduler re-plans Warm subjects from this event, as after an edit in the API.
    assert ("InteractionStatusChanged", "Warm") in changed


def test_an_import_with_a_bad_entry_changes_nothing_and_names_the_field(ops, clean_db, tmp_path):
    document = tmp_path / "bad.json"
    document.write_text(
        json.dumps(
            {
                "format": "crm-reference-books/1",
                "interaction_statuses": [{"name": "Lukewarm", "call_interval_days": -1}],
            }
        )
    )
    result = ops("import-reference", document, code=1)
    assert "call_interval_days" in result.output
    assert "Lukewarm" not in ops("export-reference").stdout
