"""The emailed digest: message shape, and sending through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import os
import smtplib
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage, Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword
from mailserver import Inbox, free_port, running_inbox

from digest.config import Config, EmailConfig
from digest.errors import DeliveryError, DeliveryInDoubt
from digest.models import Digest, DigestCounts, DigestEntry, DigestSection
from digest.pipeline import run_in_process
from digest.publish.mail import build_message, deliver, message_id, subject_line
from digest.store import Store

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with running_inbox() as inbox:
        yield inbox, inbox.port


def digest_with(title: str = EVIL) -> Digest:
    entry = DigestEntry(id="a1", title=title, source="Harbour <b>Gazette</b>",
                        published=NOW, summary=("The ferry is back & busy.",),
                        url="https://harbour.example/ferry")
    plain = DigestEntry(id="a2", title="Chess final decided", source="Chess Weekly",
                        published=NOW, summary=("A rapid tiebreak.",))
    sections = (DigestSection("Ferries", (entry,)), DigestSection("Chess", (plain,)))
    return Digest(DAY, "Daily digest", sections, DigestCounts(articles=2, themes=2, sources=2))


def settings(port: int = 25, **kwargs: Any) -> EmailConfig:
    values: dict[str, Any] = {"to": ("ann@example.org", "bob@example.org"),
                              "from_": "digest@example.org", "smtp_host": "127.0.0.1",
                              "smtp_port": port, "security": "none"}
    values.update(kwargs)
    return EmailConfig(**values)


def html_part(message: Message) -> str:
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_message_is_multipart_alternative_with_inlined_css_and_escaped_titles() -> None:
    message = build_message(digest_with(), settings(list_unsubscribe="https://x.example/u"),
                            ["ann@example.org"], NOW)
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "Daily digest 2026-11-23: 2 stories in 2 sections"
    assert parsed["From"] == "digest@example.org" and parsed["To"] == "ann@example.org"
    assert parsed["Date"] == "Mon, 23 Nov 2026 07:00:00 +0000"
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["List-Unsubscribe"] == "<https://x.example/u>"
    html = html_part(parsed)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Harbour &lt;b&gt;Gazette&lt;/b&gt;" in html
    # CSS is inlined: headings and cells carry their styles.
    assert '<h2 style="' in html and '<td class="masthead" style="' in html
    assert "<link" not in html and "<img" not in html
    assert 'role="presentation"' in html  # table layout
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert EVIL in text  # plain text shows the title as it is
    assert "https://harbour.example/ferry" in text


def test_subject_template_cannot_inject_headers() -> None:
    digest = digest_with()
    digest = Digest(DAY, "Bad\r\nBcc: evil@example.org", digest.sections, digest.counts)
    assert subject_line(digest, "{title} {date}") == "Bad Bcc: evil@example.org 2026-11-23"
    unsafe = build_message(digest_with(), settings(list_unsubscribe="javascript:alert(1)"),
                           ["ann@example.org"], NOW)
    assert unsafe["List-Unsubscribe"] is None


def test_delivery_is_sent_once_per_recipient_and_day(
    smtp: tuple[Inbox, int], tmp_path: Path,
) -> None:
    inbox, port = smtp
    with Store(tmp_path / "d.db") as store:
        first = deliver(store, digest_with(), settings(port), tmp_path, NOW)
        assert first.sent_to == ("ann@example.org", "bob@example.org")
        assert (tmp_path / "digest.eml").exists()
        again = deliver(store, digest_with(), settings(port), tmp_path, NOW)
        assert again.sent_to == () and "already sent" in again.note
        # A new recipient gets it; the others do not get it twice.
        more = settings(port, to=("ann@example.org", "bob@example.org", "cy@example.org"))
        third = deliver(store, digest_with(), more, tmp_path, NOW)
        assert third.sent_to == ("cy@example.org",)
        forced = deliver(store, digest_with(), settings(port), tmp_path, NOW, resend=True)
        assert forced.sent_to == ("ann@example.org", "bob@example.org")
    # One message per recipient: nobody sees the others' addresses.
    assert [rcpts for rcpts, _ in inbox.messages] == [
        ["ann@example.org"], ["bob@example.org"], ["cy@example.org"],
        ["ann@example.org"], ["bob@example.org"]]
    assert [m["To"] for _, m in inbox.messages[:2]] == ["ann@example.org", "bob@example.org"]
    ids = [m["Message-ID"] for _, m in inbox.messages]
    assert len(set(ids)) == 5  # a resend is a new message, with a new id
    assert ids[0] == message_id(DAY, "ann@example.org", 0, "digest@example.org")
    assert ids[3] == message_id(DAY, "ann@example.org", 1, "digest@example.org")


def test_failed_send_records_nothing_and_the_next_attempt_sends(
    smtp: tuple[Inbox, int], tmp_path: Path,
) -> None:
    inbox, port = smtp
    inbox.refuse = 1
    with Store(tmp_path / "d.db") as store:
        with pytest.raises(DeliveryError, match=r"^SMTP 127.0.0.1:\d+: server said 451 "
                                                r"4.3.0 Try again later$"):
            deliver(store, digest_with(), settings(port), tmp_path, NOW)
        assert store.delivered(DAY) == set()
        assert (tmp_path / "digest.eml").exists()  # the files stay
        retried = deliver(store, digest_with(), settings(port), tmp_path, NOW)
    assert retried.sent_to == ("ann@example.org", "bob@example.org")
    assert len(inbox.messages) == 2


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store, pytest.raises(DeliveryError) as caught:
        deliver(store, digest_with(), settings(free_port(), timeout=2.0), tmp_path, NOW)
    assert str(caught.value).startswith("SMTP 127.0.0.1:")
    assert "cannot send (" in str(caught.value) and "\n" not in str(caught.value)


def test_without_smtp_host_the_message_is_only_written(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        result = deliver(store, digest_with(), settings(smtp_host=""), tmp_path, NOW)
        assert result.sent_to == () and store.delivered(DAY) == set()
    assert result.note.startswith("not sent: no [email] smtp_host")
    saved = email.message_from_bytes((tmp_path / "digest.eml").read_bytes(), policy=default)
    assert saved.get_content_type() == "multipart/alternative"


def test_starttls_with_a_self_signed_certificate_and_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the client trusts our CA only

    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"digest", b"s3cret")
        return AuthResult(success=ok, handled=False)  # let the server answer 535

    secure_server = running_inbox(tls_context=server_context, require_starttls=True,
                                  authenticator=check, auth_required=True)
    with secure_server as inbox, Store(tmp_path / "d.db") as store:
        secure = settings(inbox.port, security="starttls", username="digest")
        sent = deliver(store, digest_with(), secure, tmp_path, NOW, password="s3cret")
        assert sent.sent_to == secure.to
        with pytest.raises(DeliveryError, match="login refused"):
            deliver(store, digest_with(), secure, tmp_path, NOW, password="wrong", resend=True)
        with pytest.raises(DeliveryError, match="no password"):
            deliver(store, digest_with(), secure, tmp_path, NOW, resend=True)
    assert len(inbox.messages) == 2  # one message per recipient


def test_run_emails_the_digest_once(
    smtp: tuple[Inbox, int], articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    inbox, port = smtp
    (articles_dir / "evil.txt").write_text(f"{EVIL} in the council\n\nThe council met "
                                           "on Monday and approved the budget.\n")
    written = NOW.timestamp()  # written on the digest's day, as in real use
    os.utime(articles_dir / "evil.txt", (written, written))
    config = make_config(articles_dir, extra=(
        f'[email]\nto = ["ann@example.org"]\nfrom = "digest@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'))
    first = run_in_process(config, DAY)
    assert first.delivery is not None and first.delivery.sent_to == ("ann@example.org",)
    second = run_in_process(config, DAY)
    assert second.delivery is not None and second.delivery.sent_to == ()
    (rcpts, message), = inbox.messages
    assert rcpts == ["ann@example.org"]
    html = html_part(message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; in the council" in html
    assert "<script>alert" not in html
    saved = (config.output_dir / "2026-11-23" / "email.html").read_text(encoding="utf-8")
    assert saved.split() == html.split()  # the preview file is what was mailed (bar CRLF)
    with Store(config.store_path) as store:
        assert store.delivered(DAY) == {"ann@example.org"}


@pytest.fixture
def ann_intent(
    smtp: tuple[Inbox, int], tmp_path: Path,
) -> Iterator[tuple[Store, EmailConfig, str, Inbox]]:
    """A store in which a run recorded its intent to send the day's digest to Ann and
    then stopped; the settings that send to her on the test server, the intent's
    Message-ID, and the server's inbox."""
    inbox, port = smtp
    with Store(tmp_path / "d.db") as store:
        identity = message_id(DAY, "ann@example.org", 0, "digest@example.org")
        store.record_intent(DAY, "ann@example.org", identity, 0, "subject", NOW)
        yield store, settings(port, to=("ann@example.org",)), identity, inbox


