"""End to end: ``tradetalks viz`` in headless Chromium (Debian's), driven by Playwright.

Starts the server and waits for the page at 1280×800, checks the layout at 1920×1080 and
1280×800 (no text in a chart overlaps another or is clipped, no panel overlaps another or
sticks out, the sidebar covers nothing), presses Step and checks that the week and every
chart over time change, checks that a second session has its own model, plays ten weeks and
checks the layout at both sizes again and that an offer's tooltip names it, moves the
farmer-count slider (marked "applies at Reset" until Reset) and resets, picks a scenario
(the sliders follow it) and a seed, and checks that a page of another origin cannot open the
app's websocket.  Saves screenshots to ``out/browser/`` and fails on any page error, console
error or request leaving 127.0.0.1.  In CI (``CI=true``, or ``TRADETALKS_REQUIRE_BROWSER=1`` as
``.ci/run`` sets) a missing Chromium is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    CHARTS_FIT_JS,
    LATEST_OFFER_DOT_JS,
    LAYOUT_PROBLEMS_JS,
    OVERLAPPING_CHART_JS,
    REMOVE_PROBE_JS,
    WEEK_SELECTOR,
    chromium_page,
    chromium_path,
    other_site,
    viz_server,
)
from tradetalks.sim.scenario import resolve_config

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "out" / "browser"
LOAD_TIMEOUT_MS = 90_000  # first page load; screenshots too (the 30 s default timed out in CI)
STEP_TIMEOUT_MS = 20_000
PLAY_TIMEOUT_MS = 60_000
STEPS = 3
BUSY_WEEK = 10  # by then every panel has content (the baseline, seed 1, signs in week 7)
PAINT_MS = 400  # after the week label changes, for the charts to repaint
SETTLE_MS = 150  # once the charts fit their resized boxes, for the last redraw to land
SCENARIO = "scenarios/patient_china.toml"  # picked in the scenario selector
REQUIRED_IF = ("CI", "TRADETALKS_REQUIRE_BROWSER")  # set: a missing Chromium fails the test
FARMER_SLIDER_PRESSES = 7  # ArrowLeft presses on the farmer slider (step 100): 1,000 → 300
SMALL = (1280, 800)
LARGE = (1920, 1080)
SIDE_COLOURS = ("#c0392b", "#1f4e9c")  # the timeline's colours (tradetalks/viz/style.py)
# charts that change every week (readiness and ratification may stay put for weeks)
WEEKLY_CHARTS = ("timeline", "network", "beliefs", *(f"macro-{i}" for i in range(6)))
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
CHART_MARKUP_JS = """
() => Object.fromEntries([...document.querySelectorAll('.solara-echarts')]
  .map(c => [c.getAttribute('data-chart'), c.innerHTML]))
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("playwright")
    if chromium_path() is None:
        message = "Debian chromium is missing (apt-get install -y chromium)"
        required = (os.environ.get(var, "").lower() in ("1", "true", "yes") for var in REQUIRED_IF)
        if any(required):
            pytest.fail(message)
        pytest.skip(message)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with viz_server(log=tmp_path_factory.mktemp("viz") / "server.log") as url:
        yield url


def _week(page, week: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator(WEEK_SELECTOR)).to_have_text(
        re.compile(rf"^Week {week} of "), timeout=STEP_TIMEOUT_MS
    )


