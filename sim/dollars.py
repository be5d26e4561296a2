"""Outcomes in dollars (issue 12, deliverable 4): what the tariffs collect, who pays, the
effective tariff net of product exclusions, trade diverted to third countries, Brazil's share
of China's soybean imports and US exports beyond soybeans, by sector — accounting on the week's
trade flows, with the coefficients of ``world.dollars`` (sources in configs/baseline.toml and
docs/facts/implementation-and-dollars.md).

Flows are annualised rates ($bn a year), as the trade flows they are computed from; a run's
totals (``totals``) add each week's rate over 52.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from tradetalks.sim.config_base import WEEKS_PER_YEAR
from tradetalks.sim.config_world import DollarsConfig, SoybeanConfig, TradeConfig


@dataclass(frozen=True)
class Dollars:
    """One week's dollar outcomes (annualised $bn, shares in [0, 1], tariffs in %)."""

    us_tariff_effective: float  # % on imports from China, net of product exclusions
    us_duties_bn: float  # all US duties on imports from China (MFN base included)
    us_section301_duties_bn: float  # the duties above the January 2018 base
    us_importer_cost_bn: float  # what US importers and consumers pay of them (pass-through)
    cn_duties_bn: float  # China's duties on imports from the US
    us_imports_diverted_bn: float  # lost imports from China bought from third countries
    brazil_soy_share: float  # Brazil's share of China's soybean imports
    us_exports_nonsoy_bn: float  # China's imports from the US other than soybeans
    # the same by sector (they add up to it): energy, aircraft, farm goods other than
    # soybeans, and manufactured and other goods (the rest)
    us_exports_energy_bn: float
    us_exports_aircraft_bn: float
    us_exports_farm_other_bn: float
    us_exports_manufactured_other_bn: float


def week_dollars(
    state: Mapping[str, float],
    d: DollarsConfig,
    t: TradeConfig,
    s: SoybeanConfig,
    soy_market_bn: float,
) -> Dollars:
    """The dollar outcomes of one week's tariffs and trade flows (``soy_market_bn``: the
    soybeans in the tariff-driven trade flow, i.e. before purchases under an agreement and
    goodwill purchases, which come on top of China's imports from the US)."""
    us_avg, imports = state["us_tariff_avg"], state["us_imports_bn"]
    effective = t.us_tariff_base + max(us_avg - t.us_tariff_base, 0.0) * (1 - d.excluded_share)
    section301 = (effective - t.us_tariff_base) / 100 * imports
    soy = state["soybean_exports_bn"]
    china_soy = d.cn_soy_imports_normal_bn * d.cn_soy_demand
    us_share = min(soy / china_soy, 1.0) if china_soy > 0 else 0.0
    nonsoy = max(state["cn_imports_bn"] - soy_market_bn, 0.0)
    sectors = export_sectors(nonsoy, d, t, s)
    return Dollars(
        us_tariff_effective=effective,
        us_duties_bn=effective / 100 * imports,
        us_section301_duties_bn=section301,
        us_importer_cost_bn=d.pass_through * section301,
        cn_duties_bn=state["cn_tariff_avg"] / 100 * state["cn_imports_bn"],
        us_imports_diverted_bn=d.diversion_share * max(t.us_imports_base_bn - imports, 0.0),
        brazil_soy_share=d.brazil_share_of_rest * (1.0 - us_share),
        us_exports_nonsoy_bn=nonsoy,
        **{f"us_exports_{k}_bn": v for k, v in sectors.items()},
    )


SECTORS = ("energy", "aircraft", "farm_other")  # named; manufactured_other is the rest


def export_sectors(
    nonsoy: float, d: DollarsConfig, t: TradeConfig, s: SoybeanConfig
) -> dict[str, float]:
    """US exports to China other than soybeans (``nonsoy``, $bn a year) by sector: each named
    sector is its normal level plus the flow's change from its normal level, shared by the
    sectors' tariffed normal exports (a fall beyond all of those by their untariffed ones);
    manufactured and other goods are the rest, so the sectors add up to ``nonsoy``."""
    ref = t.cn_imports_base_bn - s.exports_normal_bn  # the flow at January 2018 tariffs
    normal = {k: getattr(d, f"{k}_normal_bn") for k in SECTORS}
    normal["manufactured_other"] = max(ref - sum(normal.values()), 0.0)
    tariffed = {k: v * getattr(d, f"{k}_tariffed_share") for k, v in normal.items()}
    untariffed = {k: normal[k] - tariffed[k] for k in normal}
    change = nonsoy - ref
    moved = max(change, -sum(tariffed.values()))  # a fall borne by tariffed exports, or a rise
    beyond = change - moved  # ≤ 0: the fall beyond every tariffed export
    out = {
        k: normal[k] + moved * _share(tariffed, k) + beyond * _share(untariffed, k) for k in SECTORS
    }
    out["manufactured_other"] = nonsoy - sum(out.values())
    return out


def _share(parts: Mapping[str, float], key: str) -> float:
    """``key``'s share of the parts' sum (0 when they sum to 0)."""
    total = sum(parts.values())
    return parts[key] / total if total > 0 else 0.0


FLOWS = (
    "us_duties_bn",
    "us_section301_duties_bn",
    "us_importer_cost_bn",
    "cn_duties_bn",
    "us_imports_diverted_bn",
    "us_exports_nonsoy_bn",
    *(f"us_exports_{k}_bn" for k in (*SECTORS, "manufactured_other")),
)  # annualised flows a run adds up (the rest are levels or shares)


def totals(weeks: Iterable[Dollars]) -> dict[str, float]:
    """Each flow summed over the weeks, $bn (a week is 1/52 of its annual rate)."""
    out = dict.fromkeys(FLOWS, 0.0)
    for w in weeks:
        row = asdict(w)
        for key in FLOWS:
            out[key] += row[key] / WEEKS_PER_YEAR
    return out
