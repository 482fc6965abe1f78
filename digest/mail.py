"""The emailed digest: one multipart/alternative message, sent once per recipient and day."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from digest.config import EmailConfig
from digest.errors import DeliveryError
from digest.models import Digest
from digest.render import render_email_html, render_text, safe_url
from digest.store import Store

PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"


def env_password() -> str | None:
    """Return the SMTP password from the environment (never from the config file)."""
    return os.environ.get(PASSWORD_ENV) or None


@dataclass(frozen=True)
class Delivery:
    """What delivering one day's digest did."""

    eml: Path
    sent_to: tuple[str, ...] = ()
    already_sent: tuple[str, ...] = ()
    message_id: str | None = None
    # Why nothing was sent, when nothing was ("no smtp_host", "no recipients"...).
    note: str = ""


def subject_line(digest: Digest, template: str) -> str:
    """Return the subject from the configured template ({title}, {date}, {n}, {k})."""
    stories = sum(len(s.entries) for s in digest.sections)
    subject = template.format(title=digest.title, date=digest.day.isoformat(), n=stories,
                              k=len(digest.sections))
    return " ".join(subject.split())  # no header injection through a title


def build_message(
    digest: Digest, settings: EmailConfig, recipients: Sequence[str], now: datetime
) -> EmailMessage:
    """Return the digest as one message: a plain-text part and an inlined-CSS HTML part."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject_line(digest, settings.subject)
    message["From"] = settings.from_
    message["To"] = ", ".join(recipients) if recipients else settings.from_
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("digest-" + digest.day.isoformat(),
                                       domain=settings.from_.rpartition("@")[2] or None)
    unsubscribe = _unsubscribe(settings.list_unsubscribe)
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(digest))
    message.add_alternative(render_email_html(digest, unsubscribe), subtype="html")
    return message


def _unsubscribe(value: str) -> str | None:
    value = value.strip()
    if value.startswith("mailto:") and not any(c in value for c in "\r\n<>"):
        return value
    return safe_url(value)


def write_eml(message: EmailMessage, path: Path) -> Path:
    """Write the message as an .eml file any mail client opens."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(message.as_bytes())
    except OSError as exc:
        raise DeliveryError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path


def send(
    message: EmailMessage, recipients: Sequence[str], settings: EmailConfig, password: str | None,
) -> tuple[str, ...]:
    """Send `message` to `recipients` over SMTP; return those the server accepted.

    Raises DeliveryError with a one-line reason when the server cannot be
    reached, refuses the login or refuses every recipient.
    """
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                      timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                                  timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username:
                if not password:
                    raise DeliveryError(f"{where}: username '{settings.username}' is set but "
                                        "no password (set DIGEST_SMTP_PASSWORD)")
                client.login(settings.username, password)
            refused = client.send_message(message, from_addr=settings.from_,
                                          to_addrs=list(recipients))
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{where}: every recipient was refused "
                            f"({_reasons(exc.recipients)})") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{where}: login refused ({_text(exc.smtp_error)})") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"{where}: server said {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DeliveryError(f"{where}: cannot send ({reason})") from None
    return tuple(r for r in recipients if r not in refused)


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())


def _reasons(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{who}: {code} {_text(why)}" for who, (code, why) in refused.items())


def deliver(
    store: Store, digest: Digest, settings: EmailConfig, folder: Path, now: datetime,
    password: str | None = None, resend: bool = False,
) -> Delivery:
    """Write the day's message to `folder`/digest.eml and send it to whoever has not had it.

    Each recipient gets a given day's digest once: the store remembers who was
    sent what, so reruns, retries and second triggers send nothing new unless
    `resend` is true. Raises DeliveryError when sending fails; the recipients
    not reached stay pending for the next attempt.
    """
    day = digest.day
    done = store.delivered(day) if not resend else set()
    pending = [r for r in settings.to if r not in done]
    message = build_message(digest, settings, pending or settings.to, now)
    eml = write_eml(message, folder / "digest.eml")
    already = tuple(r for r in settings.to if r in done)
    if not settings.to:
        return Delivery(eml, note="no recipients ([email] to is empty)")
    if not settings.smtp_host:
        return Delivery(eml, already_sent=already,
                        note=f"not sent: no [email] smtp_host; the message is in {eml}")
    if not pending:
        return Delivery(eml, already_sent=already,
                        note=f"already sent to every recipient for {day} (use --resend)")
    accepted = send(message, pending, settings, password)
    message_id = str(message["Message-ID"])
    store.record_delivery(day, accepted, message_id, str(message["Subject"]), now)
    refused = [r for r in pending if r not in accepted]
    if refused:
        raise DeliveryError(f"SMTP {settings.smtp_host}: refused {', '.join(refused)}; "
                            f"sent to {', '.join(accepted)}")
    return Delivery(eml, accepted, already, message_id)


def write_unsent(digest: Digest, settings: EmailConfig, folder: Path, now: datetime) -> Path:
    """Write the day's message to `folder`/digest.eml without sending it (a preview)."""
    return write_eml(build_message(digest, settings, settings.to, now), folder / "digest.eml")


def send_failure_notice(
    settings: EmailConfig, password: str | None, day: date | None, error: str, now: datetime
) -> bool:
    """Email the admin address that a run failed; return whether a notice went out."""
    if not settings.admin or not settings.smtp_host:
        return False
    message = EmailMessage(policy=SMTP)
    when = day.isoformat() if day else "today"
    message["Subject"] = f"news-digest: the run for {when} failed"
    message["From"] = settings.from_
    message["To"] = settings.admin
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("digest-failure",
                                       domain=settings.from_.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(f"The news-digest run for {when} failed:\n\n{error}\n\n"
                        "The digest files already written stay on disk; a rerun for the same "
                        "date sends the email to whoever has not had it.\n")
    send(message, [settings.admin], settings, password)
    return True
