"""Loading configs: TOML files with ``extends`` inheritance, ``--set`` overrides, validation.

Every problem comes out as a ``ConfigError`` naming it by its dotted key path in plain words
(pydantic's locations are translated: union tags dropped, dict keys named).
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError
from tradetalks.sim.config_base import ConfigError
from tradetalks.sim.config_calendar import RunConfig
from tradetalks.sim.config_schema import Config, CrossCheckError, end_of
from tradetalks.sim.config_strategies import STRATEGY_PARAMS, STRATEGY_TAGS
from tradetalks.sim.shipped import locate, shipped_names

_TYPE_NAMES = {
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "date_type": "a date (e.g. 2019-09-16, without quotes)",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
}
_PLAIN = {
    "extra_forbidden": "unknown key (not part of the configuration schema)",
    "missing": "required key is missing",
    "finite_number": "must be a finite number (NaN and infinity are not allowed)",
}


# --------------------------------------------------------------------------- error paths
def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """Drop pydantic's union tags and dict-key markers; return the strategy kind if any."""
    out: list[Any] = []
    kind = None
    for part in loc:
        if part in ("function-after", "[key]"):
            continue
        if out and out[-1] == "strategy" and part in STRATEGY_TAGS:
            kind = part
            continue
        out.append(part)
    return tuple(out), kind


def _wrong_type(kind: str, value: Any) -> str:
    what = "the string" if isinstance(value, str) else f"a {type(value).__name__}"
    numeric = kind in ("int_type", "float_type")
    hint = " (write numbers without quotes)" if numeric and isinstance(value, str) else ""
    return f"must be {_TYPE_NAMES[kind]}, got {what} {value!r}{hint}"


def _unknown_name(err: dict[str, Any]) -> str:
    """A dict key outside its vocabulary (a ``Literal`` key type)."""
    expected = (err.get("ctx") or {}).get("expected", "")
    name = err.get("input")
    if "quantities" in err["loc"]:
        return (
            f"unknown deal quantity {name!r} (the world would ignore it); "
            f"known quantities: {expected}"
        )
    return f"unknown name {name!r}; known names: {expected}"


def _plain(err: dict[str, Any], kind: str | None) -> str:
    """Pydantic's message for ``err`` in plain words (``kind``: the strategy it is about)."""
    etype, msg = err.get("type", ""), err.get("msg", "")
    if etype == "extra_forbidden" and kind in STRATEGY_PARAMS:
        known = ", ".join(STRATEGY_PARAMS[kind].model_fields) or "none"
        return f"unknown parameter of strategy {kind!r} (its parameters: {known})"
    if etype in _PLAIN:
        return _PLAIN[etype]
    if etype in _TYPE_NAMES:
        return _wrong_type(etype, err.get("input"))
    if etype == "literal_error" and err["loc"] and err["loc"][-1] == "[key]":
        return _unknown_name(err)
    msg = msg.removeprefix("Value error, ")
    return msg[0].lower() + msg[1:] if msg else etype


def problems_from(exc: ValidationError) -> list[tuple[str, str]]:
    """(key path, message) for every error of a pydantic ``ValidationError``."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, CrossCheckError):
            problems += ctx_err.problems
            continue
        loc, kind = _clean_loc(tuple(err["loc"]))
        problems.append((_loc_to_path(loc), _plain(err, kind)))
    return problems


# --------------------------------------------------------------------------- reading
def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base`` table by table; a table that changes its ``kind`` (a strategy
    of another kind) replaces the parent's, whose parameters would not apply."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        old = out.get(k)
        if (
            isinstance(v, dict)
            and isinstance(old, dict)
            and v.get("kind", old.get("kind")) == old.get("kind")
        ):
            out[k] = _deep_merge(old, v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def read_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a TOML config and resolve its ``extends`` chain into one plain dict."""
    p = Path(path).resolve()
    if p in _seen:
        raise ConfigError([("extends", f"circular inheritance through {p}")], str(path))
    if not p.is_file():
        hint = "" if _seen else f" (nor a shipped config: {', '.join(shipped_names())})"
        raise ConfigError([("", f"file not found: {path}{hint}")], str(path))
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("", f"TOML syntax error: {exc}")], str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError([("", "the file is not UTF-8 text")], str(path)) from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError([("extends", "must be a path to the parent config")], str(path))
    base = read_raw(p.parent / parent, (*_seen, p))
    return _deep_merge(base, data)


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value (else a string).

    ``52`` is an integer, ``0.5`` a number, ``true`` a flag, ``2019-10-01`` a date, and
    anything that is not a TOML literal (``linear``) the string itself.
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_path(out: dict[str, Any], key: str, value: Any) -> tuple[str, str] | None:
    """Set one dotted key path in ``out``; a problem if the path runs into a non-table."""
    parts = key.split(".")
    node: Any = out
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
        else:
            where = ".".join(parts[:depth]) or "(top level)"
            return (key, f"unknown key: {where} has no item {part!r}")
    return None


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Set dotted key paths in a raw config (list items by index, e.g. ``calendar.farm_aid.0``).

    Missing table keys are created so that keys with defaults can be set; validation then
    rejects any key the schema does not know, by its path.
    """
    if not overrides:
        return raw
    out = copy.deepcopy(raw)
    problems = [p for k, v in overrides.items() if (p := _set_path(out, k, v)) is not None]
    if problems:
        raise ConfigError(problems, "(overrides)")
    return out


# --------------------------------------------------------------------------- validating
def validate_raw(raw: dict[str, Any], source: str | None = None) -> Config:
    """Validate a resolved raw dict into a ``Config`` or raise ``ConfigError``."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(problems_from(exc), source) from None


def load_config(
    source: str | Path | Config | dict[str, Any],
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Load and validate a config from a path, a raw dict or a Config, then apply overrides.

    The calendar is checked against the scenario's own horizon; an override of ``run.weeks``
    (a shorter or longer run) is applied after that check, so a shorter run simply stops
    before later events.
    """
    overrides = dict(overrides or {})
    weeks = overrides.pop("run.weeks", None)
    if isinstance(source, Config):
        cfg = (
            source
            if not overrides
            else validate_raw(apply_overrides(dump_config(source), overrides))
        )
    else:
        if isinstance(source, dict):
            raw, name = source, None  # validation and overrides never mutate it
        else:
            raw, name = read_raw(locate(source)), str(source)
        cfg = validate_raw(apply_overrides(raw, overrides), name)
    return cfg if weeks is None else with_weeks(cfg, weeks)


def with_weeks(cfg: Config, weeks: Any) -> Config:
    """The same scenario run for a different number of weeks (validated like any value).

    Events after a shortened horizon cannot happen: the resolved config drops them.
    """
    run = dump_config(cfg)["run"]
    run["weeks"] = weeks
    try:
        new_run = RunConfig.model_validate(run)
    except ValidationError as exc:
        problems = [(f"run.{p}", m) for p, m in problems_from(exc)]
        raise ConfigError(problems, "(overrides)") from None
    calendar = cfg.calendar.until(end_of(new_run))
    return cfg.model_copy(update={"run": new_run, "calendar": calendar})


# --------------------------------------------------------------------------- writing
def dump_config(cfg: Config) -> dict[str, Any]:
    """The config as a plain TOML-ready dict (dates stay dates)."""
    return cfg.model_dump(mode="python")


def to_toml(cfg: Config) -> str:
    """Serialise a config to TOML text that ``load_config`` reads back equal."""
    return tomli_w.dumps(_drop_none(dump_config(cfg)))


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj
