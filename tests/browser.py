"""Driving the app in a real browser: start ``tradetalks viz``, launch headless Chromium.

Shared by the end-to-end test (tests/test_browser_viz.py) and the Step-latency benchmark
(benchmarks/bench_viz.py).  Uses Debian's Chromium through Playwright; never downloads a
browser.  Nothing here is imported by the app itself.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

CHROMIUM_ENV = "TRADETALKS_CHROMIUM"  # overrides the browser binary
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
SERVER_START_TIMEOUT_S = 90.0  # first start imports Solara, Mesa and the model
POLL_S = 0.25
STOP_TIMEOUT_S = 10.0  # after SIGTERM, before SIGKILL
HTTP_OK = 200
LOCAL_PREFIXES = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


def chromium_path() -> str | None:
    """Path of a Chromium binary (``$TRADETALKS_CHROMIUM``, else Debian's), or ``None``."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if Path(env).is_file() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def viz_server(
    config: Path | None = None,
    port: int | None = None,
    log: Path | None = None,
    args: Sequence[str] = (),
    cwd: Path | None = None,
) -> Iterator[str]:
    """Run ``tradetalks viz`` in a subprocess; yield its URL once it answers, stop it after.

    ``args`` go to the command (e.g. ``--host``); ``cwd`` is where it runs (its ``configs/``
    is the app's scenario directory).  The URL is always on 127.0.0.1.  A server that wants a
    token (``--allow-remote``) answers 403 without it: that counts as answering.
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "tradetalks", "viz", "--port", str(port), *args]
    if config is not None:
        cmd.insert(4, str(config))
    out = open(log, "wb") if log else subprocess.DEVNULL  # closed in finally
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tradetalks viz exited with {proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == HTTP_OK:
                        break
            except urllib.error.HTTPError:
                break  # it answers, but wants the token
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"tradetalks viz did not answer at {url}")
            time.sleep(POLL_S)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


class _BlankPage(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a blank HTML page."""

    def do_GET(self) -> None:  # the name http.server looks for
        body = b"<!doctype html><title>another site</title><p>another site</p>"
        self.send_response(HTTP_OK)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def other_site() -> Iterator[str]:
    """A second web site on 127.0.0.1 (another port, so another origin); yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def chromium_page(viewport: tuple[int, int] = (1600, 1400)) -> Iterator[tuple[Any, dict]]:
    """A headless Chromium page and a record of what went wrong on it.

    The record has ``page_errors`` (uncaught exceptions), ``console_errors`` and
    ``external`` (requests that left 127.0.0.1: the app must work with no internet).
    """
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError("no Chromium found (apt-get install -y chromium)")
    record: dict[str, list[str]] = {"page_errors": [], "console_errors": [], "external": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on("pageerror", lambda e: record["page_errors"].append(str(e)))
            page.on(
                "console",
                lambda m: record["console_errors"].append(m.text) if m.type == "error" else None,
            )
            page.on(
                "request",
                lambda r: (
                    record["external"].append(r.url)
                    if not r.url.startswith(LOCAL_PREFIXES)
                    else None
                ),
            )
            yield page, record
        finally:
            browser.close()


WEEK_SELECTOR = ".tt-week"

# Click Step and resolve with the milliseconds until the week label shows the next week and
# the browser has painted twice more (the charts update in the same message batch).
STEP_AND_TIME_JS = """
async () => {
  const label = document.querySelector('__WEEK__');
  const before = label.textContent;
  const button = [...document.querySelectorAll('button')]
      .find(b => b.textContent.trim().toLowerCase() === 'step');
  const t0 = performance.now();
  await new Promise(resolve => {
    const done = () => requestAnimationFrame(() => requestAnimationFrame(resolve));
    const observer = new MutationObserver(() => {
      const now = document.querySelector('__WEEK__');
      if (now && now.textContent !== before) { observer.disconnect(); done(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    button.click();
  });
  return performance.now() - t0;
}
""".replace("__WEEK__", WEEK_SELECTOR)
