"""E-mail to the sales address, sent with a real SMTP client to the receiving endpoint: logged
for the customer who wrote, with its attachments, or registered when the sender is unknown."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from email.message import EmailMessage

import pytest

from services.crm.entrypoints.mail import controller
from tests.e2e.conftest import free_port
from tests.integration.crm.support import created, outbox_of


@pytest.fixture()
def mailbox(settings, clean_db):
    """The sales mailbox's SMTP endpoint on a free port, as the ``mail`` process runs it."""
    mail_settings = replace(settings, mail_port=free_port(), sales_addresses="sales@crm.example")
    server = controller(mail_settings)
    server.start()
    yield mail_settings
    server.stop()


def letter(sender: str, subject: str, body: str, *, attach: bytes | None = None, **headers):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "sales@crm.example", subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if attach is not None:
        message.add_attachment(attach, maintype="application", subtype="pdf", filename="specs.pdf")
    return message


def send(mailbox, message: EmailMessage, to: str = "sales@crm.example") -> None:
    with smtplib.SMTP(mailbox.mail_host, mailbox.mail_port, timeout=10) as client:
        client.send_message(message, to_addrs=[to])


def test_a_customers_e_mail_is_logged_with_its_attachment_and_the_manager_told(
    mailbox, manager, as_role, sessions
):
    lead = created(
        manager,
        "/api/leads",
        name="Globex",
        responsible_id=manager.id,
        emails=["Hank@Globex.example"],
    )
    pdf = b"%PDF-1.4 specs"
    send(mailbox, letter("Hank <hank@globex.example>", "Prices?", "Send the list", attach=pdf))

    [mail] = manager.get(f"/api/leads/{lead['id']}/events").json
    assert (mail["kind"], mail["direction"], mail["topic"]) == ("email", "incoming", "Prices?")
    assert mail["content"].strip() == "Send the list"
    [attachment] = mail["attachments"]
    assert (attachment["name"], attachment["size"]) == ("specs.pdf", len(pdf))
    download = manager.get(f"/api/files/{attachment['file_id']}")
    assert download.data == pdf and download.mimetype == "application/pdf"
    stranger = as_role("manager", department="Elsewhere")
    assert stranger.get(f"/api/files/{attachment['file_id']}").status_code == 404
    assert any("E-mail from Globex" in n["text"] for n in manager.get("/api/inbox").json)
    [event] = outbox_of(sessions, "InteractionRecorded")
    assert (event.data["kind"], event.data["subject_id"]) == ("email", lead["id"])


def test_an_unknown_sender_starts_a_registration_and_a_resent_message_is_kept_once(
    mailbox, as_role, sessions
):
    secretary = as_role("secretary")
    message = letter("New Client <new@client.example>", "Quote", "Hello", Message_ID="<q1@c>")
    send(mailbox, message)
    send(mailbox, message)  # the sender's server retried

    [process] = secretary.get("/api/processes").json
    registration = secretary.get(f"/api/documents?process_id={process['id']}").json[0]
    assert (registration["kind"], registration["step"]) == ("email", "registration")
    assert registration["contacts"] == [
        {"presentation": "New Client", "email": "new@client.example"}
    ]
    assert "Quote" in registration["content"] and "Hello" in registration["content"]
    assert len(outbox_of(sessions, "ProcessStarted")) == 1


def test_mail_for_another_address_is_refused_not_relayed(mailbox, as_role):
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(mailbox, letter("a@b.example", "Hi", "x"), to="ceo@crm.example")
    assert as_role("secretary").get("/api/processes").json == []


def test_a_message_larger_than_the_limit_is_refused(settings, clean_db):
    small = replace(settings, mail_port=free_port(), mail_max_bytes=2000)
    server = controller(small)
    server.start()
    try:
        with pytest.raises(smtplib.SMTPException):
            send(small, letter("a@b.example", "Big", "x" * 5000))
    finally:
        server.stop()
