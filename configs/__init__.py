"""The configs shipped with tradetalks (``tradetalks.configs``): the baseline, scenarios,
theory cases and sweeps, as package data loaded through ``importlib.resources``."""
