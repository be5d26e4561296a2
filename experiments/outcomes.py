"""Outcomes kept from a run summary: dotted paths into the summary dict, and their columns.

An outcome is a dotted path into the run summary (``deal``, ``deal_week``, ``utility.us``,
``final.farm_approval``, ``terms.huawei``) or one of a few derived counts (``n_issues``).
Its column is the path with dots replaced by underscores.  Column types are fixed before
the sweep starts (from a probe run) so every Parquet part has the same schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyarrow as pa

DERIVED: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "n_issues": lambda s: len(s["issues_covered"]),  # issues settled by the end
    "n_deals": lambda s: len(s["deals"]),  # agreements signed (interim and full)
    # the week of the second agreement (null with fewer than two): the chapters left open
    "second_deal_week": lambda s: s["deals"][1]["week"] if len(s["deals"]) > 1 else None,
}

# Outcomes that may be null in a probe run but are integers when present (a null probe
# value of any other outcome, e.g. nash_product, makes a float column).
NULLABLE_INTEGERS = frozenset({"deal_week", "second_deal_week"})

TERMS_PREFIX = "terms."  # terms.<issue>: the agreed level's label, null while open


def column_name(path: str) -> str:
    """The table column of an outcome path (``final.fed_rate`` -> ``final_fed_rate``)."""
    return path.replace(".", "_")


def extract(summary: Mapping[str, Any], path: str) -> Any:
    """The scalar at ``path`` in a summary; KeyError if absent, TypeError if not scalar."""
    if path in DERIVED:
        return DERIVED[path](summary)
    node: Any = summary
    if path.startswith(TERMS_PREFIX) and path.count(".") == 1:
        return summary.get("terms", {}).get(path[len(TERMS_PREFIX) :])  # None: left open
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(path)
        node = node[part]
    if node is not None and not isinstance(node, bool | int | float | str):
        raise TypeError(f"{path} is a {type(node).__name__}, not a number, flag or label")
    return node


def arrow_type(path: str, probe_value: Any) -> pa.DataType:
    """Column type of an outcome, from its value in a probe run."""
    if isinstance(probe_value, bool):
        return pa.bool_()
    if isinstance(probe_value, int) or path in NULLABLE_INTEGERS:
        return pa.int64()
    if isinstance(probe_value, str) or path.startswith(TERMS_PREFIX):
        return pa.string()
    return pa.float64()


def known_paths(summary: Mapping[str, Any]) -> list[str]:
    """Every scalar path a summary offers (for 'did you mean' style messages)."""
    out = list(DERIVED)

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            elif value is None or isinstance(value, bool | int | float | str):
                out.append(path)

    walk(summary, "")
    return out
