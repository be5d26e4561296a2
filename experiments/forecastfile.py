"""The forecast file format (docs/FORECASTS.md): a directory with ``forecast.json`` and
``draws.parquet``, its writer and its validating reader; also target lists written as TOML.

A forecast holds weighted draws of targets the record can resolve: quantities at dates (an
average tariff, soybean exports over a month, the Fed's upper bound, a month's CNY per USD)
and dated events (the first truce, collapse, escalation... after the origin; none by the
horizon is a null).  ``tradetalks forecast`` writes one through ``forecast_files`` and
``tradetalks score`` reads it; every problem raises ``ForecastError`` naming its key.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator
from tradetalks.sim.config_base import ConfigError, Strict
from tradetalks.sim.record import ONTOLOGY, problems_from
from tradetalks.sim.shipped import shipped_root

FORMAT = "tradetalks-forecast"
VERSION = 1
META, DRAWS = "forecast.json", "draws.parquet"
MAX_META_BYTES = 5_000_000  # a target list, not data: thousands of targets fit in 1 MB
MAX_DRAWS = 1_000_000
Side = Literal["us", "china"]


@dataclass(frozen=True)
class Quantity:
    """A record kind a quantity target reads: its figure, unit, and what locates it."""

    field: str
    unit: str
    side: bool  # a side is required (and none allowed otherwise)
    period: bool  # an observation over a period: ``period_start`` to ``date``


QUANTITIES = {
    "average_tariff": Quantity("pct", "pct", side=True, period=False),
    "soybean_exports": Quantity("volume_mt", "Mt", side=False, period=True),
    "fed": Quantity("upper_pct", "pct", side=False, period=False),
    "cny": Quantity("cny_per_usd", "CNY per USD", side=False, period=True),
}
# event kinds: the model's public kinds that have record counterparts, plus the interim deal
EVENTS = (*(k for k, m in ONTOLOGY.items() if m.select), "interim_deal")
NAME = r"^[A-Za-z0-9_.@:-]{1,120}$"


class ForecastError(ConfigError):
    """A forecast directory or target list is invalid; ``problems`` lists (key, message)."""

    what = "forecast"


class QuantityTarget(Strict):
    """A quantity at a date (a level in force) or over a period ending on ``date``."""

    name: Annotated[str, Field(pattern=NAME)]
    kind: Literal["quantity"]
    record_kind: Literal["average_tariff", "soybean_exports", "fed", "cny"]
    unit: str
    date: dt.date
    side: Side | None = None
    period_start: dt.date | None = None

    @model_validator(mode="after")
    def _check(self) -> QuantityTarget:
        q = QUANTITIES[self.record_kind]
        if self.unit != q.unit:
            raise ValueError(
                f"unit {self.unit!r} for {self.record_kind}: the record holds {q.unit!r}"
            )
        if q.side != (self.side is not None):
            need = "needs a side (us or china)" if q.side else "takes no side"
            raise ValueError(f"{self.record_kind} {need}")
        if q.period != (self.period_start is not None):
            need = "needs period_start" if q.period else "takes no period_start"
            raise ValueError(f"{self.record_kind} {need}")
        if self.period_start is not None and self.period_start > self.date:
            raise ValueError(f"period_start {self.period_start} is after date {self.date}")
        return self


class EventTarget(Strict):
    """The date of the first ``event`` after the origin, up to ``horizon``; scored as
    P(event by D) for each D in ``by``."""

    name: Annotated[str, Field(pattern=NAME)]
    kind: Literal["event"]
    event: Literal[EVENTS]  # type: ignore[valid-type]
    side: Side | None = None
    horizon: dt.date
    by: list[dt.date] = Field(min_length=1, max_length=1_000)

    @model_validator(mode="after")
    def _check(self) -> EventTarget:
        if self.by != sorted(set(self.by)):
            raise ValueError("by: dates must be distinct and in order")
        if self.by[-1] > self.horizon:
            raise ValueError(f"by: {self.by[-1]} is after the horizon {self.horizon}")
        return self


Target = Annotated[QuantityTarget | EventTarget, Field(discriminator="kind")]


class MadeBy(Strict):
    """What made the forecast: the command line and the tradetalks version."""

    command: str
    version: str


class Meta(Strict):
    """The contents of ``forecast.json``."""

    format: Literal["tradetalks-forecast"]
    version: Literal[1]
    origin: dt.date
    made_by: MadeBy
    draws: Annotated[int, Field(ge=1, le=MAX_DRAWS)]
    targets: list[Target] = Field(min_length=1, max_length=100_000)
    calibration: dict[str, Any] | None = None  # provenance: the fit the draws sample

    @model_validator(mode="after")
    def _check(self) -> Meta:
        names = [t.name for t in self.targets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"target names must be unique; repeated: {', '.join(dup)}")
        for t in self.targets:
            first = t.by[0] if isinstance(t, EventTarget) else t.date
            if first <= self.origin:
                raise ValueError(f"target {t.name}: {first} is not after the origin {self.origin}")
        return self


@dataclass(frozen=True)
class Forecast:
    """A read forecast: ``values[name]`` holds one entry per draw (float for a quantity,
    ``datetime64[D]`` for an event, NaT: none by the horizon); ``weights`` sum to 1."""

    meta: Meta
    values: dict[str, np.ndarray]
    weights: np.ndarray

    @property
    def origin(self) -> dt.date:
        """The forecast's origin date."""
        return self.meta.origin


