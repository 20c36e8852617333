"""``crm-ops``: the operator's commands. Configuration comes from the same environment
variables as the services (``DATABASE_URL``, ``BROKER_URL``, ...); see deploy/README.md."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.crm.domain.errors import DomainError
from services.ops import accounts, database, queues, reference_books
from services.ops import quarantine as quarantined
from services.scheduler.adapters import controls
from services.scheduler.adapters.ticker import CHANNEL as SCHEDULER_WAKEUP
from shared import config
from shared.db import make_engine, make_session_factory, transaction
from shared.migrations import upgrade_all


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction on the configured database; domain refusals become CLI errors."""
    engine = make_engine(config.load().database_url, pool_size=1)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """Operate the CRM: schema, accounts, queues, scheduler, reference books, backups."""


@main.command()
@click.option("--check", is_flag=True, help="Only report; exit 1 if a schema is behind.")
@click.option("--wait", type=float, default=0, help="With --check: poll up to this many seconds.")
def migrate(check: bool, wait: float) -> None:
    """Create the database if needed and migrate every service's schema to the newest revision.

    Migrations run as MIGRATION_DATABASE_URL (the owner), which then grants the role of
    DATABASE_URL its rows; --check needs only DATABASE_URL, as the services' pods have it.
    """
    if not check:
        upgrade_all()
        click.echo("schemas crm, scheduler, notifier are at their newest revision")
        return
    url = config.load().database_url
    deadline = time.monotonic() + wait
    while pending := database.pending_migrations(url):
        if time.monotonic() >= deadline:
            for service, (current, head) in pending.items():
                click.echo(f"{service}: at {current or 'nothing'}, newest is {head}", err=True)
            sys.exit(1)
        time.sleep(2)
    click.echo("every schema is at its newest revision")


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Administrator", show_default=True)
@click.option("--timezone", default="UTC", show_default=True)
def create_admin(email: str, name: str, timezone: str) -> None:
    """Create an admin employee and print its bearer token (shown once)."""
    settings = config.load()
    with unit_of_work() as session:
        click.echo(accounts.create_admin(session, name, email, timezone, settings))


@main.command("rotate-tokens")
@click.argument("employees", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="Every active employee.")
def rotate_tokens(employees: tuple[str, ...], everyone: bool) -> None:
    """Revoke the employees' tokens (by id or e-mail) and print a new one for each."""
    if not employees and not everyone:
        raise click.UsageError("name employees by id or e-mail, or pass --all")
    with unit_of_work() as session:
        chosen = (
            accounts.active_employees(session)
            if everyone
            else [accounts.find_employee(session, who) for who in employees]
        )
        for employee in chosen:
            revoked, token = accounts.rotate_tokens(session, employee)
            click.echo(f"{employee.email}\trevoked {revoked}\t{token}")


@main.command("queues")
def show_queues() -> None:
    """Messages ready, delayed and dead-lettered, and consumers, of each service's queue."""
    rows = queues.depths(config.load().broker_url)
    click.echo(f"{'queue':<12}{'ready':>8}{'consumers':>11}{'delayed':>9}{'dead':>7}")
    for d in rows:
        cells = [d.ready, d.consumers, d.delayed, d.dead]
        shown = ["-" if c is None else str(c) for c in cells]
        click.echo(f"{d.queue:<12}{shown[0]:>8}{shown[1]:>11}{shown[2]:>9}{shown[3]:>7}")


@main.command("dead-letters")
@click.argument("queue", type=click.Choice(queues.QUEUES))
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print whole messages, one JSON a line.")
def dead_letters(queue: str, limit: int, as_json: bool) -> None:
    """Show why messages of QUEUE were dead-lettered (they stay in QUEUE.XQ)."""
    for letter in queues.dead_letters(config.load().broker_url, queue, limit):
        if as_json:
            click.echo(json.dumps({"reason": letter.reason, "message": letter.message}))
        else:
            click.echo(f"{letter.message_id}\t{letter.type or letter.actor}\t{letter.reason}")


