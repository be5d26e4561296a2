"""The app's controls: the scenario, the seed and the levers, each showing its value.

The controls hold the arguments of the next ``SessionModel`` (what Reset builds), in one
reactive dict shared with Mesa's ``ModelController``.  They follow the chosen scenario:
picking one sets the seed and every lever to that scenario's values.  A control whose value
differs from the running model's is marked "applies at Reset" until Reset, so a moved lever
is never silently ignored or silently applied.  ``plain`` helpers below are testable
without Solara.
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reacton.ipyvuetify as rv
import solara

from tradetalks.agents.strategies import REGISTRY
from tradetalks.viz.levers import parse_seed
from tradetalks.viz.session import AppSetup, SessionModel, SpaceBook

SNAP_TOLERANCE = 1e-9  # float slack when aligning a slider's grid with its value
ROUND_DIGITS = 9
PENDING = "applies at Reset"
CONTROLS_CSS = """
.tt-controls .v-messages__message { font-size: 12px; color: #333; }
.tt-controls .tt-pending .v-messages__message { color: #a04000; font-weight: 600; }
.tt-pending-note { color: #a04000; font-size: 12px; font-weight: 600; }
.tt-help { font-size: 12px; color: #555; margin: 4px 0 0 0; }
"""


@dataclass(frozen=True)
class LeverSpec:
    """A slider: its argument name (a ``Levers`` field), label, range and step, value format."""

    key: str
    label: str
    bounds: tuple[float, float, float]  # low, high, step (a value outside widens the range)
    fmt: Callable[[float], str]
    integer: bool = False


LEVERS = (
    LeverSpec("us_patience", "US patience (weekly)", (0.95, 1.0, 0.0005), "{:.4g} a week".format),
    LeverSpec(
        "china_patience", "China patience (weekly)", (0.95, 1.0, 0.0005), "{:.4g} a week".format
    ),
    LeverSpec("farm_aid_bn", "Farm aid budget ($bn)", (0.0, 30.0, 0.1), "${:.1f}bn".format),
    LeverSpec("farmers", "Number of farmers", (100, 10_000, 100), "{:,.0f}".format, True),
    LeverSpec(
        "currency_threshold", "Currency threshold (CNY/USD)", (6.5, 7.5, 0.01), "{:.2f}".format
    ),
)
STRATEGIES = (("us_strategy", "US lead strategy"), ("china_strategy", "China lead strategy"))
HELP = (
    "Step runs one week, ▶ plays week after week (❚❚ pauses), Reset starts a new run with "
    "the scenario, seed and levers below."
)
LEVER_HELP = (
    "Picking a scenario sets every lever to its values. Patience is each side's weekly "
    "discount factor at the start; the aid budget rescales the scenario's aid tranches."
)


# --------------------------------------------------------------------------- plain helpers
def initial_params(setup: AppSetup, spaces: SpaceBook | None) -> dict[str, Any]:
    """The arguments of the first model: the launch scenario, its seed and levers."""
    return {
        "setup": setup,  # fixed: passed to every new SessionModel on Reset
        "spaces": spaces,  # fixed too: this session's own book of outcome spaces
        "scenario_file": setup.launch.label,
        "rng": str(setup.seed),
        **setup.levers.as_dict(),
    }


def with_scenario(params: dict[str, Any], setup: AppSetup, label: str) -> dict[str, Any]:
    """``params`` with scenario ``label`` chosen: its seed and every lever follow it."""
    levers, seed = setup.scenario(label)
    return {**params, "scenario_file": label, "rng": str(seed), **levers.as_dict()}


def running_values(model: SessionModel) -> dict[str, Any]:
    """What the running model was built with, by argument name."""
    return {"scenario_file": model.scenario_label, "rng": model.seed, **model.levers.as_dict()}


def _differs(chosen: Any, running: Any) -> bool:
    if isinstance(chosen, int | float) and isinstance(running, int | float):
        return not math.isclose(chosen, running, rel_tol=0.0, abs_tol=SNAP_TOLERANCE)
    return chosen != running


def pending(params: dict[str, Any], model: SessionModel) -> list[str]:
    """Controls whose value differs from the running model's (they apply at Reset)."""
    out = []
    for key, running in running_values(model).items():
        chosen = params.get(key)
        if key == "rng":
            try:
                chosen = parse_seed(chosen)
            except ValueError:
                pass  # a bad seed is pending: Reset will fall back, with a note
        if _differs(chosen, running):
            out.append(key)
    return out


def slider_bounds(value: float, bounds: tuple[float, float, float]) -> tuple[float, float, float]:
    """(min, max, step) of a slider whose grid of steps passes through ``value``.

    Vuetify snaps a slider's value to ``min + n * step``; were ``value`` off that grid, the
    slider would move by itself and the lever would count as changed.
    """
    low, high, step = bounds
    start = value - math.floor((value - low) / step + SNAP_TOLERANCE) * step
    start = round(start, ROUND_DIGITS) if isinstance(step, float) else int(start)
    return start, max(high, value), step


def lever_message(spec: LeverSpec, value: float, scenario: float, running: float) -> str:
    """The line under a slider: its value, the scenario's if different, and whether it waits
    for Reset."""
    text = spec.fmt(value)
    if _differs(value, scenario):
        text += f" (scenario: {spec.fmt(scenario)})"
    if _differs(value, running):
        text += f" · {PENDING}"
    return text


# --------------------------------------------------------------------------- components
@solara.component
def LeverSlider(
    spec: LeverSpec,
    value: float,
    scenario: float,
    running: float,
    on_value: Callable[[str, Any], None],
) -> solara.Element:
    """One lever: a slider with its value, and a mark while the value waits for Reset."""
    low, high, step = slider_bounds(value, spec.bounds)

    def changed(new: Any) -> None:
        on_value(spec.key, round(new) if spec.integer else float(new))

    waiting = _differs(value, running)
    return rv.Slider(
        v_model=value,
        on_v_model=changed,
        label=spec.label,
        min=low,
        max=high,
        step=step,
        hide_details=False,
        messages=[lever_message(spec, value, scenario, running)],
        class_="tt-lever tt-pending" if waiting else "tt-lever",
    )


def _choice_message(value: str, waiting: bool, scenario: str | None = None) -> list[str]:
    """The line under a selector or the seed: the scenario's value if different, and
    whether the choice waits for Reset."""
    parts = []
    if scenario is not None and value != scenario:
        parts.append(f"scenario: {scenario}")
    if waiting:
        parts.append(PENDING)
    return [" · ".join(parts)] if parts else []


@solara.component
def LeverPanel(
    setup: AppSetup, params: solara.Reactive[dict[str, Any]], model: SessionModel
) -> solara.Element:
    """Scenario, seed, levers and lead strategies, each with its value and pending mark."""
    chosen = params.value
    label = chosen["scenario_file"]
    scenario_levers, scenario_seed = solara.use_memo(lambda: setup.scenario(label), [label])
    running = running_values(model)
    waiting = pending(chosen, model)

    def set_param(key: str, value: Any) -> None:
        params.value = {**params.value, key: value}

    def pick_scenario(new: str) -> None:
        params.value = with_scenario(params.value, setup, new)

    with solara.Column(gap="4px", classes=["tt-controls"]) as main:
        solara.HTML(tag="p", unsafe_innerHTML=LEVER_HELP, classes=["tt-help"])
        rv.Select(
            v_model=label,
            on_v_model=pick_scenario,
            items=setup.labels,
            label="Scenario",
            messages=_choice_message(label, "scenario_file" in waiting),
            class_="tt-pending" if "scenario_file" in waiting else "",
        )
        seed_text = str(chosen["rng"])
        rv.TextField(
            v_model=seed_text,
            on_v_model=lambda v: set_param("rng", v),
            label="Seed",
            messages=_choice_message(seed_text, "rng" in waiting, str(scenario_seed)),
            class_="tt-pending" if "rng" in waiting else "",
        )
        for spec in LEVERS:
            LeverSlider(
                spec,
                chosen[spec.key],
                getattr(scenario_levers, spec.key),
                running[spec.key],
                set_param,
            )
        for key, text in STRATEGIES:
            rv.Select(
                v_model=chosen[key],
                on_v_model=lambda v, key=key: set_param(key, v),
                items=sorted(REGISTRY),
                label=text,
                messages=_choice_message(
                    chosen[key], key in waiting, getattr(scenario_levers, key)
                ),
                class_="tt-pending" if key in waiting else "",
            )
        if waiting:
            solara.Text(
                f"Changed, {PENDING}: {', '.join(_names(waiting))}", classes=["tt-pending-note"]
            )
    return main


def _names(keys: list[str]) -> list[str]:
    labels = {s.key: s.label for s in LEVERS} | dict(STRATEGIES)
    labels |= {"scenario_file": "scenario", "rng": "seed"}
    return [labels.get(k, k) for k in keys]