def _errors(exc: ValidationError, raw: Any, source: str) -> ForecastError:
    """Problems by key path, without pydantic's union tags, naming the target."""
    raw = raw if isinstance(raw, dict) else {}
    targets = raw.get("targets") if isinstance(raw.get("targets"), list) else []
    problems = []
    for key, msg in problems_from(exc, raw):
        key = re.sub(r"\]\.(quantity|event)(?=\.|$)", "]", key)
        found = re.match(r"targets\[(\d+)\]", key)
        if found and int(found[1]) < len(targets) and isinstance(targets[int(found[1])], dict):
            msg += f" (target {targets[int(found[1])].get('name', 'unnamed')})"
        problems.append((key, msg))
    return ForecastError(problems, source)


def make_meta(origin: dt.date, targets: list[Any], draws: int, made_by: dict[str, str],
              calibration: dict[str, Any] | None = None) -> Meta:  # fmt: skip
    """A validated ``Meta`` (targets as models or plain dicts)."""
    raw = {
        "format": FORMAT, "version": VERSION, "origin": origin.isoformat(), "made_by": made_by,
        "draws": draws, "calibration": calibration,
        "targets": [t.model_dump(mode="json", exclude_none=True) if isinstance(t, Strict)
                    else t for t in targets],
    }  # fmt: skip
    text = json.dumps(raw, default=str)
    try:
        return Meta.model_validate_json(text)
    except ValidationError as exc:
        raise _errors(exc, json.loads(text), META) from None


def _column(target: Any, values: Any, n: int, origin: dt.date) -> tuple[np.ndarray, str | None]:
    """One target's draws as an array, or a problem."""
    arr = np.asarray(values)
    if arr.shape != (n,):
        return arr, f"{arr.size} values, expected one per draw ({n})"
    if isinstance(target, QuantityTarget):
        try:
            out = arr.astype(float)
        except (TypeError, ValueError):
            return arr, "quantities must be numbers"
        return out, None if np.isfinite(out).all() else "a value is not finite (NaN or inf)"
    try:
        days = arr.astype("datetime64[D]")
    except (TypeError, ValueError):
        return arr, "event draws must be dates or null (none by the horizon)"
    seen = days[~np.isnat(days)]
    lo, hi = np.datetime64(origin, "D"), np.datetime64(target.horizon, "D")
    if ((seen <= lo) | (seen > hi)).any():
        return days, f"an event date is not in ({origin}, {target.horizon}]"
    return days, None


