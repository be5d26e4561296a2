"""How a sweep reads for people: parameter, outcome and series labels with units, and the
calendar date of each week.

Parameter labels come from the config schema's field descriptions where it has them, else
from ``PARAMETER_UNITS`` (the last part of the config key); outcome and series labels come
from the mappings below (``"label [unit]"``); a name nobody described stays as it is.
Week ``w`` of a run starts on ``start + 7 (w - 1)`` days (week 1 on the start date), as
``deal_date`` in a run summary; the weekly series' row ``w`` is the state at the end of
week ``w`` (row 0: the starting state).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from tradetalks.experiments.manifest import BASE_CONFIG_FILE

MAX_CONFIG_BYTES = 1 << 20  # a resolved base config is some 30 kB

# indicators of the world, as final.<name> outcomes and as weekly series
INDICATORS: dict[str, str] = {
    "us_tariff_avg": "US tariff on Chinese goods [%]",
    "cn_tariff_avg": "China's tariff on US goods [%]",
    "soy_tariff": "China's tariff on US soybeans [%]",
    "soybean_exports_bn": "US soybean exports to China [$bn a year]",
    "soybean_price": "soybean price [$/bushel]",
    "farm_approval": "farmers approving of the US stance [share]",
    "farm_income_index": "farm income [index, normal = 1]",
    "farm_distress": "farm distress [0-1]",
    "farm_aid_paid_bn": "farm aid paid, soybean farms' share [$bn]",
    "fed_rate": "Fed funds rate [%]",
    "cny_usd": "exchange rate [CNY per USD]",
    "manipulator": "China labelled a currency manipulator [share of runs]",
    "rrr": "PBoC reserve requirement ratio [%]",
    "huawei_status": "Huawei's relief [0 entity list - 1 removed]",
    "us_growth": "US growth [% a year]",
    "cn_growth": "China's growth [% a year]",
    "trade_uncertainty": "trade-policy uncertainty [index]",
    "us_imports_bn": "US imports from China [$bn a year]",
    "cn_imports_bn": "China's imports from the US [$bn a year]",
    "escalations": "escalations so far [count]",
    "deal_probability": "the market's deal probability [share]",
    "us_tariff_effective": "US tariff net of exclusions [%]",
    "us_duties_bn": "US duties on imports from China [$bn a year]",
    "us_section301_duties_bn": "US Section 301 duties [$bn a year]",
    "us_importer_cost_bn": "US importers' cost of the duties [$bn a year]",
    "cn_duties_bn": "China's duties on imports from the US [$bn a year]",
    "us_imports_diverted_bn": "US imports diverted to third countries [$bn a year]",
    "brazil_soy_share": "Brazil's share of China's soybean imports [share]",
    "us_exports_nonsoy_bn": "US exports to China other than soybeans [$bn a year]",
    "us_exports_energy_bn": "US energy exports to China [$bn a year]",
    "us_exports_aircraft_bn": "US aircraft exports to China [$bn a year]",
    "us_exports_farm_other_bn": "US farm exports to China other than soybeans [$bn a year]",
    "us_exports_manufactured_other_bn": "US manufactured and other exports to China [$bn a year]",
}

# outcome columns (summary paths with '_' for '.') other than final.* and terms.*
OUTCOMES: dict[str, str] = {
    "deal": "deal by the end [share of runs]",
    "deal_week": "week of the first deal [week]",
    "deal_date": "date of the first deal [date]",
    "full_deal": "every issue settled [share of runs]",
    "n_issues": "issues settled by the end [count]",
    "n_deals": "agreements signed [count]",
    "second_deal_week": "week of the second deal [week]",
    "utility_us": "US utility at the last deal, or of no deal [utility]",
    "utility_china": "China's utility at the last deal, or of no deal [utility]",
    "reservation_us": "US reservation value [utility]",
    "reservation_china": "China's reservation value [utility]",
    "escalations": "escalations [count]",
    "gestures": "goodwill gestures [count]",
    "incidents": "political incidents [count]",
    "offers": "offers made [count]",
    "blocked_by_ratification": "offers blocked in ratification [count]",
    "nash_product": "Nash product of the deal [utility^2]",
    "pareto_distance": "distance of the deal from the Pareto frontier [utility]",
    "dollars_total_us_duties_bn": "US duties on imports from China [$bn over the run]",
    "dollars_total_us_section301_duties_bn": "US Section 301 duties [$bn over the run]",
    "dollars_total_us_importer_cost_bn": "US importers' cost of the duties [$bn over the run]",
    "dollars_total_cn_duties_bn": "China's duties on US imports [$bn over the run]",
    "dollars_total_us_imports_diverted_bn": "US imports diverted [$bn over the run]",
    "dollars_total_us_exports_nonsoy_bn": "US non-soybean exports to China [$bn over the run]",
    "dollars_total_us_exports_energy_bn": "US energy exports to China [$bn over the run]",
    "dollars_total_us_exports_aircraft_bn": "US aircraft exports to China [$bn over the run]",
    "dollars_total_us_exports_farm_other_bn": "US other farm exports to China [$bn over the run]",
    "dollars_total_us_exports_manufactured_other_bn": (
        "US manufactured and other exports to China [$bn over the run]"
    ),
    "dollars_final_us_tariff_effective_pct": "US tariff net of exclusions, last week [%]",
    "dollars_final_brazil_soy_share": "Brazil's soybean share, last week [share]",
    "dollars_final_us_imports_diverted_bn_a_year": "US imports diverted, last week [$bn a year]",
}

# a parameter's label by the last part of its config key (regular expressions, in order)
PARAMETER_UNITS: tuple[tuple[str, str], ...] = (
    (r"patience$", "weekly discount factor [per week]"),
    (r"kappa\.us_growth_gap_pp$", "US utility per pp of growth below potential [utility/pp]"),
    (r"kappa\.cn_growth_gap_pp$", "China's utility per pp of growth gap [utility/pp]"),
    (r"kappa\.\w+$", "valuation weight of a consequence [utility per unit]"),
    (r"electoral_weight$", "election-day lump per unit of farm approval [utility]"),
    (r"rollback_cost_per_pp$", "lump per pp of tariff rolled back [utility/pp]"),
    (r"\.optimism$", "screening optimism, prior shift [acceptance share]"),
    (r"welfare_response$", "farm approval response to income [per income index]"),
    (r"aid_scale$", "farm aid [x baseline]"),
    (r"farm_aid\.\d+\.amount_bn$", "farm aid budget [$bn]"),
    (r"farmers\.count$", "US soybean farmers [count]"),
    (r"(rate|tariff)(_start|_avg)?$", "[%]"),
    (r"_bn$", "[$bn]"),
    (r"_pp$", "[pp]"),
    (r"_weeks$", "[weeks]"),
)


def outcome_label(column: str) -> str:
    """``"label [unit]"`` of an outcome column, or the column itself if unknown."""
    if column in OUTCOMES:
        return OUTCOMES[column]
    if column.startswith("final_") and column[6:] in INDICATORS:
        return f"{INDICATORS[column[6:]]}, at the end"
    if column.startswith("terms_"):
        return f"agreed level of {column[6:]} [level]"
    return column


def series_label(name: str) -> str:
    """``"label [unit]"`` of a weekly series."""
    return INDICATORS.get(name, name)


def _unwrap(tp: Any) -> list[Any]:
    """The types a field's annotation may hold (Optional and Annotated taken apart)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(tp) for t in _unwrap(a)]
    return [tp]


