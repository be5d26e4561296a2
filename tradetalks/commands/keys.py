"""``tradetalks keys [CONFIG]``: every key ``--set`` accepts, with its type, value and meaning.

The keys are the config's leaves by dotted path, as ``--set`` takes them (list items by
index, ``calendar.farm_aid.0.amount_bn``; a table of numbers by entry,
``teams.us.members.president.weights.huawei``).  The type and its bounds come from the
schema (``sim/config_*.py``), the value from the config given (the baseline by default), and
the description from the schema's field description and the comment beside the key in that
config's TOML (and the files it extends), else from the comment beside the field in the
schema's source.  No Mesa.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from tradetalks.console import CONFIG_HELP, app, default_config, load_scenario

VALUE_CHARS = 40  # a value is shown up to this many characters
HUGE = 1e15  # an upper bound this large is a technical one (the largest seed), not shown
SCHEMA_FIELD = re.compile(r"^    (\w+)\s*:")  # a field line in a class body (4 spaces)
_SCALARS = {bool: "true/false", int: "integer", float: "number", str: "text", dt.date: "date"}


def _bounds(metadata: list[Any]) -> str:
    """`` in [0, 1]``, `` > 0``, `` ≤ 20`` ... from annotated-types constraints."""
    lo = hi = None
    for m in metadata:
        for attr, side in (("ge", "["), ("gt", "(")):
            if getattr(m, attr, None) is not None:
                lo = (side, getattr(m, attr))
        for attr, side in (("le", "]"), ("lt", ")")):
            if getattr(m, attr, None) is not None and abs(_num(getattr(m, attr))) < HUGE:
                hi = (side, getattr(m, attr))
    if lo and hi:
        return f" in {lo[0]}{_bound(lo[1])}, {_bound(hi[1])}{hi[0]}"
    if lo:
        return f" {'≥' if lo[0] == '[' else '>'} {_bound(lo[1])}"
    if hi:
        return f" {'≤' if hi[0] == ']' else '<'} {_bound(hi[1])}"
    return ""


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _is_model_class(cls: type) -> bool:
    from pydantic import BaseModel  # lazily: --help stays quick

    return issubclass(cls, BaseModel)


def _is_model(value: Any) -> bool:
    return _is_model_class(type(value))


def describe_type(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A type in words: ``number in [0, 1]``, ``list of text``, ``one of us, china``."""
    metadata = list(metadata or [])
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        inner = [m for a in args[1:] for m in getattr(a, "metadata", [a])]
        return describe_type(args[0], inner + metadata)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        if len(kept) == 1:
            return describe_type(kept[0], metadata) + " (optional)"
        return "a table (see its kind)"
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin is list:
        return "list of " + describe_type(args[0]) if args else "list"
    if origin is dict:
        return "table of " + describe_type(args[1]) if args else "table"
    if annotation in _SCALARS:
        return _SCALARS[annotation] + _bounds(metadata)
    if isinstance(annotation, type) and _is_model_class(annotation):
        return "table"
    return "any" if annotation is Any else str(annotation)


# --------------------------------------------------------------------------- descriptions
def _comment(line: str) -> str:
    """The comment at the end of a TOML line (a '#' outside strings), or ''."""
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[i + 1 :].strip()
        i += 1
    return ""


