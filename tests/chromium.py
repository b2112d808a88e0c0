"""Headless Chromium driven over the DevTools protocol on a pipe: standard library only.

`render(html, png)` opens a local file in a fresh headless Chromium, waits for the load event,
records every console message, uncaught exception, log entry and network request, evaluates
JavaScript against the page, and writes a full-page PNG screenshot. No Playwright or Selenium: the
DevTools protocol over `--remote-debugging-pipe` needs only `os.pipe`, so the test runs on any
machine with the Debian `chromium` package and nothing else.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--remote-debugging-pipe")
TIMEOUT_SECONDS = 60.0


def available() -> str | None:
    """Why Chromium cannot be used here, or None when it can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} not found (install the Debian package `chromium`; .ci/run does)"
    return None


@dataclass
class Page:
    console: list[str] = field(default_factory=list)  # "level: text" of every console message
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions, error log entries
    requests: list[str] = field(default_factory=list)  # URLs the page asked for (the file itself included)
    values: dict[str, Any] = field(default_factory=dict)  # name -> result of each evaluated expression
    width: int = 0
    height: int = 0


class _Browser:
    def log_text(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")[-2000:]

    def __init__(self, profile: Path, log: IO[bytes]):
        self._log = log
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # DevTools reads commands from fd 3 and writes replies to fd 4. A tiny Python trampoline puts the pipes
        # there (through fds >= 10, so neither clobbers the other) and becomes Chromium: no preexec_fn, and none of
        # the shell's single-digit limits on fd numbers.
        wire = ("import fcntl, os, sys\n"
                f"a, b = fcntl.fcntl({to_chrome_r}, fcntl.F_DUPFD, 10), fcntl.fcntl({from_chrome_w}, fcntl.F_DUPFD, 10)\n"
                "os.dup2(a, 3); os.dup2(b, 4); os.close(a); os.close(b)\n"
                "os.execv(sys.argv[1], sys.argv[1:])\n")
        self.proc = subprocess.Popen([sys.executable, "-c", wire, CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     pass_fds=(to_chrome_r, from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe (it crashed or failed to start): "
                                       + self.log_text())
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass


def _console_text(params: dict[str, Any]) -> str:
    return " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))


def render(html: Path, screenshot: Path, expressions: dict[str, str] | None = None, width: int = 1200) -> Page:
    """Open `html`, evaluate `expressions` (name -> JavaScript returning JSON-able data), screenshot the page."""
    page = Page()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, \
            open(Path(profile) / "chromium.log", "wb") as log:
        browser = _Browser(Path(profile), log)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
            browser.events.clear()
            browser.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
            browser.wait_for("Page.loadEventFired")
            for name, expression in (expressions or {}).items():
                result = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                      session=session)
                if "exceptionDetails" in result:
                    raise RuntimeError(f"evaluating {name}: {result['exceptionDetails']}")
                page.values[name] = result["result"].get("value")
            metrics = browser.send("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            page.width, page.height = int(size["width"]), int(size["height"])
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": page.width, "height": page.height, "scale": 1}}, session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            time.sleep(0.2)  # let late console messages arrive before the browser goes
            browser.send("Runtime.evaluate", {"expression": "1"}, session=session)
        finally:
            browser.close()
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = f"{params.get('type')}: {_console_text(params)}"
            page.console.append(text)
            if params.get("type") in ("error", "assert"):
                page.errors.append(text)
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            what = details.get("exception", {}).get("description", "")
            page.errors.append(f"exception: {details.get('text', '')} {what}".strip())
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            page.console.append(f"{entry.get('level')}: {entry.get('text')}")
            if entry.get("level") == "error":
                page.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            page.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            page.errors.append(f"failed to load: {params.get('errorText')}")
    return page
