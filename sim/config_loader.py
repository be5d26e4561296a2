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
from tradetalks.sim.config_schema import Config, CrossCheckError, end_of, partial_problems
from tradetalks.sim.config_strategies import STRATEGY_PARAMS, STRATEGY_TAGS
from tradetalks.sim.shipped import locate, shipped_names

MAX_CONFIG_BYTES = 1_000_000  # a config is hand-written text: the largest shipped is 22 kB
MAX_NESTING = 32  # tables and arrays inside each other: the schema needs seven
MAX_EXTENDS = 32  # files in one ``extends`` chain: the shipped scenarios use two
SHOWN_CHARS = 80  # a wrong value is quoted in a message up to this length

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


def _shown(value: Any) -> str:
    """``repr(value)``, shortened to ``SHOWN_CHARS`` for a message."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def _is_number_text(value: Any) -> bool:
    """True for a string that reads as a number (``"52"``): a quoted number."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _wrong_type(kind: str, value: Any) -> str:
    what = "the string" if isinstance(value, str) else f"a {type(value).__name__}"
    numeric = kind in ("int_type", "float_type")
    hint = " (write numbers without quotes)" if numeric and _is_number_text(value) else ""
    return f"must be {_TYPE_NAMES[kind]}, got {what} {_shown(value)}{hint}"


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


def nesting_problem(obj: Any, path: str = "") -> tuple[str, str] | None:
    """(key path, message) for the first value of ``obj`` nested deeper than ``MAX_NESTING``
    tables or arrays, else None; iterative, so any depth is checked without recursion."""
    stack = [(obj, path, 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_NESTING:
            return (where, f"nested more than {MAX_NESTING} tables or arrays deep")
        if isinstance(node, dict):
            stack += [(v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node)]
    return None


def _via(referrer: str | None) -> str:
    return f" (extended by {referrer})" if referrer else ""


def _resolve(path: Path, shown: str, referrer: str | None) -> Path:
    """The real path of a config file, or a ``ConfigError`` naming it and its referrer."""
    try:
        real = path.resolve()
        found = real.is_file()
    except RuntimeError:  # Python 3.12 reports a symlink loop so (3.13: OSError)
        found, real = False, path
        problem = "a symbolic link loop"
    except OSError as exc:
        found, real = False, path
        problem = exc.strerror or str(exc)
    else:
        problem = "file not found"
        if real.is_dir():
            problem = "a directory, not a config file"
        elif real.exists():
            problem = "not a regular file"
    if found:
        return real
    if referrer is not None:
        raise ConfigError([("extends", f"{referrer} extends {shown}: {problem}")], referrer)
    missing = problem == "file not found"
    hint = f" (nor a shipped config: {', '.join(shipped_names())})" if missing else ""
    raise ConfigError([("", f"{problem}: {shown}{hint}")], shown)


def _read_toml(path: Path, shown: str, referrer: str | None) -> dict[str, Any]:
    """One TOML file, parsed within the size and nesting limits."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        problem = f"cannot read the file: {exc.strerror or exc}{_via(referrer)}"
        raise ConfigError([("", problem)], shown) from None
    if len(data) > MAX_CONFIG_BYTES:
        problem = f"the file is larger than {MAX_CONFIG_BYTES:,} bytes{_via(referrer)}"
        raise ConfigError([("", problem)], shown)
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([("", f"the file is not UTF-8 text{_via(referrer)}")], shown) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("", f"TOML syntax error: {exc}{_via(referrer)}")], shown) from None
    except RecursionError:
        problem = f"nested too deeply to read (at most {MAX_NESTING} levels){_via(referrer)}"
        raise ConfigError([("", problem)], shown) from None
    deep = nesting_problem(parsed)
    if deep is not None:
        raise ConfigError([(deep[0], deep[1] + _via(referrer))], shown)
    return parsed


def read_raw(path: str | Path) -> dict[str, Any]:
    """Read a TOML config and resolve its ``extends`` chain into one plain dict.

    Each file is at most ``MAX_CONFIG_BYTES`` and ``MAX_NESTING`` deep, the chain at most
    ``MAX_EXTENDS`` files and without cycles; an error in a parent names the file that
    extends it.
    """
    chain: list[dict[str, Any]] = []
    seen: list[Path] = []
    target, shown, referrer = Path(path), str(path), None
    while True:
        real = _resolve(target, shown, referrer)
        if real in seen:
            cycle = " extends ".join([*(p.name for p in seen[seen.index(real) :]), real.name])
            problem = f"{referrer} extends {shown}: circular inheritance ({cycle})"
            raise ConfigError([("extends", problem)], referrer)
        if len(seen) == MAX_EXTENDS:
            problem = (
                f"{referrer} extends {shown}: more than {MAX_EXTENDS} files in the chain "
                f"that starts at {path}"
            )
            raise ConfigError([("extends", problem)], referrer)
        seen.append(real)
        data = _read_toml(real, shown, referrer)
        parent = data.pop("extends", None)
        chain.append(data)
        if parent is None:
            break
        if not isinstance(parent, str):
            raise ConfigError([("extends", "must be a path to the parent config")], shown)
        target, referrer, shown = real.parent / parent, shown, parent
    merged = chain.pop()
    while chain:
        merged = _deep_merge(merged, chain.pop())
    return merged


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value (else a string).

    ``52`` is an integer, ``0.5`` a number, ``true`` a flag, ``2019-10-01`` a date, and
    anything that is not a TOML literal (``linear``), or is nested too deeply to read, the
    string itself (validation then names the key it does not fit).
    """
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    return text if nesting_problem(value) is not None else value


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
    problems = [p for k, v in overrides.items() if (p := nesting_problem(v, k)) is not None]
    if problems:
        raise ConfigError(problems, "(overrides)")
    out = copy.deepcopy(raw)
    problems = [p for k, v in overrides.items() if (p := _set_path(out, k, v)) is not None]
    if problems:
        raise ConfigError(problems, "(overrides)")
    return out


# --------------------------------------------------------------------------- validating
def validate_raw(raw: dict[str, Any], source: str | None = None) -> Config:
    """Validate a resolved raw dict into a ``Config`` or raise ``ConfigError`` naming every
    problem: the fields' own, then those of the checks across sections that could run."""
    deep = nesting_problem(raw)
    if deep is not None:
        raise ConfigError([deep], source)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from(exc)
        problems += [p for p in partial_problems(raw, exc.errors()) if p not in problems]
        raise ConfigError(problems, source) from None


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
            deep = nesting_problem(raw)
            if deep is not None:  # before copying it for the overrides
                raise ConfigError([deep])
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