def schema_description(path: str) -> str | None:
    """The config schema's description of a dotted key, if its field has one."""
    from pydantic import BaseModel
    from tradetalks.sim.config import Config

    current: list[Any] = [Config]
    desc = None
    for part in path.split("."):
        nxt: list[Any] = []
        desc = None
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                field = tp.model_fields.get(part)
                if field is not None:
                    desc = desc or field.description
                    nxt += _unwrap(field.annotation)
            elif origin is dict:
                nxt += _unwrap(typing.get_args(tp)[1])
            elif origin in (list, tuple) and part.isdigit():
                nxt += _unwrap(typing.get_args(tp)[0])
        if not nxt:
            return None
        current = nxt
    return desc


def parameter_label(name: str, keys: list[str | None]) -> str:
    """``"name: description [unit]"`` of a parameter that sets config ``keys``."""
    key = keys[0] if keys else None
    if key:
        desc = schema_description(key)
        if desc:
            return f"{name}: {desc}"
        for pattern, text in PARAMETER_UNITS:
            if re.search(pattern, key):
                return f"{name} {text}" if text.startswith("[") else f"{name}: {text}"
    return name


def parameter_labels(parameters: list[Any]) -> dict[str, str]:
    """Labels of a sweep's parameters (``ParameterSpec``s), by column name."""
    return {p.column: parameter_label(p.column, p.config_keys) for p in parameters}


def unit_of(label: str) -> str:
    """The unit in a label's brackets, or ''."""
    m = re.search(r"\[([^\]]*)\]\s*$", label)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- dates
def sweep_calendar(root: Path) -> list[tuple[int, str]]:
    """(week, kind) of the calendar's dated events in a sweep's base config: tariff actions
    ("tariff action due") and principal rounds ("principal round"); week 1 starts on the
    start date. Empty if the file does not say."""
    start = sweep_start_date(root)
    if start is None:
        return []
    raw = tomllib.loads((Path(root) / BASE_CONFIG_FILE).read_text())
    cal = raw.get("calendar", {}) if isinstance(raw.get("calendar"), dict) else {}
    events = [(a.get("date"), "tariff action due") for a in cal.get("tariff_actions", [])]
    events += [
        (r.get("date"), "principal round")
        for r in cal.get("rounds", [])
        if r.get("level") == "principal"
    ]
    return sorted(
        ((day - start).days // 7 + 1, kind)
        for day, kind in events
        if isinstance(day, dt.date) and day >= start
    )


def sweep_start_date(root: Path) -> dt.date | None:
    """The start date of a sweep's runs (``run.start_date`` of its resolved base config),
    or None if the file does not say."""
    path = Path(root) / BASE_CONFIG_FILE
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return None
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return None
    start = raw.get("run", {}).get("start_date") if isinstance(raw.get("run"), dict) else None
    if isinstance(start, dt.date) and not isinstance(start, dt.datetime):
        return start
    return None


def week_start(start: dt.date, week: int) -> dt.date:
    """First day of week ``week`` (week 1 starts on ``start``; week 0 is the start too)."""
    return start + dt.timedelta(weeks=max(week - 1, 0))


def week_of(start: dt.date, day: dt.date) -> int:
    """The week (1-based) in which ``day`` falls: a deal in week w is on or before ``day``
    exactly when w <= week_of(start, day)."""
    return (day - start).days // 7 + 1


def end_date(start: dt.date, weeks: int) -> dt.date:
    """The last day of a horizon of ``weeks`` weeks."""
    return start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)


def parse_date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD); ValueError with a plain message otherwise."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
