"""Names of the world's pressure indicators (each in [0, 1]) that configs may reference.

Reservation values and influence shifts are linear in these pressures; ratifiers may take
their base support from one of the ratifier indicators.  Kept in one place so the config
schema and the world agree on the vocabulary.
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
