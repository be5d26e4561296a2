"""Vocabularies configs may use: pressure indicators, ratifier indicators, deal quantities.

Reservation values and influence shifts are linear in the pressures (each in [0, 1]);
ratifiers may take their base support from one of the ratifier indicators; an issue's levels
set deal quantities.  Kept in one place so the config schema and the world agree on the
vocabulary: a name outside it is a config error, not a silently void term.
"""

PRESSURES: dict[str, str] = {
    "farm_distress": "mean distress of US soybean farmers",
    "soy_loss": "share of normal soybean exports to China lost",
    "us_tariff_burden": "US tariff on Chinese goods above its 2018 base, relative to the ceiling",
    "cn_tariff_burden": "China's tariff on US goods above its 2018 base, relative to the ceiling",
    "export_loss": "share of China's 2017 exports to the US lost",
    "us_growth_shortfall": "US growth below potential, relative to the shortfall scale",
    "cn_growth_shortfall": "China's growth below potential, relative to the shortfall scale",
    "trade_uncertainty": "trade-policy uncertainty index",
    "manipulator": "1 while the US labels China a currency manipulator",
    "huawei_pressure": "1 − Huawei's relief status (0 = removed from the entity list)",
}

RATIFIER_INDICATORS: dict[str, str] = {
    "farm_approval": "share of farmers approving of the US stance",
}

# Economic quantities a deal term may set (``[issues.NAME.quantities]``): exactly the names
# ``World.apply_terms`` (sim/world.py) puts into force when a deal covering the issue is signed.
DEAL_QUANTITIES: dict[str, str] = {
    "us_tariff_avg": "trade-weighted average US tariff on Chinese goods, %",
    "us_keeps_schedule": "1: the US's scheduled tariff actions still fire despite the deal",
    "us_threat_pp": "US tariff increases (pp) still hanging over the deal",
    "cn_tariff_avg": "China's average tariff on US goods, %",
    "cn_keeps_schedule": "1: China's scheduled tariff actions still fire despite the deal",
    "cn_threat_pp": "Chinese tariff increases (pp) still hanging over the deal",
    "soy_tariff": "China's total tariff on US soybeans, % (with cn_tariff_avg)",
    # relative to the state at signature (DESIGN §3.1, core-v2 §1 D): what a level does to the
    # tariffs in force and scheduled; the absolute names above remain for older configs
    "us_cancel_scheduled": "1: the US's scheduled tariff hikes are cancelled",
    "us_threat_kept": "share of the cancelled US hikes that still hang over the deal (a delay)",
    "us_rollback_fired": "share of the US hikes fired since the start that are rolled back",
    "us_rollback_pp": "further pp taken off the US tariff in force (floored at its 2018 base)",
    "cn_cancel_scheduled": "1: China's scheduled tariff hikes are cancelled",
    "cn_threat_kept": "share of the cancelled Chinese hikes that still hang over the deal",
    "cn_rollback_fired": "share of China's hikes fired since the start that are rolled back",
    "cn_rollback_pp": "further pp taken off China's tariff in force (floored at its 2018 base)",
    "soy_rollback_pp": "pp taken off China's soybean tariff in force (floored at MFN)",
    "ag_extra_bn": "extra US farm purchases by China, $bn a year above the 2017 baseline",
    "huawei_status": "Huawei's relief from US export controls, 0 (entity list) to 1 (removed)",
    "currency_pledge": "strength of China's currency pledge, 0 to 1",
    "ip_reform": "depth of China's IP and technology-transfer reforms, 0 to 1",
    "fentanyl_enforcement": "China's fentanyl enforcement, 0 to 1",
    "lift_label": "1: the US lifts the currency-manipulator label",
}
