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
def chromium_page(viewport: tuple[int, int] = (1280, 800)) -> Iterator[tuple[Any, dict]]:
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


# What on the page overlaps or is clipped, as a list of sentences (empty: a clean layout).
# Inside every chart (drawn as SVG: see tradetalks/viz/charts.py) no two texts -- axis
# labels, titles, keys, marks -- intersect, and none leaves the chart's box.  On the page,
# the children of every panel, row, grid and card do not intersect, no panel or table is
# wider than its box (clipped on the right), and the sidebar does not cover the main area.
# Texts and boxes under 1 px, hidden or absolutely positioned (tooltips) are left out.
LAYOUT_PROBLEMS_JS = """
() => {
  const SLACK = 1;
  const problems = [];
  const box = el => el.getBoundingClientRect();
  const shown = el => { const r = box(el); return r.width > 1 && r.height > 1; };
  const meets = (a, b) => a.left < b.right - SLACK && b.left < a.right - SLACK &&
                          a.top < b.bottom - SLACK && b.top < a.bottom - SLACK;
  const inside = (a, b) => a.left >= b.left - SLACK && a.right <= b.right + SLACK &&
                           a.top >= b.top - SLACK && a.bottom <= b.bottom + SLACK;
  const name = el => (el.textContent || el.className || el.tagName).toString().trim()
                       .replace(/\\s+/g, ' ').slice(0, 50);
  const visible = el => { const st = getComputedStyle(el);
    return st.display !== 'none' && st.visibility !== 'hidden' && st.opacity !== '0'; };
  const charts = [...document.querySelectorAll('.solara-echarts')];
  if (!charts.length) problems.push('no charts on the page');
  for (const chart of charts) {
    const label = chart.getAttribute('data-chart') || '(unnamed chart)';
    const frame = box(chart);
    if (!shown(chart)) { problems.push(`chart ${label} is not drawn`); continue; }
    const texts = [...chart.querySelectorAll('svg text')]
      .filter(t => t.textContent.trim() && visible(t) && shown(t));
    if (!texts.length) problems.push(`chart ${label} has no SVG text (not drawn as SVG?)`);
    texts.forEach((t, i) => {
      if (!inside(box(t), frame)) problems.push(`chart ${label}: '${name(t)}' is clipped`);
      for (const u of texts.slice(i + 1))
        if (meets(box(t), box(u)))
          problems.push(`chart ${label}: '${name(t)}' overlaps '${name(u)}'`);
    });
  }
  for (const el of document.querySelectorAll('.tt-panel, .tt-row, .tt-grid, .v-card')) {
    const kids = [...el.children].filter(k => shown(k) && visible(k) &&
                                              getComputedStyle(k).position !== 'absolute');
    kids.forEach((k, i) => {
      for (const m of kids.slice(i + 1))
        if (meets(box(k), box(m))) problems.push(`'${name(k)}' overlaps '${name(m)}'`);
    });
    if (el.scrollWidth > el.clientWidth + SLACK)
      problems.push(`'${name(el)}' is clipped on the right`);
  }
  for (const el of document.querySelectorAll('.tt-history, .tt-facts, .tt-offer'))
    if (el.scrollWidth > el.clientWidth + SLACK)
      problems.push(`'${name(el)}' is wider than its box`);
  const side = document.querySelector('.v-navigation-drawer');
  const main = document.querySelector('.tt-main');
  if (!main) problems.push('no main area');
  else if (side && shown(side) && meets(box(side), box(main)))
    problems.push('the sidebar covers the main area');
  return problems;
}
"""

# True once every chart has followed its box's size (ECharts redraws after a resize).
CHARTS_FIT_JS = """
() => [...document.querySelectorAll('.solara-echarts')].every(c => {
  const svg = c.querySelector('svg');
  return svg && Math.abs(svg.getBoundingClientRect().width - c.clientWidth) <= 1;
})
"""

# A fake chart with two overlapping texts, to show that LAYOUT_PROBLEMS_JS finds overlaps
# (and REMOVE_PROBE_JS takes it away again).
OVERLAPPING_CHART_JS = """
() => {
  const div = document.createElement('div');
  div.className = 'solara-echarts';
  div.setAttribute('data-chart', 'probe');
  div.style.cssText = 'width: 200px; height: 60px;';
  div.innerHTML = '<svg width="200" height="60"><text x="10" y="30">overlapping</text>' +
                  '<text x="20" y="32">texts</text></svg>';
  document.body.appendChild(div);
}
"""
REMOVE_PROBE_JS = "() => document.querySelector('[data-chart=probe]').remove()"

# The centre (x, y) of the latest offer's dot in the timeline drawn in __COLOUR__ that is not
# covered by anything else (so pointing there shows its tooltip), or null.
LATEST_OFFER_DOT_JS = """
() => {
  const chart = document.querySelector('[data-chart=timeline]');
  const dots = [...chart.querySelectorAll('path')].filter(p => {
    const r = p.getBoundingClientRect();
    return (p.getAttribute('fill') || '').toLowerCase() === '__COLOUR__' &&
           r.width > 3 && r.width < 14 && r.height > 3 && r.height < 14;
  });
  for (const dot of dots.reverse()) {
    const r = dot.getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    if (document.elementFromPoint(x, y) === dot) return [x, y];
  }
  return null;
}
"""