def toml_comments(text: str) -> dict[str, str]:
    """Dotted key -> the comment beside it, for one TOML file (arrays of tables by index)."""
    out: dict[str, str] = {}
    table, counts = "", {}
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[["):
            name = s[2 : s.find("]]")].strip()
            counts[name] = counts.get(name, -1) + 1
            table = f"{name}.{counts[name]}"
        elif s.startswith("["):
            table = s[1 : s.find("]")].strip()
        elif "=" in s and not s.startswith("#"):
            key = s.split("=", 1)[0].strip().strip("\"'")
            note = _comment(line)
            if note and re.fullmatch(r"[\w.\-]+", key):
                out[f"{table}.{key}" if table else key] = note
    return out


def config_comments(path: Path) -> dict[str, str]:
    """The comments of a config file and of the files it extends (its own win)."""
    from tradetalks.sim.shipped import locate

    out: dict[str, str] = {}
    seen: set[Path] = set()
    current: Path | None = locate(path)
    while current is not None and current.is_file() and current.resolve() not in seen:
        seen.add(current.resolve())
        text = current.read_text(encoding="utf-8", errors="replace")
        out = {**toml_comments(text), **out}
        parent = re.search(r'^extends\s*=\s*"([^"]+)"', text, re.MULTILINE)
        current = current.parent / parent.group(1) if parent else None
    return out


@functools.cache
def schema_comments(cls: type) -> dict[str, str]:
    """Field -> the comment beside it (or on the lines just above it) in the class's source."""
    import inspect  # lazily: --help stays quick

    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):  # a class made at run time (the strategy specs)
        return {}
    out: dict[str, str] = {}
    above: list[str] = []
    for line in lines:
        s = line.strip()
        if s.startswith("#"):
            above.append(s.lstrip("#").strip())
            continue
        m = SCHEMA_FIELD.match(line)
        if m:
            note = _comment(line) or " ".join(above)
            if note:
                out.setdefault(m.group(1), note)
        above = []
    return out


# --------------------------------------------------------------------------- the keys
def config_keys(cfg: Any, comments: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every settable leaf of a validated config: key, type, value, description."""
    rows: list[dict[str, Any]] = []
    _walk(cfg, "", comments or {}, rows)
    return rows


def _walk(model: Any, prefix: str, comments: dict[str, str], rows: list[dict[str, Any]]) -> None:
    cls = type(model)
    for name, field in cls.model_fields.items():
        key = prefix + (field.alias or name)
        value = getattr(model, name)

        def note(k: str = key, n: str = name, d: str | None = field.description) -> str:
            beside = comments.get(k, "")
            if d:
                return f"{d} ({beside})" if beside else d
            return beside or schema_comments(cls).get(n, "")

        if _is_model(value):
            _walk(value, key + ".", comments, rows)
        elif isinstance(value, dict) and value:
            inner = typing.get_args(field.annotation)
            item_type = inner[1] if len(inner) == 2 else Any
            for k, v in value.items():
                if _is_model(v):
                    _walk(v, f"{key}.{k}.", comments, rows)
                else:
                    rows.append(_row(f"{key}.{k}", describe_type(item_type), v, note(f"{key}.{k}")))
        elif isinstance(value, list) and value and all(_is_model(v) for v in value):
            for i, v in enumerate(value):
                _walk(v, f"{key}.{i}.", comments, rows)
        else:
            kind = describe_type(field.annotation, field.metadata)
            if name == "kind" and key.endswith("strategy.kind"):
                kind = "built-in kind or module:Class"
            rows.append(_row(key, kind, value, note()))


def _row(key: str, kind: str, value: Any, description: str) -> dict[str, Any]:
    return {"key": key, "type": kind, "value": value, "description": description}


def _literal(value: Any) -> str:
    """A value as TOML writes it inline (what ``--set`` takes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_literal(v)}" for k, v in value.items()) + "}"
    return str(value)  # a date


def _shown(value: Any) -> str:
    """A value as it is written in TOML (``--set`` takes the same), shortened."""
    text = "(not set)" if value is None else _literal(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def table(rows: list[dict[str, Any]]) -> str:
    """The keys as aligned columns for people."""
    if not rows:
        return ""
    width_key = max(len(r["key"]) for r in rows)
    width_type = max(len(r["type"]) for r in rows)
    shown = [_shown(r["value"]) for r in rows]
    width_value = max(len(v) for v in shown)
    return "\n".join(
        f"{r['key']:<{width_key}}  {r['type']:<{width_type}}  {v:<{width_value}}  "
        f"{r['description']}".rstrip()
        for r, v in zip(rows, shown, strict=True)
    )


@app.command()
def keys(
    config: Annotated[Path | None, typer.Argument(help=CONFIG_HELP, metavar="CONFIG")] = None,
    match: Annotated[
        str | None,
        typer.Option(help="Only keys containing this text, e.g. farmers", metavar="TEXT"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON list of {key, type, value, description}")
    ] = False,
) -> None:
    """List every key --set accepts: its type and bounds, its value in CONFIG, and what it is."""
    cfg, _ = load_scenario(config, None, None, None)
    rows = config_keys(cfg, config_comments(config or default_config()))
    if match:
        rows = [r for r in rows if match.lower() in r["key"].lower()]
    if as_json:
        typer.echo(json.dumps(rows, default=str))
    else:
        typer.echo(table(rows) or f"no key contains {match!r}")