def test_a_send_cut_off_before_it_was_recorded_is_reported_not_repeated(
    ann_intent: tuple[Store, EmailConfig, str, Inbox], tmp_path: Path,
) -> None:
    store, one, identity, inbox = ann_intent
    # The run had handed the message over when it was killed, before it could
    # mark the send done.
    store.record_handover(DAY, "ann@example.org")
    rerun = deliver(store, digest_with(), one, tmp_path, NOW)
    assert rerun.sent_to == ()
    assert "may have arrived" in rerun.note and "--resend" in rerun.note
    assert rerun.in_doubt == ("ann@example.org",)
    # Sent again on request, it is the same message (the same Message-ID).
    forced = deliver(store, digest_with(), one, tmp_path, NOW, resend=True)
    assert forced.sent_to == ("ann@example.org",)
    assert store.delivered(DAY) == {"ann@example.org"}
    (_, message), = inbox.messages
    assert message["Message-ID"] == identity


def test_a_send_stopped_before_the_handover_is_sent_by_the_next_run(
    ann_intent: tuple[Store, EmailConfig, str, Inbox], tmp_path: Path,
) -> None:
    store, one, identity, inbox = ann_intent
    # The run was killed while connecting: the server never had the message,
    # so it is not in doubt.
    assert store.delivery_states(DAY)["ann@example.org"][0] == "ready"
    rerun = deliver(store, digest_with(), one, tmp_path, NOW)
    assert rerun.sent_to == ("ann@example.org",)
    assert rerun.note == "" and rerun.in_doubt == ()
    assert store.delivery_states(DAY)["ann@example.org"] == ("sent", 0, identity)
    (_, message), = inbox.messages
    assert message["Message-ID"] == identity


