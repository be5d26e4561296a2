"""End to end: ``tradetalks viz`` in headless Chromium (Debian's), driven by Playwright.

Starts the server, waits for the page, presses Step and checks that the week and every
chart change, checks that a second session has its own model, plays and pauses, moves the
farmer-count slider and resets, picks a scenario and a seed, saves screenshots to
``out/browser/``, checks that a page of another origin cannot open the app's websocket, and
fails on any page error, console error or request leaving 127.0.0.1.  In CI (``CI=true``, or
``TRADETALKS_REQUIRE_BROWSER=1`` as ``.ci/run`` sets) a missing Chromium is a failure, not a
skip.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from browser import WEEK_SELECTOR, chromium_page, chromium_path, other_site, viz_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "out" / "browser"
LOAD_TIMEOUT_MS = 90_000  # first page load: Solara's front end and the first model
STEP_TIMEOUT_MS = 20_000
STEPS = 3
SCENARIO = "scenarios/patient_china.toml"  # picked in the scenario selector
REQUIRED_IF = ("CI", "TRADETALKS_REQUIRE_BROWSER")  # set: a missing Chromium fails the test
RESET_ATTEMPTS = 5  # Resets tried while the slider's last value syncs to the server
SYNC_WAIT_MS = 1000  # wait between those Resets
FARMER_SLIDER_PRESSES = 7  # ArrowLeft presses on the farmer slider (step 100): 1,000 → 300
KERNELS = "/jupyter/api/kernels"  # Solara's websocket lives at KERNELS/<id>/channels
# open a websocket; resolve with "open" or "refused" (bounded: a timeout counts as refused)
OPEN_WEBSOCKET_JS = """
url => new Promise(resolve => {
  const ws = new WebSocket(url);
  const timer = setTimeout(() => resolve('refused'), 10000);
  ws.onopen = () => { clearTimeout(timer); ws.close(); resolve('open'); };
  ws.onerror = () => { clearTimeout(timer); resolve('refused'); };
})
"""


@pytest.fixture(scope="module")
def browser_ready() -> None:
    pytest.importorskip("playwright")
    if chromium_path() is None:
        message = "Debian chromium is missing (apt-get install -y chromium)"
        required = (os.environ.get(var, "").lower() in ("1", "true", "yes") for var in REQUIRED_IF)
        if any(required):
            pytest.fail(message)
        pytest.skip(message)


def _charts(page) -> list[bytes]:
    return [el.screenshot() for el in page.locator(".solara-echarts").all()]


def _week(page, week: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator(WEEK_SELECTOR)).to_have_text(
        re.compile(rf"^Week {week} of "), timeout=STEP_TIMEOUT_MS
    )


def test_viz_in_a_real_browser(browser_ready: None, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    with viz_server(log=tmp_path / "server.log") as url, chromium_page() as (page, record):
        page.goto(url)
        step = page.get_by_role("button", name="Step")
        step.wait_for(timeout=LOAD_TIMEOUT_MS)
        _week(page, 0)
        charts = page.locator(".solara-echarts:has(canvas)")
        expect(charts).to_have_count(3, timeout=LOAD_TIMEOUT_MS)
        expect(page.locator(".tt-offer table")).to_be_visible()
        page.screenshot(path=SHOTS / "01-start.png", full_page=True)

        before = _charts(page)
        for week in range(1, STEPS + 1):
            step.click()
            _week(page, week)
        page.wait_for_timeout(300)  # let the charts paint
        after = _charts(page)
        assert len(after) == len(before) == 3
        changed = [a != b for a, b in zip(before, after, strict=True)]
        assert all(changed), f"charts unchanged after {STEPS} steps: {changed}"
        page.screenshot(path=SHOTS / "02-stepped.png", full_page=True)

        other = page.context.browser.new_context().new_page()  # a second session
        other.on("pageerror", lambda e: record["page_errors"].append(f"second page: {e}"))
        other.goto(url)
        other.get_by_role("button", name="Step").wait_for(timeout=LOAD_TIMEOUT_MS)
        _week(other, 0)  # its own model, untouched by the first session's Steps
        other.get_by_role("button", name="Step").click()
        _week(other, 1)
        _week(page, STEPS)
        other.context.close()

        page.get_by_role("button", name="▶").click()
        page.wait_for_function(  # playing moves the week on by itself
            f"parseInt(document.querySelector('{WEEK_SELECTOR}').textContent.split(' ')[1]) "
            f">= {STEPS + 2}",
            timeout=STEP_TIMEOUT_MS,
        )
        page.get_by_role("button", name="❚❚").click()
        expect(step).to_be_enabled(timeout=STEP_TIMEOUT_MS)

        slider = page.get_by_role("slider", name="Number of farmers", exact=True)
        for k in range(1, FARMER_SLIDER_PRESSES + 1):
            # one press at a time, each waited for: a re-render may take the focus away
            slider.focus()
            slider.press("ArrowLeft")
            expect(slider).to_have_attribute(
                "aria-valuenow", str(1000 - 100 * k), timeout=STEP_TIMEOUT_MS
            )
        # the slider's value reaches the server after the page shows it: a Reset clicked in
        # between rebuilds the model with an earlier value, so Reset until it has arrived
        three_hundred = page.get_by_text(re.compile(r"· 300 farmers ·"))
        for _ in range(RESET_ATTEMPTS):
            page.get_by_role("button", name="Reset").click()
            _week(page, 0)
            expect(page.get_by_text("Changed from the scenario: farmers")).to_be_visible(
                timeout=STEP_TIMEOUT_MS
            )
            if three_hundred.count():
                break
            page.wait_for_timeout(SYNC_WAIT_MS)
        expect(three_hundred).to_be_visible(timeout=STEP_TIMEOUT_MS)
        step.click()
        _week(page, 1)
        page.wait_for_timeout(300)
        page.screenshot(path=SHOTS / "03-reset-300-farmers.png", full_page=True)

        page.get_by_role("button", name=re.compile("^Scenario")).click()
        page.get_by_role("option", name=SCENARIO).click()
        seed = page.get_by_role("textbox", name="Seed")
        seed.fill("7")
        seed.press("Enter")
        page.get_by_role("button", name="Reset").click()
        expect(page.get_by_text(f"Scenario: {SCENARIO} · seed 7")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        step.click()
        _week(page, 1)

        # a page of another origin (another port on 127.0.0.1) cannot open the app's websocket;
        # that page's console error is expected, so it is not recorded
        channels = f"{KERNELS}/{uuid.uuid4()}/channels?session_id={uuid.uuid4().hex}"
        ws_url = url.replace("http://", "ws://").rstrip("/") + channels
        with other_site() as elsewhere:
            foreign = page.context.browser.new_context().new_page()
            foreign.goto(elsewhere)
            assert foreign.evaluate(OPEN_WEBSOCKET_JS, ws_url) == "refused"
            page.goto(url)  # while the app's own page still can
            page.get_by_role("button", name="Step").wait_for(timeout=LOAD_TIMEOUT_MS)
            assert page.evaluate(OPEN_WEBSOCKET_JS, ws_url) == "open"
            foreign.context.close()

    assert record["page_errors"] == []
    assert record["console_errors"] == []
    assert record["external"] == [], "the page must load nothing from the internet"
