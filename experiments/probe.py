"""The probe run: one run of the base scenario before a sweep starts.

It checks what only a run can show (that every outcome to keep exists in the run summary
and is a scalar, that every weekly series to keep exists and is numeric) and fixes each
outcome's column type, so that every Parquet part of the sweep has the same schema.  It
also builds the base scenario's outcome space, which the sweep's workers then share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.runtime import accepted_options, limit_blas
from tradetalks.experiments.seeds import run_seed
from tradetalks.experiments.sweepspec import SweepSpec
from tradetalks.sim.config import Config, dump_config
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.spaces import outcome_space

Problems = list[tuple[str, str]]
PROBE_SAMPLE = 0  # the probe runs with the seed of run (sample 0, replicate 0)
PROBE_REPLICATE = 0


@dataclass
class Probe:
    """What the probe run found: column types of the outcomes, the base outcome space (used
    by the run, so its caches are warm) and the problems, if any."""

    outcome_types: dict[str, pa.DataType]
    space: OutcomeSpace | None
    problems: Problems


def _outcome_types(
    keep: list[str], summary: dict[str, Any], issue_names: list[str]
) -> tuple[dict[str, pa.DataType], Problems]:
    """Column type of every kept outcome from its value in the summary, or why it has none."""
    types: dict[str, pa.DataType] = {}
    problems: Problems = []
    for i, key in enumerate(keep):
        at = f"outcomes.keep[{i}]"
        if key.startswith(oc.TERMS_PREFIX) and key.count(".") == 1:
            issue = key[len(oc.TERMS_PREFIX) :]
            if issue not in issue_names:
                problems.append((at, f"no issue named {issue!r}; issues: {issue_names}"))
                continue
        try:
            types[key] = oc.arrow_type(key, oc.extract(summary, key))
        except KeyError:
            known = ", ".join(oc.known_paths(summary))
            problems.append((at, f"the run summary has no {key!r}; known: {known}"))
        except TypeError as exc:
            problems.append((at, str(exc)))
    return types, problems


def _series_problems(series: list[str], model: Any) -> Problems:
    """Kept weekly series that the model does not record as numbers."""
    if not series:
        return []
    ts = model.timeseries()
    numeric = [c for c in ts.columns if c != "week" and ts[c].dtype.kind in "biuf"]
    return [
        (f"outcomes.series[{i}]", f"no numeric weekly series {s!r}; known: {', '.join(numeric)}")
        for i, s in enumerate(series)
        if s not in numeric
    ]


def probe_run(spec: SweepSpec, cfg: Config, model_cls: type) -> Probe:
    """Run the base scenario ``cfg`` once with ``model_cls`` and check the kept outcomes."""
    limit_blas()
    seed = run_seed(spec.root_seed, PROBE_SAMPLE, PROBE_REPLICATE)
    space = None
    try:
        space = outcome_space(cfg)
        options = accepted_options(model_cls, {"space": space})
        model = model_cls(config=dump_config(cfg), rng=seed, **options)
        summary = model.run()
    except Exception as exc:
        why = f"a probe run of the base scenario failed: {type(exc).__name__}: {exc}"
        return Probe({}, space, [("base", why)])
    types, problems = _outcome_types(spec.outcomes.keep, summary, list(cfg.issues))
    return Probe(types, space, problems + _series_problems(spec.outcomes.series, model))
