"""Headless Chromium checks of a rendered page: screenshots and a layout report.

Used by `digest preview --screenshots` and the tests: the digest and the
email must read well on a phone (no sideways scrolling at 390 px) and on a
desktop, with every theme heading on screen.

Chromium's headless window cannot be narrower than 500 px, so a phone is
emulated through the DevTools protocol (device metrics with a mobile
viewport), spoken over `--remote-debugging-pipe`: JSON messages ended by a
NUL byte, commands on the child's fd 3 and replies on its fd 4. No port, no
extra package.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.config import CHROMIUM_VARIABLE as CHROMIUM_ENV
from digest.config import chromium_command
from digest.errors import DigestError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 60.0
PHONE_BELOW = 600  # windows narrower than this are emulated as a phone (mobile viewport)

# Evaluated in the loaded page. A heading counts as visible when it has a
# size, is not hidden, lies inside the device's width and its text is not
# clipped. The device width is the emulated one: a phone browser widens its
# layout viewport (and zooms out) to fit content wider than the screen, so
# window.innerWidth alone would hide the overflow.
_PROBE = """(() => {
  const root = document.documentElement;
  const width = %(width)d;
  const headings = Array.from(document.querySelectorAll(%(selector)s), (h) => {
    const box = h.getBoundingClientRect();
    const style = getComputedStyle(h);
    return {
      text: h.textContent.trim(),
      visible: box.width > 0 && box.height > 0 && style.visibility !== "hidden"
        && style.display !== "none" && parseFloat(style.opacity) > 0
        && box.left >= 0 && box.right <= width + 0.5
        && h.scrollWidth <= h.clientWidth + 1,
      top: box.top + window.scrollY, bottom: box.bottom + window.scrollY,
    };
  });
  return {viewport: Math.min(width, window.innerWidth), height: root.scrollHeight,
          scroll_width: Math.max(root.scrollWidth, document.body.scrollWidth), headings};
})()"""


@dataclass(frozen=True)
class Heading:
    text: str
    visible: bool
    # Where it lies on the page, in CSS pixels from the top.
    top: float = 0.0
    bottom: float = 0.0


@dataclass(frozen=True)
class Layout:
    """What a page looked like in a window of a given width."""

    viewport: int
    scroll_width: int
    height: int
    headings: tuple[Heading, ...]

    @property
    def scrolls_sideways(self) -> bool:
        return self.scroll_width > self.viewport

    def problems(self) -> list[str]:
        """Return one line per layout problem (empty when the page reads well)."""
        found = []
        if self.scrolls_sideways:
            found.append(f"scrolls sideways at {self.viewport} px "
                         f"(content is {self.scroll_width} px wide)")
        found += [f"heading not fully visible at {self.viewport} px: {h.text!r}"
                  for h in self.headings if not h.visible]
        return found


def find_chromium() -> str | None:
    """Return the Chromium executable ($DIGEST_CHROMIUM, else the first on PATH)."""
    configured = chromium_command()
    if configured:
        return configured
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def inspect(
    page: Path, widths: Iterable[int], screenshots: Mapping[int, Path] | None = None,
    selector: str = "h2", height: int = 900,
) -> dict[int, Layout]:
    """Open `page` at each width; return its layout there and save the asked-for screenshots.

    `screenshots` maps a width to the PNG path of a full-page screenshot.
    Raises DigestError (naming the page) when Chromium is missing or fails.
    """
    shots = dict(screenshots or {})
    with _Chromium(str(page)) as browser:
        session = browser.open_tab()
        layouts = {}
        for width in widths:
            browser.call("Emulation.setDeviceMetricsOverride", session, width=width,
                         height=height, deviceScaleFactor=1, mobile=width < PHONE_BELOW)
            browser.navigate(session, page.resolve().as_uri())
            report = browser.evaluate(
                session, _PROBE % {"width": width, "selector": json.dumps(selector)})
            layouts[width] = Layout(
                int(report["viewport"]), int(report["scroll_width"]), int(report["height"]),
                tuple(Heading(h["text"], bool(h["visible"]), float(h["top"]),
                              float(h["bottom"])) for h in report["headings"]))
            if width in shots:
                full = max(height, int(report["height"]))
                shot = browser.call("Page.captureScreenshot", session, format="png",
                                    captureBeyondViewport=True,
                                    clip={"x": 0, "y": 0, "width": width, "height": full,
                                          "scale": 1})
                shots[width].parent.mkdir(parents=True, exist_ok=True)
                shots[width].write_bytes(base64.b64decode(shot["data"]))
    return layouts


class _Chromium:
    """One headless Chromium driven over the DevTools pipe."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> _Chromium:
        executable = find_chromium()
        if executable is None:
            raise DigestError(f"{self.what}: Chromium not found (install the 'chromium' "
                              f"package or set {CHROMIUM_ENV})")
        self.profile = tempfile.TemporaryDirectory(prefix="digest-chromium-")
        to_child, self.commands = os.pipe()
        self.replies, from_child = os.pipe()

        def wire_fds() -> None:  # in the child: commands on fd 3, replies on fd 4
            read_end, write_end = os.dup(to_child), os.dup(from_child)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        try:
            self.process = subprocess.Popen(
                [executable, "--headless", "--no-sandbox", "--disable-gpu",
                 "--hide-scrollbars", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-extensions", "--mute-audio", "--remote-debugging-pipe",
                 f"--user-data-dir={self.profile.name}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, preexec_fn=wire_fds, pass_fds=(3, 4))
        except OSError as exc:
            self.profile.cleanup()
            raise DigestError(f"{self.what}: cannot start Chromium ({exc})") from None
        finally:
            os.close(to_child)
            os.close(from_child)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.process.poll() is None:
                self._send("Browser.close", None, {})
                self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, DigestError):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self.commands)
            os.close(self.replies)
            self.profile.cleanup()

    def open_tab(self) -> str:
        target = self.call("Target.createTarget", None, url="about:blank")["targetId"]
        session: str = self.call("Target.attachToTarget", None, targetId=target,
                                 flatten=True)["sessionId"]
        self.call("Page.enable", session)
        return session

    def navigate(self, session: str, url: str) -> None:
        self.events.clear()
        answer = self.call("Page.navigate", session, url=url)
        if answer.get("errorText"):
            raise DigestError(f"{self.what}: cannot open ({answer['errorText']})")
        self._wait_for("Page.loadEventFired", session)

    def evaluate(self, session: str, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", session, expression=expression,
                           returnByValue=True)
        if "exceptionDetails" in answer:
            raise DigestError(f"{self.what}: layout probe failed "
                              f"({answer['exceptionDetails'].get('text', 'error')})")
        return answer["result"]["value"]

    def call(self, method: str, session: str | None, **params: Any) -> dict[str, Any]:
        ident = self._send(method, session, params)
        while True:
            message = self._receive()
            if message.get("id") == ident:
                if "error" in message:
                    raise DigestError(f"{self.what}: Chromium refused {method} "
                                      f"({message['error'].get('message', '?')})")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def _send(self, method: str, session: str | None, params: dict[str, Any]) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.commands, data):]
        return self.next_id

    def _wait_for(self, event: str, session: str) -> None:
        while True:
            for message in self.events:
                if message.get("method") == event and message.get("sessionId") == session:
                    return
            self.events.append(self._receive())

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                raise DigestError(f"{self.what}: Chromium did not answer within "
                                  f"{TIMEOUT_SECONDS:.0f} s")
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise DigestError(f"{self.what}: Chromium exited "
                                  f"(exit code {self.process.poll()})")
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message


WIDTHS = (1200, 390)  # a desktop window and a phone


@dataclass(frozen=True)
class PageCheck:
    page: Path
    width: int
    screenshot: Path
    layout: Layout


def check_pages(pages: Iterable[Path], folder: Path, widths: Iterable[int] = WIDTHS,
                selector: str = "h2") -> list[PageCheck]:
    """Screenshot each page at each width into `folder` (<page>-<width>.png) and measure it."""
    checks = []
    sizes = tuple(widths)
    for page in pages:
        shots = {w: folder / f"{page.stem}-{w}.png" for w in sizes}
        layouts = inspect(page, sizes, shots, selector)
        checks += [PageCheck(page, w, shots[w], layouts[w]) for w in sizes]
    return checks