def _open(page, url: str):
    """Load the app; return its Step button once the page shows week 0 and its charts."""
    from playwright.sync_api import expect

    page.goto(url)
    step = page.get_by_role("button", name="Step")
    step.wait_for(timeout=LOAD_TIMEOUT_MS)
    _week(page, 0)
    expect(page.locator(".solara-echarts svg").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    return step


def _play_to(page, week: int) -> None:
    """Play until the week label reaches ``week``, then pause."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        f"parseInt(document.querySelector('{WEEK_SELECTOR}').textContent.split(' ')[1]) >= {week}",
        timeout=PLAY_TIMEOUT_MS,
    )
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="Step")).to_be_enabled(timeout=STEP_TIMEOUT_MS)
    page.wait_for_timeout(PAINT_MS)


def _check_layout(page, shot: str | None = None) -> None:
    """No overlap or clipping anywhere on the page at either window size (the window is
    resized, as a user would; the charts follow), and the check itself can see an overlap."""
    page.evaluate(OVERLAPPING_CHART_JS)
    caught = page.evaluate(LAYOUT_PROBLEMS_JS)
    page.evaluate(REMOVE_PROBE_JS)
    assert "chart probe: 'overlapping' overlaps 'texts'" in caught
    for width, height in (LARGE, SMALL):  # the test runs at SMALL: end there
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function(CHARTS_FIT_JS, timeout=STEP_TIMEOUT_MS)
        page.wait_for_timeout(SETTLE_MS)
        problems = page.evaluate(LAYOUT_PROBLEMS_JS)
        assert problems == [], f"layout at {width}×{height}: {problems}"
        if shot:
            page.screenshot(path=SHOTS / f"{shot}-{width}x{height}.png", timeout=LOAD_TIMEOUT_MS)


def _check_offer_tooltip(page) -> None:
    """Pointing at the latest offer in the timeline names it: week, proposer, terms (also
    where it lies on a reservation line: the lines let the pointer through)."""
    from playwright.sync_api import expect

    page.locator("[data-chart=timeline]").scroll_into_view_if_needed()
    dots = (page.evaluate(LATEST_OFFER_DOT_JS.replace("__COLOUR__", c)) for c in SIDE_COLOURS)
    dot = next((d for d in dots if d is not None), None)
    assert dot is not None, "no offer drawn in the timeline"
    page.mouse.move(*dot)
    tooltip = page.locator("[data-chart=timeline] div", has_text="offer by").last
    expect(tooltip).to_be_visible(timeout=STEP_TIMEOUT_MS)
    assert re.search(r"^Week of \d+ \w+ \d{4}: \w+ round #\d+, offer by", tooltip.inner_text())
    assert "ag_purchases: " in tooltip.inner_text()
    page.mouse.move(1, 1)


def _clean(record: dict) -> None:
    assert record["page_errors"] == []
    assert record["console_errors"] == []
    assert record["external"] == [], "the page must load nothing from the internet"


def test_viz_in_a_real_browser(app_url: str) -> None:
    from playwright.sync_api import expect

    with chromium_page(SMALL) as (page, record):
        step = _open(page, app_url)
        expect(page.locator(".tt-offer table")).to_be_visible()
        _check_layout(page, "01-start")  # with empty charts

        before = page.evaluate(CHART_MARKUP_JS)
        for week in range(1, STEPS + 1):
            step.click()
            _week(page, week)
        page.wait_for_timeout(PAINT_MS)
        after = page.evaluate(CHART_MARKUP_JS)
        unchanged = [c for c in WEEKLY_CHARTS if before[c] == after[c]]
        assert unchanged == [], f"charts unchanged after {STEPS} steps: {unchanged}"

        other = page.context.browser.new_context().new_page()  # a second session
        other.on("pageerror", lambda e: record["page_errors"].append(f"second page: {e}"))
        _open(other, app_url)  # its own model, untouched by the first session's Steps
        other.get_by_role("button", name="Step").click()
        _week(other, 1)
        _week(page, STEPS)
        other.context.close()

        _play_to(page, BUSY_WEEK)
        _check_layout(page, "02-played")
        _check_offer_tooltip(page)

        slider = page.get_by_role("slider", name="Number of farmers", exact=True)
        for k in range(1, FARMER_SLIDER_PRESSES + 1):
            # one press at a time, each waited for: a re-render may take the focus away
            slider.focus()
            slider.press("ArrowLeft")
            expect(slider).to_have_attribute(
                "aria-valuenow", str(1000 - 100 * k), timeout=STEP_TIMEOUT_MS
            )
        # the mark comes from the server: once it shows 300, Reset builds with 300
        expect(page.get_by_text("300 (scenario: 1,000) · applies at Reset")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        page.get_by_role("button", name="Reset").click()
        _week(page, 0)
        expect(page.get_by_text("Changed from the scenario: farmers")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(page.get_by_text(re.compile(r"· 300 farmers ·"))).to_be_visible()
        expect(page.get_by_text("applies at Reset")).to_have_count(0)
        step.click()
        _week(page, 1)

        page.get_by_role("button", name=re.compile("^Scenario")).click()
        page.get_by_role("option", name=SCENARIO).click()
        patience = page.get_by_role("slider", name="China patience (weekly)", exact=True)
        wanted = resolve_config(ROOT / "configs" / SCENARIO).teams["china"].patience
        expect(patience).to_have_attribute("aria-valuenow", str(wanted), timeout=STEP_TIMEOUT_MS)
        seed = page.get_by_role("textbox", name="Seed")
        seed.fill("7")
        seed.press("Enter")
        expect(page.get_by_text("scenario: 1 · applies at Reset")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        page.get_by_role("button", name="Reset").click()
        expect(page.get_by_text(f"Scenario: {SCENARIO} · seed 7")).to_be_visible(
            timeout=STEP_TIMEOUT_MS
        )
        expect(page.get_by_text("Changed from the scenario: nothing")).to_be_visible()
        step.click()
        _week(page, 1)

        # a page of another origin (another port on 127.0.0.1) cannot open the app's websocket;
        # that page's console error is expected, so it is not recorded
        channels = f"{KERNELS}/{uuid.uuid4()}/channels?session_id={uuid.uuid4().hex}"
        ws_url = app_url.replace("http://", "ws://").rstrip("/") + channels
        with other_site() as elsewhere:
            foreign = page.context.browser.new_context().new_page()
            foreign.goto(elsewhere)
            assert foreign.evaluate(OPEN_WEBSOCKET_JS, ws_url) == "refused"
            page.goto(app_url)  # while the app's own page still can
            page.get_by_role("button", name="Step").wait_for(timeout=LOAD_TIMEOUT_MS)
            assert page.evaluate(OPEN_WEBSOCKET_JS, ws_url) == "open"
            foreign.context.close()
    _clean(record)