def test_the_send_is_in_doubt_only_from_the_messages_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the store says as each piece goes to the server: until the lone
    # "." that completes the message, the server could not deliver it.
    seen: list[tuple[str, str]] = []
    plain = smtplib.SMTP.send

    def watched(client: smtplib.SMTP, s: bytes | str) -> None:
        piece = s.split()[0].lower() if isinstance(s, str) else (
            "end" if s == b".\r\n" else "message")
        with Store(tmp_path / "d.db") as look:
            seen.append((piece, look.delivery_states(DAY)["ann@example.org"][0]))
        plain(client, s)

    monkeypatch.setattr(smtplib.SMTP, "send", watched)
    with running_inbox() as inbox, Store(tmp_path / "d.db") as store:
        sent = deliver(store, digest_with(), settings(inbox.port, to=("ann@example.org",)),
                       tmp_path, NOW)
        assert store.delivery_states(DAY)["ann@example.org"][0] == "sent"
    assert sent.sent_to == ("ann@example.org",)
    assert [p for p, _ in seen][:6] == ["ehlo", "mail", "rcpt", "data", "message", "end"]
    assert [status for _, status in seen][:6] == ["ready"] * 5 + ["sending"]
    (_, message), = inbox.messages
    assert "Subject" in message


def test_a_server_that_never_confirms_leaves_the_send_in_doubt_not_repeated(
    tmp_path: Path,
) -> None:
    with running_inbox() as inbox, Store(tmp_path / "d.db") as store:
        one = settings(inbox.port, to=("ann@example.org",), timeout=1.0)
        inbox.confirm_delay = 3.0  # it has the message; its answer comes after our timeout
        with pytest.raises(DeliveryInDoubt) as caught:
            deliver(store, digest_with(), one, tmp_path, NOW)
        assert "may have arrived" in str(caught.value)
        assert store.delivery_states(DAY)["ann@example.org"][0] == "sending"
        inbox.confirm_delay = 0.0
        retry = deliver(store, digest_with(), one, tmp_path, NOW)  # a retry, or the next run
        assert retry.sent_to == ()
        assert "may have arrived" in retry.note and "--resend" in retry.note
    assert len(inbox.messages) == 1


