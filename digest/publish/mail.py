"""The emailed digest: one multipart/alternative message, sent once per recipient and day."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from digest.config import EmailConfig
from digest.errors import DeliveryError, DeliveryInDoubt, StoreError
from digest.models import Digest
from digest.publish.rank import within_budget
from digest.publish.render import render_email_html, render_text, safe_url

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

# Gmail clips a message whose HTML is larger than about 102 KB (its help
# pages); the email stays under 100 KB, inlined CSS included.
MAX_EMAIL_HTML_BYTES = 100_000
# How long a run waits for another run's sending step to end.
SEND_WAIT_SECONDS = 120.0


class Ledger(Protocol):
    """Where sends are recorded (the store): who had which day's digest, sends in flight."""

    def sending(self, wait: float) -> AbstractContextManager[None]: ...

    def delivery_states(self, day: date) -> dict[str, tuple[str, int, str]]: ...

    def record_intent(self, day: date, recipient: str, message_id: str, attempt: int,
                      subject: str, when: datetime) -> None: ...

    def record_handover(self, day: date, recipient: str) -> None: ...

    def record_delivery(self, day: date, recipient: str, when: datetime) -> None: ...

    def drop_intent(self, day: date, recipient: str,
                    before: tuple[str, int, str] | None) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """What delivering one day's digest did."""

    eml: Path
    sent_to: tuple[str, ...] = ()
    already_sent: tuple[str, ...] = ()
    message_id: str | None = None
    # Why nothing was sent, when nothing was ("no smtp_host", "no recipients"...).
    note: str = ""
    # Recipients a stopped run may have sent to: not sent again (see `deliver`).
    in_doubt: tuple[str, ...] = ()


def subject_line(digest: Digest, template: str) -> str:
    """Return the subject from the configured template.

    Placeholders: {title}, {date}, {stories} ("3 stories", "1 story"),
    {sections} ("1 section"), and the bare numbers {n} and {k}.
    """
    stories = sum(len(s.entries) + s.more for s in digest.sections)
    sections = len(digest.sections)
    subject = template.format(
        title=digest.title, date=digest.day.isoformat(), n=stories, k=sections,
        stories=f"{stories} {'story' if stories == 1 else 'stories'}",
        sections=f"{sections} {'section' if sections == 1 else 'sections'}")
    return " ".join(subject.split())  # no header injection through a title


def message_id(day: date, recipient: str, attempt: int, sender: str) -> str:
    """Return the Message-ID of `day`'s digest to `recipient`, the `attempt`-th time sent.

    The same inputs give the same id, so a send repeated after a crash is
    the same message to mail servers and clients, which drop the repeat.
    """
    who = hashlib.sha256(recipient.casefold().encode()).hexdigest()[:16]
    domain = sender.rpartition("@")[2] or "news-digest.invalid"
    return f"<digest-{day.isoformat()}-{who}-{attempt}@{domain}>"


def build_message(
    digest: Digest, settings: EmailConfig, recipients: Sequence[str], now: datetime,
    identity: str | None = None, parts: tuple[str, str] | None = None,
) -> EmailMessage:
    """Return the digest as one message: a plain-text part and an inlined-CSS HTML part.

    `parts` are the (text, HTML) bodies from `email_parts`, when already made.
    """
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject_line(digest, settings.subject)
    message["From"] = settings.from_
    message["To"] = ", ".join(recipients) if recipients else settings.from_
    message["Date"] = format_datetime(now)
    message["Message-ID"] = identity or make_msgid(
        "digest-" + digest.day.isoformat(), domain=settings.from_.rpartition("@")[2] or None)
    unsubscribe = _unsubscribe(settings.list_unsubscribe)
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["Auto-Submitted"] = "auto-generated"
    text, html = parts or email_parts(digest, settings)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def email_parts(digest: Digest, settings: EmailConfig) -> tuple[str, str]:
    """Return the email's text and HTML bodies: the (ranked) digest cut to its budget.

    At most `max_stories` stories, `per_section` per section, and HTML of at
    most MAX_EMAIL_HTML_BYTES: fewer stories until it fits.
    """
    unsubscribe = _unsubscribe(settings.list_unsubscribe)
    stories = settings.max_stories
    while True:
        short = within_budget(digest, stories, settings.per_section)
        html = render_email_html(short, unsubscribe)
        size = len(html.encode())
        if size <= MAX_EMAIL_HTML_BYTES or stories <= 1:
            return render_text(short), html
        stories = max(1, stories * MAX_EMAIL_HTML_BYTES // size - 1)


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


class _SMTP(smtplib.SMTP):
    """smtplib's client, calling `before_data` just before the message is complete.

    A server delivers a message only once it has its last line (the lone
    "." that ends DATA). So the message goes out whole but for that line,
    then `before_data` is called, then the line is sent: a run stopped
    before that point has certainly not sent the message, and one stopped
    after it may have.
    """

    before_data: Callable[[], None] | None = None
    handed_over = False
    _in_data = False

    def data(self, msg: Buffer | str) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s: Buffer | str) -> None:
        last = b".\r\n"
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n" + last):
            super().send(s[:-len(last)])
            if self.before_data is not None:
                self.before_data()
            self.handed_over = True
            s = last
        super().send(s)


class _SMTP_SSL(_SMTP, smtplib.SMTP_SSL):
    """`_SMTP` over implicit TLS."""