@main.command()
@click.argument("queue", type=click.Choice(queues.QUEUES))
@click.option("--limit", type=int, help="Replay at most this many.")
@click.option("--message-id", "message_ids", multiple=True, help="Only this id (repeatable).")
def replay(queue: str, limit: int | None, message_ids: tuple[str, ...]) -> None:
    """Move dead letters of QUEUE back to it after a fix, keeping their message ids."""
    only = set(message_ids) or None
    replayed = queues.replay(config.load().broker_url, queue, limit, only)
    for message_id in replayed:
        click.echo(message_id)
    click.echo(f"replayed {len(replayed)} message(s) to {queue}", err=True)


@main.command("pause-scheduler")
@click.option("--reason", help="Shown by resume-scheduler and in the logs of whoever looks.")
def pause_scheduler(reason: str | None) -> None:
    """Stop every scheduler instance from emitting due calls, timers and routine runs."""
    with unit_of_work() as session:
        row = controls.pause(session, reason)
    click.echo(f"scheduler paused since {row.paused_at.isoformat()} ({row.reason or 'no reason'})")


@main.command("resume-scheduler")
def resume_scheduler() -> None:
    """Let the scheduler emit again; what fell due meanwhile is emitted at once."""
    with unit_of_work() as session:
        was_paused = controls.resume(session)
        # Wakes sleeping ticks at commit instead of after their longest sleep.
        session.execute(text("SELECT pg_notify(:channel, 'resume')"), {"channel": SCHEDULER_WAKEUP})
    click.echo("scheduler resumed" if was_paused else "scheduler was not paused")


@main.group()
def quarantine() -> None:
    """Rows the scheduler or a relay set aside because they could never be processed."""


@quarantine.command("list")
def quarantine_list() -> None:
    """Show every row set aside: table, id, since when, and why."""
    with unit_of_work() as session:
        rows = quarantined.listed(session)
    for row in rows:
        click.echo(f"{row.table}\t{row.id}\t{row.at.isoformat()}\t{row.reason}")
    click.echo(f"{len(rows)} row(s) quarantined", err=True)


@quarantine.command("release")
@click.argument("table", type=click.Choice(tuple(quarantined.TABLES)))
@click.argument("row_id", metavar="ID", type=int)
def quarantine_release(table: str, row_id: int) -> None:
    """Give a row set aside back to its loop (after fixing its cause); it is tried at once."""
    with unit_of_work() as session:
        if not quarantined.release(session, table, row_id):
            raise click.ClickException(f"{table} {row_id} is not quarantined")
    click.echo(f"released {table} {row_id}")


@main.command("export-reference")
@click.option("--output", "-o", type=click.File("w"), default="-", show_default=True)
def export_reference(output) -> None:
    """Write interaction statuses and refusal reasons as JSON."""
    with unit_of_work() as session:
        document = reference_books.export(session)
    json.dump(document, output, indent=2, ensure_ascii=False)
    output.write("\n")


@main.command("import-reference")
@click.argument("source", type=click.File("r"))
def import_reference(source) -> None:
    """Create or update reference-book entries from an export (matched by name)."""
    try:
        document = json.load(source)
        with unit_of_work() as session:
            counts = reference_books.import_(session, document)
    except (json.JSONDecodeError, reference_books.Rejected) as exc:
        raise click.ClickException(f"not imported: {exc}") from None
    for book, c in counts.items():
        click.echo(
            f"{book}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
        )


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Dump the whole database to PATH (pg_dump custom format)."""
    url = config.load().database_url
    try:
        database.backup(url, path)
    except database.ToolFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up {sum(database.row_counts(url).values())} rows to {path}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--database-url",
    help="Restore there instead of MIGRATION_DATABASE_URL (created if missing), as its owner.",
)
@click.confirmation_option(prompt="Replace the database's contents with the backup?")
def restore(path: Path, database_url: str | None) -> None:
    """Restore a backup made by `crm-ops backup` as the schemas' owner; stop the services first."""
    url = database_url or config.load().migration_database_url
    try:
        database.restore(url, path)
    except database.ToolFailed as exc:
        raise click.ClickException(str(exc)) from None
    counts = database.row_counts(url)
    click.echo(f"restored {len(counts)} tables, {sum(counts.values())} rows")


if __name__ == "__main__":
    main()
