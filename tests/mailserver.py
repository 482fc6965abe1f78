"""A real SMTP server on 127.0.0.1 for the delivery tests (aiosmtpd)."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    """What the server received; `refuse` makes it answer that many DATA commands with a 451."""

    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    refuse: int = 0
    port: int = 0
    # Seconds to wait before answering DATA (a slow server), and after taking
    # the message but before confirming it (the window a crash can fall in).
    delay: float = 0.0
    confirm_delay: float = 0.0
    # Seconds to wait before accepting each recipient (before any DATA), and
    # how many RCPT commands arrived.
    rcpt_delay: float = 0.0
    rcpts_seen: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        self.rcpts_seen += 1
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        parsed = email.message_from_bytes(envelope.original_content, policy=default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        if self.confirm_delay:
            await asyncio.sleep(self.confirm_delay)
        return "250 OK"

    def email_config(self, to: str = "ann@example.org", extra: str = "") -> str:
        """Return an [email] config section that sends here."""
        return (f'[email]\nto = ["{to}"]\nfrom = "digest@example.org"\n'
                f'smtp_host = "127.0.0.1"\nsmtp_port = {self.port}\nsecurity = "none"\n{extra}')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_inbox(**controller_options: Any) -> Iterator[Inbox]:
    """Run an SMTP server on a free port for the duration of the block."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **controller_options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
