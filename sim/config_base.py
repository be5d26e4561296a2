"""Shared pieces of the config schema: the error type, the strict base model, field types.

Every section model derives from ``Strict``: pydantic strict mode (a TOML string is not a
number, a float is not an integer; an integer is still accepted where a float is expected),
unknown keys forbidden, no NaN or infinity, frozen once validated.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

SIDES = ("us", "china")
MAX_LEVELS = 1001  # a divisible issue (a pie) may be finely graded; beyond this is a typo
WEIGHT_TOLERANCE = 1e-6  # numerical tolerance when checking that weights sum to 1
PERCENT_MAX = 100.0  # tariffs are percentages: above 100% is a typo, not a scenario
RATE_MAX = 20.0  # policy rates, % a year: bounds that catch a slipped decimal point
RRR_MAX = 50.0  # reserve-requirement ratio, % of deposits
MAX_WEEKS = 520  # ten years: longer horizons are outside what the model describes
WEEKS_PER_YEAR = 52


class ConfigError(Exception):
    """A config (or override) is invalid; ``problems`` lists (key path, message) pairs."""

    what = "configuration"  # what kind of input was invalid, for the message

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        """One readable paragraph naming every problem by its key path."""
        head = f"Invalid {self.what}{f' {self.source}' if self.source else ''}: "
        head += f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}."
        lines = [head] + [f"  - {path or '(top level)'}: {msg}" for path, msg in self.problems]
        return "\n".join(lines)


# --------------------------------------------------------------------------- field types
Finite = Annotated[float, Field(allow_inf_nan=False)]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Probability = Unit
Discount = Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]  # a discount factor
Percent = Annotated[float, Field(ge=0.0, le=PERCENT_MAX, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=RATE_MAX, allow_inf_nan=False)]
Weeks = Annotated[int, Field(ge=1, le=WEEKS_PER_YEAR)]  # a delay of at most a year


class Strict(BaseModel):
    """Base of every config section: strict types; unknown keys and NaN or infinity are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)
