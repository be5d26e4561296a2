"""Shared pieces of the config schema: the error types, the strict base model, field types.

Every section model derives from ``Strict``: pydantic strict mode (a TOML string is not a
number, a float is not an integer; an integer is still accepted where a float is expected),
unknown keys forbidden, no NaN or infinity, frozen once validated.  Every number is bounded
to the range the model gives it a meaning in and can compute with: the bounds are named here
(shared ones) or next to their section, each with the reason for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

SIDES = ("us", "china")
WEIGHT_TOLERANCE = 1e-6  # numerical tolerance when checking that weights sum to 1
WEEKS_PER_YEAR = 52

# --------------------------------------------------------------------------- bounds
# Time: the model describes the 2018-2020 talks (docs/facts/record-2018-2019.md starts with the
# Section 301 memorandum of March 2018); a start up to the end of 2021 leaves room for
# counterfactual runs.
START_DATE_MIN = dt.date(2018, 1, 1)
START_DATE_MAX = dt.date(2021, 12, 31)
MAX_WEEKS = 520  # ten years: longer horizons are outside what the model describes
MAX_HORIZON_WEEKS = 2 * MAX_WEEKS  # a strategy may plan past the run's end, not beyond this
MAX_EVENTS = 2 * MAX_WEEKS  # per calendar list: two a week over the longest run
# Size: the outcome space is enumerated (one row per deal, sim/issues.py), so it is bounded.
MAX_ISSUES = 20  # the Phase One text has eight chapters; twenty issues leave room
MAX_LEVELS = 1001  # a divisible issue (a pie) may be graded in thousandths; more is a typo
# Rows of the outcome grid, the product of (levels + 1) over negotiable issues: the baseline
# has 134,400; at 2 million a 52-week run takes about 1.3 GB and a few seconds (measured).
# Larger spaces run only on their frontier rows (sim/frontier_rows.py, config_schema's
# ``frontier_problem`` says when).
MAX_OUTCOMES = 2_000_000
# A core-v2 space larger than this is never enumerated when its run allows it (sim/lazy_space.py;
# config_schema.never_enumerated): speed and memory only, the runs are the same.  Measured
# (benchmarks/results/scale.md), CPU a run and peak memory, enumerated vs never: 98,000
# outcomes 0.095 vs 0.18 s, 126 vs 88 MB; 490,000 0.13 vs 0.20 s, 326 vs 88 MB; 1.18 million
# 0.22 vs 0.20 s, 692 vs 91 MB: the time crosses near a million, memory passes a worker's
# 250 MB near 300,000; half a million splits them.
LAZY_ABOVE = 500_000
# A factored search lists the combinations of the issues the values couple (hostage issues,
# jointly valued pairs, disputes' purchases and delivery issues, φ̂'s cut: sim/factored_v2.py)
# and values each: at most this many (memory: about 100 bytes a combination and term;
# the baseline couples 4 issues into 245).  Beyond, a run stops naming the issues.
MAX_COUPLED = 1_000_000
# A run that picks only frontier outcomes (sim/frontier_rows.py) never enumerates: its bound
# is the product positions' integer range kept well inside int64 (a typo guard, not memory).
FRONTIER_MAX_OUTCOMES = 10**15
# The rows such a run may keep: ties make the frontiers large (opposed linear values with
# equal weights put every outcome on them), and beyond this many a run is refused with the
# reason; 200,000 rows run at about twice the baseline's 98,000 (assumption: memory, speed).
FRONTIER_MAX_ROWS = 200_000
MAX_NAMED = 20  # members per team, ratifiers, value tables per issue: more is a typo
# Percentages and rates
PERCENT_MAX = 100.0  # tariffs are percentages: above 100% is a typo, not a scenario
RATE_MAX = 20.0  # policy rates, % a year: bounds that catch a slipped decimal point
RRR_MAX = 50.0  # reserve-requirement ratio, % of deposits
# Responses to an index in [0, 1] (a pressure, a value gain): beyond ten times the index's
# range the response is a switch, not a coefficient, and exp() of it may overflow.
RESPONSE_MAX = 10.0


class ConfigError(Exception):
    """A config (or override) is invalid; ``problems`` lists (key path, message) pairs."""

    what = "configuration"  # what kind of input was invalid, for the message

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type, tuple[list[tuple[str, str]], str | None]]:
        """Pickle by the constructor's arguments, so that the error crosses process pools."""
        return type(self), (self.problems, self.source)

    def render(self) -> str:
        """One readable paragraph naming every problem by its key path."""
        head = f"Invalid {self.what}{f' {self.source}' if self.source else ''}: "
        head += f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}."
        lines = [head] + [f"  - {path or '(top level)'}: {msg}" for path, msg in self.problems]
        return "\n".join(lines)


class ModelStateError(ConfigError):
    """A run reached a non-finite world state; ``problems`` name the indicators and the config
    keys that drive them.  A config error: the config drove the model out of its range."""

    what = "model state"

    def render(self) -> str:
        """One readable paragraph naming every non-finite indicator and its config keys."""
        head = (
            f"The run reached an absurd world state{f' ({self.source})' if self.source else ''}: "
            f"{len(self.problems)} indicator{'s' if len(self.problems) != 1 else ''} "
            "not finite; check the config keys named below."
        )
        return "\n".join([head] + [f"  - {path}: {msg}" for path, msg in self.problems])


# --------------------------------------------------------------------------- field types
def between(lo: float, hi: float) -> Any:
    """The type of a finite number in [lo, hi]."""
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)]


def positive(hi: float) -> Any:
    """The type of a finite number in (0, hi]."""
    return Annotated[float, Field(gt=0.0, le=hi, allow_inf_nan=False)]


# unbounded above: for the parameters of user strategies (the schema bounds every number)
Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Unit = between(0.0, 1.0)  # shares, probabilities, indices and values in [0, 1]
Probability = Unit
# a discount factor: 1 is no discounting (the theory configs use it; the Rubinstein strategy
# takes the limit), 0 or less has no meaning
Discount = positive(1.0)
Percent = between(0.0, PERCENT_MAX)
PercentChange = between(-PERCENT_MAX, PERCENT_MAX)  # a change in a percentage, pp
Rate = between(0.0, RATE_MAX)
Weeks = Annotated[int, Field(ge=1, le=WEEKS_PER_YEAR)]  # a delay of at most a year
Response = between(0.0, RESPONSE_MAX)  # a non-negative response to an index in [0, 1]
SignedResponse = between(-RESPONSE_MAX, RESPONSE_MAX)


class Strict(BaseModel):
    """Base of every config section: strict types; unknown keys and NaN or infinity are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)
