"""Step latency of the browser app, measured in headless Chromium.

Starts ``tradetalks viz`` (baseline, or a copy with ``--farmers N``), opens the page, and
presses Step ``--steps`` times.  Each Step is timed inside the page, from the click until the
week label shows the next week and the browser has painted twice more (the charts arrive in
the same update).  Prints the median, 90th percentile and maximum in milliseconds.

    .venv/bin/python benchmarks/bench_viz.py                    # 1,000 farmers (baseline)
    .venv/bin/python benchmarks/bench_viz.py --farmers 10000
    .venv/bin/python benchmarks/bench_viz.py --screenshot docs/img/viz.png --steps 24 \
        --viewport 1600x2430

Not a test: timings depend on the machine; the goal is under 500 ms at 1,000 farmers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the Chromium driver is shared with the browser test

from browser import STEP_AND_TIME_JS, WEEK_SELECTOR, chromium_page, viz_server  # noqa: E402

BASELINE = ROOT / "configs" / "baseline.toml"
LOAD_TIMEOUT_MS = 90_000
WARMUP_STEPS = 2  # not timed: the first Steps warm caches on both ends
GOAL_MS = 500.0
PERCENTILE = 0.9


def _config(farmers: int | None, tmp: Path) -> Path:
    if farmers is None:
        return BASELINE
    path = tmp / f"baseline_{farmers}_farmers.toml"
    path.write_text(f'extends = "{BASELINE.as_posix()}"\n[world.farmers]\ncount = {farmers}\n')
    return path


def main() -> None:
    """Run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--farmers", type=int, default=None, help="farmer count (default: config)")
    parser.add_argument("--steps", type=int, default=20, help="timed Steps")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the page at the end")
    parser.add_argument(
        "--viewport",
        default=None,
        help="WIDTHxHEIGHT of the window (the app scrolls inside it, so a tall window shows all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(args.farmers, Path(tmp))
        with (
            viz_server(config, log=Path(tmp) / "server.log") as url,
            chromium_page() as (
                page,
                record,
            ),
        ):
            if args.viewport:
                width, height = (int(v) for v in args.viewport.lower().split("x"))
                page.set_viewport_size({"width": width, "height": height})
            page.goto(url)
            page.get_by_role("button", name="Step").wait_for(timeout=LOAD_TIMEOUT_MS)
            page.locator(WEEK_SELECTOR).wait_for(timeout=LOAD_TIMEOUT_MS)
            page.locator(".solara-echarts svg").first.wait_for(timeout=LOAD_TIMEOUT_MS)
            for _ in range(WARMUP_STEPS):
                page.evaluate(STEP_AND_TIME_JS)
            times = [float(page.evaluate(STEP_AND_TIME_JS)) for _ in range(args.steps)]
            if args.screenshot:
                page.wait_for_timeout(500)
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.screenshot, full_page=True)
            week = page.locator(WEEK_SELECTOR).text_content()
    times.sort()
    p90 = times[min(len(times) - 1, int(PERCENTILE * len(times)))]
    farmers = args.farmers or "config's"
    print(f"tradetalks viz Step latency, {farmers} farmers, {len(times)} Steps (now {week}):")
    print(
        f"  median {statistics.median(times):.0f} ms, p90 {p90:.0f} ms, max {times[-1]:.0f} ms"
        f" (goal < {GOAL_MS:.0f} ms)"
    )
    problems = {k: v for k, v in record.items() if v}
    if problems:
        print(f"  page problems: {problems}")


if __name__ == "__main__":
    main()