def check_draws(meta: Meta, values: dict[str, Any], weights: Any) -> Forecast:
    """Validate the draws against ``meta``: one value per draw and target, good weights."""
    problems, out = [], {}
    names = {t.name for t in meta.targets}
    problems += [(f"draws.{k}", "not a target of forecast.json") for k in values if k not in names]
    for t in meta.targets:
        if t.name not in values:
            problems.append((f"draws.{t.name}", "no column for this target"))
            continue
        out[t.name], problem = _column(t, values[t.name], meta.draws, meta.origin)
        if problem:
            problems.append((f"draws.{t.name}", problem))
    w = np.ones(meta.draws) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (meta.draws,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        problems.append(("draws.weight", "one finite, non-negative weight per draw, not all 0"))
    if problems:
        raise ForecastError(problems, DRAWS)
    return Forecast(meta, out, w / w.sum())


def forecast_files(forecast: Forecast) -> dict[str, bytes]:
    """The two files of a forecast directory, as bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols: dict[str, Any] = {"draw": pa.array(np.arange(forecast.meta.draws), pa.int64())}
    cols["weight"] = pa.array(forecast.weights, pa.float64())
    for t in forecast.meta.targets:
        v = forecast.values[t.name]
        cols[t.name] = pa.array(v, pa.date32() if v.dtype.kind == "M" else pa.float64())
    buf = io.BytesIO()
    pq.write_table(pa.table(cols), buf)
    text = forecast.meta.model_dump_json(indent=2, exclude_none=True)
    return {META: (text + "\n").encode(), DRAWS: buf.getvalue()}


def build_forecast(origin: dt.date, targets: list[Any], draws: dict[str, Any],
                   weights: Any = None, made_by: dict[str, str] | None = None,
                   calibration: dict[str, Any] | None = None) -> Forecast:  # fmt: skip
    """A validated forecast from targets and ``draws[name]`` (one value per draw)."""
    n = len(next(iter(draws.values()))) if draws else 0
    made = made_by or {"command": "tradetalks", "version": "unknown"}
    meta = make_meta(origin, targets, max(n, 1), made, calibration)
    return check_draws(meta, draws, weights)


def write_forecast(directory: str | Path, origin: dt.date, targets: list[Any],
                   draws: dict[str, Any], weights: Any = None,
                   made_by: dict[str, str] | None = None,
                   calibration: dict[str, Any] | None = None) -> Forecast:  # fmt: skip
    """Validate and write a forecast directory (created if missing); returns what it wrote."""
    forecast = build_forecast(origin, targets, draws, weights, made_by, calibration)
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for name, data in forecast_files(forecast).items():
        (path / name).write_bytes(data)
    return forecast


def read_forecast(directory: str | Path) -> Forecast:
    """Read and validate a forecast directory; every problem raises ``ForecastError``."""
    import pyarrow.parquet as pq

    path = Path(directory)
    if not path.is_dir():
        raise ForecastError([("", "not a forecast directory (forecast.json and draws.parquet)")],
                            str(path))  # fmt: skip
    try:
        if (path / META).stat().st_size > MAX_META_BYTES:
            raise ForecastError([(META, f"larger than {MAX_META_BYTES} bytes")], str(path))
        text = (path / META).read_text(encoding="utf-8")
        raw = json.loads(text)
        meta = Meta.model_validate_json(text)
    except OSError as exc:
        raise ForecastError([(META, exc.strerror or str(exc))], str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ForecastError([(META, f"not valid JSON: {exc}")], str(path)) from None
    except ValidationError as exc:
        raise _errors(exc, raw, str(path / META)) from None
    try:
        table = pq.read_table(path / DRAWS)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise ForecastError([(DRAWS, f"cannot read: {exc}")], str(path)) from None
    cols = {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}
    cols.pop("draw", None)
    weights = cols.pop("weight", None)
    if len(table) != meta.draws:
        raise ForecastError([(DRAWS, f"{len(table)} rows, forecast.json says {meta.draws}")],
                            str(path))  # fmt: skip
    return check_draws(meta, cols, weights)


# --------------------------------------------------------------------------- target lists
def _month(text: str) -> tuple[dt.date, dt.date]:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}", text):
        raise ValueError(f"month {text!r}: expected YYYY-MM")
    year, month = map(int, text.split("-"))
    if not 1 <= month <= 12:
        raise ValueError(f"month {text!r}: expected YYYY-MM")
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def expand(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """One TOML target entry as targets: ``dates`` or ``months`` give one target each,
    named ``NAME@DATE`` or ``NAME@YYYY-MM``."""
    spec = dict(spec)
    if "dates" in spec:
        return [{**spec, "name": f"{spec.get('name')}@{d}", "date": d}
                for d in spec.pop("dates")]  # fmt: skip
    months = spec.pop("months", None)
    if months is None and "month" in spec:
        months, single = [spec.pop("month")], True
    else:
        single = False
    if months is None:
        return [spec]
    out = []
    for m in months:
        first, last = _month(m)
        name = spec.get("name") if single else f"{spec.get('name')}@{m}"
        out.append({**spec, "name": name, "period_start": first, "date": last})
    return out


def targets_path(name: str) -> Path:
    """A shipped target list: ``configs/forecasts/NAME.toml``."""
    return shipped_root() / "forecasts" / f"{Path(name).name.removesuffix('.toml')}.toml"


def load_targets(path: str | Path) -> Meta:
    """A target list (TOML: ``origin`` and ``[[targets]]``, or a shipped name) as a ``Meta``
    with no draws, for scoring the baselines alone."""
    given = Path(path)
    if not given.is_file() and targets_path(str(path)).is_file():
        given = targets_path(str(path))
    try:
        raw = tomllib.loads(given.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ForecastError([("", exc.strerror or str(exc))], str(given)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ForecastError([("", f"not valid TOML: {exc}")], str(given)) from None
    problems = [(k, "unknown key") for k in raw if k not in ("title", "origin", "targets")]
    problems += [(k, "required key is missing") for k in ("origin", "targets") if k not in raw]
    if problems:
        raise ForecastError(problems, str(given))
    if not isinstance(raw["origin"], dt.date) or isinstance(raw["origin"], dt.datetime):
        raise ForecastError([("origin", "expected a date, YYYY-MM-DD")], str(given))
    targets = []
    for i, spec in enumerate(raw["targets"] if isinstance(raw["targets"], list) else []):
        try:
            targets += expand(spec) if isinstance(spec, dict) else [spec]
        except ValueError as exc:
            raise ForecastError([(f"targets[{i}]", str(exc))], str(given)) from None
    made = {"command": f"target list {given.name}", "version": str(VERSION)}
    try:
        return make_meta(raw["origin"], targets, 1, made)
    except ForecastError as exc:
        raise ForecastError(exc.problems, str(given)) from None