def test_runs_sending_at_once_send_each_recipient_one_message(tmp_path: Path) -> None:
    import threading

    with running_inbox() as inbox:
        inbox.delay = 0.5  # a slow server: the runs overlap in the sending step
        results: list[object] = []

        def run() -> None:
            try:
                with Store(tmp_path / "d.db") as store:
                    results.append(deliver(store, digest_with(), settings(inbox.port),
                                           tmp_path, NOW).sent_to)
            except Exception as exc:
                results.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(rcpts[0] for rcpts, _ in inbox.messages) == [
        "ann@example.org", "bob@example.org"]
    assert results.count(("ann@example.org", "bob@example.org")) == 1, results
    assert results.count(()) == 3, results


def test_a_run_that_cannot_get_its_turn_to_send_stops_with_one_line(
    smtp: tuple[Inbox, int], tmp_path: Path,
) -> None:
    _, port = smtp
    with (Store(tmp_path / "d.db") as holder, holder.sending(wait=1),
          Store(tmp_path / "d.db") as store, pytest.raises(DeliveryError) as caught):
        deliver(store, digest_with(), settings(port), tmp_path, NOW, wait=0.5)
    assert "another run is sending" in str(caught.value) and "\n" not in str(caught.value)


def test_a_failed_send_says_where_the_digest_is_and_how_to_send_it(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir, extra=(
        f'[email]\nto = ["ann@example.org"]\nfrom = "digest@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {free_port()}\nsecurity = "none"\n'
        'timeout = 2.0\n'))
    with pytest.raises(DeliveryError) as caught:
        run_in_process(config, DAY)
    message = str(caught.value)
    assert "cannot send" in message and "\n" not in message
    assert f"the digest is written ({config.output_dir / '2026-11-23' / 'digest.html'})" in message
    assert "`digest run --date 2026-11-23` sends it" in message
    assert (config.output_dir / "2026-11-23" / "digest.html").exists()


def test_a_send_in_doubt_says_so_and_how_to_send_it_again(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    with running_inbox() as inbox:
        config = make_config(articles_dir, extra=inbox.email_config(extra="timeout = 1.0\n"))
        inbox.confirm_delay = 3.0  # the answer comes after the client's timeout
        with pytest.raises(DeliveryInDoubt) as caught:
            run_in_process(config, DAY)
        inbox.confirm_delay = 0.0
        rerun = run_in_process(config, DAY)
    message = str(caught.value)
    assert "may have arrived" in message and "\n" not in message
    assert "`digest run --date 2026-11-23 --resend` sends it again" in message
    assert rerun.delivery is not None and rerun.delivery.in_doubt == ("ann@example.org",)
    assert len(inbox.messages) == 1


def test_a_day_without_stories_is_not_emailed(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    empty = Digest(DAY, "Daily digest", (), DigestCounts())
    with Store(tmp_path / "d.db") as store:
        result = deliver(store, empty, settings(port), tmp_path, NOW)
    assert result.sent_to == () and "has no stories" in result.note
    assert inbox.messages == []
    with Store(tmp_path / "d.db") as store:
        forced = deliver(store, empty, settings(port, send_empty=True), tmp_path, NOW)
    assert forced.sent_to == ("ann@example.org", "bob@example.org")


def test_with_a_base_url_the_email_links_to_its_page(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir, extra=(
        'base_url = "https://news.example/digest/"\n'  # continues [output]
        '[email]\nto = ["ann@example.org"]\nmax_stories = 2\n'))
    result = run_in_process(config, DAY)
    html = result.published.email_html.read_text(encoding="utf-8")
    page = "https://news.example/digest/2026-11-23/digest.html"
    assert f'href="{page}"' in html and "View in your browser" in html
    assert "on the web page</a>" in html
