"""Driving the app in a real browser: start ``tradetalks viz``, launch headless Chromium.

Shared by the end-to-end test (tests/test_browser_viz.py) and the Step-latency benchmark
(benchmarks/bench_viz.py).  Uses Debian's Chromium through Playwright; never downloads a
browser.  Nothing here is imported by the app itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
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
    config: Path | None = None, port: int | None = None, log: Path | None = None
) -> Iterator[str]:
    """Run ``tradetalks viz`` in a subprocess; yield its URL once it answers, stop it after."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "tradetalks", "viz", "--port", str(port)]
    if config is not None:
        cmd.insert(4, str(config))
    out = open(log, "wb") if log else subprocess.DEVNULL  # closed in finally
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tradetalks viz exited with {proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"tradetalks viz did not answer at {url}")
            time.sleep(POLL_S)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


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