def send(
    message: EmailMessage, recipients: Sequence[str], settings: EmailConfig, password: str | None,
    before_data: Callable[[], None] | None = None,
) -> tuple[str, ...]:
    """Send `message` to `recipients` over SMTP; return those the server accepted.

    `before_data` is called when the server has all of the message but its
    last line, which makes it complete (see `_SMTP`).
    Raises DeliveryError with a one-line reason when the server cannot be
    reached, refuses the login or refuses every recipient, and
    DeliveryInDoubt when the message was handed over and no answer came
    (a timeout, a dropped connection): the server may have it.
    """
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    client: _SMTP | None = None
    try:
        if settings.security == "ssl":
            client = _SMTP_SSL(settings.smtp_host, settings.smtp_port,
                               timeout=settings.timeout, context=context)
        else:
            client = _SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
        client.before_data = before_data
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
        if client is not None:
            client.close()  # the connection is in an unknown state: no QUIT on it
            if client.handed_over:
                raise DeliveryInDoubt(f"{where}: no answer after the message was handed "
                                      f"over ({reason}), so it may have arrived") from None
        raise DeliveryError(f"{where}: cannot send ({reason})") from None
    finally:
        if client is not None and client.sock is not None:
            _goodbye(client)
    return tuple(r for r in recipients if r not in refused)


def _goodbye(client: smtplib.SMTP) -> None:
    """Say QUIT and close; its answer changes nothing (the outcome is known by then)."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())


def _reasons(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{who}: {code} {_text(why)}" for who, (code, why) in refused.items())


def deliver(
    store: Ledger, digest: Digest, settings: EmailConfig, folder: Path, now: datetime,
    password: str | None = None, resend: bool = False, wait: float = SEND_WAIT_SECONDS,
    parts: tuple[str, str] | None = None,
) -> Delivery:
    """Write the day's message to `folder`/digest.eml and send it to whoever has not had it.

    Each recipient gets a given day's digest once, in a message of their own
    (no one sees the others' addresses):
    - one run at a time sends for a store (`Store.sending`; others wait up to
      `wait` seconds, then stop with a one-line error);
    - the intent to send is recorded ("ready") before each send, marked
      "sending" just before the server gets the last line of the message
      (which makes it deliverable), and marked "sent" once the server
      accepted it. A run killed while "ready" never handed the message
      over, so the next run sends it; one killed while "sending" leaves an
      unknown outcome: the next run reports it and does not send again (the
      mail may have arrived).
      `resend` sends it again under the same Message-ID, and resends the
      sent ones under a new one;
    - Message-IDs are deterministic per (day, recipient, attempt).
    Raises DeliveryError when sending fails; recipients not reached stay pending.
    """
    # The same bodies for the preview and every message, made once (by the caller, if given).
    parts = parts or email_parts(digest, settings)
    eml = write_eml(build_message(digest, settings, settings.to, now, parts=parts),
                    folder / "digest.eml")
    if not settings.to:
        return Delivery(eml, note="no recipients ([email] to is empty)")
    if not settings.smtp_host:
        return Delivery(eml, note=f"not sent: no [email] smtp_host; the message is in {eml}")
    if not settings.send_empty and not any(section.entries for section in digest.sections):
        return Delivery(eml, note=f"not sent: the digest for {digest.day} has no stories "
                                  "([email] send_empty = true sends it anyway)")
    try:
        with store.sending(wait):
            return _send_pending(store, digest, settings, eml, now, password, resend, parts)
    except StoreError as exc:
        raise DeliveryError(str(exc)) from None


def _send_pending(
    store: Ledger, digest: Digest, settings: EmailConfig, eml: Path, now: datetime,
    password: str | None, resend: bool, parts: tuple[str, str],
) -> Delivery:
    day = digest.day
    states = store.delivery_states(day)
    already = tuple(r for r in settings.to if states.get(r, ("",))[0] == "sent")
    unknown = tuple(r for r in settings.to if states.get(r, ("",))[0] == "sending")
    pending = [r for r in settings.to
               if resend or states.get(r, ("ready",))[0] == "ready"]
    doubt = tuple(r for r in unknown if r not in pending)
    notes = [f"{r}: a run stopped while sending {day}'s digest, so it may have arrived; "
             "not sent again (use --resend)" for r in doubt]
    if not pending:
        note = "; ".join(notes) or f"already sent to every recipient for {day} (use --resend)"
        return Delivery(eml, already_sent=already, note=note, in_doubt=doubt)
    sent: list[str] = []
    refused: list[str] = []
    first_id = None
    for recipient in pending:
        before = states.get(recipient)
        # A send whose outcome is unknown is repeated under its own id.
        attempt = (before[1] + (before[0] == "sent")) if before else 0
        identity = message_id(day, recipient, attempt, settings.from_)
        message = build_message(digest, settings, [recipient], now, identity, parts)
        store.record_intent(day, recipient, identity, attempt, str(message["Subject"]), now)
        try:
            accepted = send(message, [recipient], settings, password,
                            partial(store.record_handover, day, recipient))
        except DeliveryInDoubt:
            raise  # stays "sending": the next run reports it and does not send it again
        except DeliveryError:
            store.drop_intent(day, recipient, before)
            raise
        if accepted:
            store.record_delivery(day, recipient, now)
            sent.append(recipient)
            first_id = first_id or identity
        else:
            store.drop_intent(day, recipient, before)
            refused.append(recipient)
    if refused:
        raise DeliveryError(f"SMTP {settings.smtp_host}: refused {', '.join(refused)}; "
                            f"sent to {', '.join(sent) or 'nobody'}")
    return Delivery(eml, tuple(sent), tuple(r for r in already if r not in sent), first_id,
                    note="; ".join(notes), in_doubt=doubt)


def write_unsent(digest: Digest, settings: EmailConfig, folder: Path, now: datetime,
                 parts: tuple[str, str] | None = None) -> Path:
    """Write the day's message to `folder`/digest.eml without sending it (a preview)."""
    return write_eml(build_message(digest, settings, settings.to, now, parts=parts),
                     folder / "digest.eml")


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
